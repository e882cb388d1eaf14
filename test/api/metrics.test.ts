// /metrics after invoices went through: the series operators alert on are there, with bounded
// labels, and promtool (Prometheus's own checker) accepts the scrape.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { hasTool } from '../support/tools.js';

let simulator: RunningSimulator;
let t: TestGateway;
const hasPromtool = hasTool('promtool');

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-sim-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

describe(`metrics on ${DIALECT}`, () => {
  it('counts invoices, attempts, HTTP requests and circuit states, with bounded labels', async () => {
    for (let i = 0; i < 3; i++) {
      await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `m-${i}`, json: validRequest({ orderNo: `M-${i}` }) });
    }
    await eventually(
      async () => ((await t.gateway.store.db.selectFrom('invoices').select('id').where('status', '=', 'pending').executeTakeFirst()) ? undefined : true),
      15_000,
      () => 'invoices still pending',
    );
    await http(`${t.gateway.url}/v1/invoices/inv_unknown`, { key: t.key });
    const scrape = await http(`${t.gateway.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    const text = scrape.text;
    expect(text).toContain('fapiao_invoices{status="issued",stage=""} 3');
    expect(text).toMatch(/fapiao_upstream_attempts_total\{channel="sim",kind="submit",outcome="accepted"\} 3/);
    expect(text).toMatch(/fapiao_upstream_attempts_total\{channel="sim",kind="query",outcome="issued"\} 3/);
    expect(text).toContain('fapiao_http_requests_total{method="POST",route="/v1/invoices",status="202"} 3');
    // The route pattern, never the id in the path.
    expect(text).toContain('route="/v1/invoices/:id",status="404"');
    expect(text).not.toContain('inv_unknown');
    expect(text).toContain('fapiao_circuit_state{channel="sim"} 0');
    expect(text).toContain('fapiao_backlog_oldest_age_seconds 0');
    expect(text).toContain('fapiao_database_up 1');
    expect(text).toContain('fapiao_process_cpu_user_seconds_total');
    // Every series the dashboard and the alerts query is one this gateway exports.
    for (const file of ['deploy/grafana/fapiao-gateway.json', 'deploy/prometheus/alerts.yml']) {
      const names = new Set([...readFileSync(join(import.meta.dirname, '../..', file), 'utf8').matchAll(/fapiao_[a-z_]+/g)].map((m) => m[0]));
      for (const name of names) {
        // Exported once a TLS connection presented a certificate (this test's simulator is plain HTTP),
        // or once a channel told a seller's quota (this one keeps none; test/api/quota-api.test.ts reads them).
        if (name === 'fapiao_channel_certificate_expiry_timestamp_seconds' || name.startsWith('fapiao_quota_')) {
          expect(text).toContain(`# TYPE ${name} gauge`);
          continue;
        }
        expect(text, `${name} in ${file}`).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
      }
    }
    if (hasPromtool) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });
});
