// The daily reconciliation inside serve: when it runs (Beijing time), which day it takes, and a
// run through the gateway's own leased worker that reports each class in /metrics.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayBefore, nextRunAt } from '../../src/dispatch/daily-reconciliation.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

describe('when the daily reconciliation runs', () => {
  const at = { hour: 2, minute: 30 };
  it('runs at the next 02:30 Beijing time (18:30 UTC), today or tomorrow', () => {
    expect(new Date(nextRunAt(Date.parse('2026-11-25T10:00:00Z'), at)).toISOString()).toBe('2026-11-25T18:30:00.000Z');
    expect(new Date(nextRunAt(Date.parse('2026-11-25T18:30:00Z'), at)).toISOString()).toBe('2026-11-26T18:30:00.000Z');
    expect(new Date(nextRunAt(Date.parse('2026-11-25T17:00:00Z'), at)).toISOString()).toBe('2026-11-25T18:30:00.000Z');
  });

  it('takes the Beijing day before the run', () => {
    expect(dayBefore(Date.parse('2026-11-25T18:30:00Z'))).toBe('2026-11-25');
    expect(dayBefore(Date.parse('2026-11-26T15:59:00Z'))).toBe('2026-11-25');
    expect(dayBefore(Date.parse('2026-03-01T00:00:00+08:00'))).toBe('2026-02-28');
  });
});

describe(`the daily reconciliation on ${DIALECT}`, () => {
  const work = mkdtempSync(join(tmpdir(), 'fapiao-daily-'));
  let simulator: RunningSimulator;
  let t: TestGateway;

  beforeAll(async () => {
    simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
    t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
  });

  afterAll(async () => {
    await t.close();
    await simulator.close();
  });

  it('reconciles each channel once through a job, and /metrics shows every class', async () => {
    const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'daily-1', json: validRequest({ orderNo: 'DAILY-1' }) });
    await eventually(async () => ((await http(`${t.gateway.url}/v1/invoices/${String(answer.body.id)}`, { key: t.key })).body.status === 'issued' ? true : undefined), 10_000, () => 'not issued');
    const tomorrow = Date.now() + 86_400_000;
    // Twice, as two processes at 02:30 would: one job.
    await t.gateway.reconciliation!.enqueueDayBefore(tomorrow);
    await t.gateway.reconciliation!.enqueueDayBefore(tomorrow);
    const metrics = () => http(`${t.gateway.url}/metrics`).then((response) => response.text);
    const text = await eventually(async () => ((await metrics()).includes('fapiao_reconciliation_runs_total{channel="sim",outcome="ok"} 1') ? metrics() : undefined), 10_000, metrics);
    expect(text).toContain('fapiao_reconciliation_invoices{channel="sim",class="matched"} 1');
    expect(text).toContain('fapiao_reconciliation_invoices{channel="sim",class="unknown_upstream"} 0');
    const jobs = await t.gateway.store.db.selectFrom('jobs').select(['subject_id', 'status']).where('queue', '=', 'reconcile').execute();
    expect(jobs).toEqual([{ subject_id: `sim@${dayBefore(tomorrow)}`, status: 'done' }]);
  });
});
