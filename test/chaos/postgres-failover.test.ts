// The PostgreSQL primary fails and its synchronous replica is promoted, under load (issue 25 item 8):
// two gateways given both hosts (`target_session_attrs=read-write`) behind a round-robin balancer,
// 100 invoices a second; mid-run the primary is stopped with `pg_ctl stop -m immediate` and the
// replica promoted. Every invoice that got a 202 is on the new primary (RPO 0), none is issued
// twice upstream (it does not deduplicate), and accepts resume within 30 s. The cluster is made by
// the test from the installed binaries (test/support/postgres-cluster.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator } from '../../src/simulator/simulator-server.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { closeAfterAll } from '../support/close-after-all.js';
import { DIALECT } from '../support/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { startPostgresCluster } from '../support/postgres-cluster.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';
import { startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { percentile, startSteadyLoad } from '../support/steady-load.js';
import { listInvoices, pendingSummary } from './chaos-clients.js';

const RATE = 100;
const later = closeAfterAll();
const nodes: RunningProcess[] = [];

describe.skipIf(DIALECT !== 'postgres')('a PostgreSQL primary failover under load', () => {
  it('keeps every accepted invoice (RPO 0), issues none twice, and accepts again within 30 s', async () => {
    const cluster = await startPostgresCluster();
    later(() => cluster.close());
    const setup = await openStore({ kind: 'postgres', url: cluster.url });
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now());
    await setup.close();

    const simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-pgfo-')), port: 0, host: '127.0.0.1', dedup: false, faults: { ...NO_FAULTS, latencyMs: 10, jitterMs: 20 } });
    const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-pgfo-data-'));
    // Short call limits, so that a settle lost with the old primary comes back (its lease runs out) in seconds.
    const env = {
      DATABASE_URL: cluster.url,
      FAPIAO_DATA_DIR: dataDir,
      FAPIAO_RENDER_THREADS: '0',
      FAPIAO_CONNECT_TIMEOUT_MS: '1000',
      FAPIAO_RESPONSE_TIMEOUT_MS: '3000',
      FAPIAO_LEASE_MS: '10000',
    };
    later(() => simulator.close());
    later(() => Promise.all(nodes.map((node) => node.kill('SIGKILL'))));
    nodes.push(...(await Promise.all([0, 1].map(() => startFapiao(['serve', '--port', '0', '--channel', `sim=${simulator.url}`], env)))));
    const proxy = await startRoundRobinProxy(nodes.map((node) => node.url));
    later(() => proxy.close());
    await new Promise((resolve) => setTimeout(resolve, 500));

    const started = Date.now();
    const load = startSteadyLoad(proxy.url, key, RATE, `PGFO-${started}`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const crashedAt = Date.now();
    cluster.crashPrimary();
    // An operator (or Patroni) notices and promotes the replica a few seconds later.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await cluster.promoteReplica();
    const promotedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const report = await load.stop();

    // Accepts resumed: the first 202 answered to a request sent after the promotion.
    const resumedAt = report.acceptedAt.filter((at) => at.sentAt >= promotedAt).map((at) => at.answeredAt).sort((a, b) => a - b)[0];
    expect(resumedAt, `no request sent after the promotion was accepted (${report.retried503} 503s, failures ${report.failures.slice(0, 3).join('; ')}):\n${nodes[0]!.output().split('\n').map((line) => line.slice(0, 400)).slice(-25).join('\n')}`).toBeDefined();

    const client = new Agent();
    const url = nodes[0]!.url;
    await eventually(
      async () => ((await listInvoices(url, key, '&status=pending', client)).length === 0 ? true : undefined),
      90_000,
      async () => {
        const pending = await listInvoices(url, key, '&status=pending', client);
        return `${pending.length} invoices still pending: ${pendingSummary(pending)}`;
      },
    );
    const invoices = await listInvoices(url, key, '', client);
    await client.close();
    const issuedUpstream = simulator.ledger.issued(Date.now() + 60_000).map((record) => record.serialNo);
    console.log(
      `postgres failover: ${report.sent} orders (${RATE}/s), ${report.accepted.size} accepted, ${report.retried503} 503s retried, ${report.failures.length} failed, ` +
        `p99 ${percentile(report.latenciesMs, 0.99).toFixed(0)} ms; primary crashed at +${((crashedAt - started) / 1000).toFixed(1)} s, replica promoted ${((promotedAt - crashedAt) / 1000).toFixed(1)} s later, ` +
        `accepts resumed ${(((resumedAt ?? promotedAt) - promotedAt) / 1000).toFixed(1)} s after the promotion; ${invoices.length} invoices on the new primary, ` +
        `${issuedUpstream.length} issued upstream, ${issuedUpstream.length - new Set(issuedUpstream).size} twice`,
    );

    expect(report.failures).toEqual([]);
    expect(report.accepted.size).toBe(report.sent);
    expect(resumedAt! - promotedAt).toBeLessThan(30_000);
    // RPO 0: every invoice a client was told was accepted is on the new primary, and issued once.
    const stored = new Set(invoices.map((invoice) => invoice.id));
    expect([...report.accepted.values()].filter((id) => !stored.has(id))).toEqual([]);
    expect(invoices.filter((invoice) => invoice.status !== 'issued').map((invoice) => `${invoice.id} ${invoice.status}`)).toEqual([]);
    expect(issuedUpstream.length).toBe(new Set(issuedUpstream).size);
    expect(new Set(issuedUpstream)).toEqual(new Set(invoices.map((invoice) => invoice.serialNo)));

    // The doctor names the primary it reaches now: the promoted replica.
    const doctor = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/fapiao'), 'doctor', '--json', '--gateway', nodes[0]!.url], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(doctor.stdout).toContain(`127.0.0.1:${cluster.replicaPort} is a writable primary`);
  });
});
