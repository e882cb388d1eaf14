// `fapiao doctor` on an installation (no URL): the database and the running gateway's own view —
// circuits, backlog, the error classes of the last calls — on SQLite and on PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Check, DoctorReport } from '../../src/doctor/check.js';
import { runDoctor, type DoctorOptions } from '../../src/doctor/doctor.js';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT, freshDatabase } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(faults: Partial<Faults> = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-sim-')), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, ...faults } });
  cleanups.push(() => sim.close());
  return sim;
}

async function gatewayOn(sim: RunningSimulator, breaker = {}): Promise<TestGateway> {
  const t = await startTestGateway({ channels: [{ name: 'sim', url: sim.url }], breaker });
  cleanups.push(() => t.close());
  return t;
}

let orders = 0;
async function issue(t: TestGateway): Promise<string> {
  const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `doctor-${++orders}-${Date.now()}`, json: validRequest({ orderNo: `D-${orders}` }) });
  expect(answer.status).toBe(202);
  return String(answer.body.id);
}

function installation(t: TestGateway, sim: RunningSimulator, extra: Partial<DoctorOptions> = {}): Promise<DoctorReport> {
  return runDoctor(
    { kind: 'installation', channels: [{ name: 'sim', url: sim.url }], label: 'gateway' },
    { timeoutMs: 3000, dataDir: t.database.dataDir, store: t.database.location, gatewayUrl: t.gateway.url, concurrency: 32, ...extra },
  );
}

const named = (report: DoctorReport, layer: string, name: string): Check | undefined => report.checks.find((c) => c.layer === layer && c.name === name);

describe(`doctor on an installation (${DIALECT})`, () => {
  it('a healthy gateway: database, channel and gateway layers all ok, in layer order', async () => {
    const sim = await simulator();
    const t = await gatewayOn(sim);
    const id = await issue(t);
    await eventually(async () => ((await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body.status === 'issued' ? true : undefined), 10_000, () => 'not issued');
    const report = await installation(t, sim);
    const layers = report.checks.map((c) => c.layer);
    expect([...new Set(layers)]).toEqual(['local', 'db', 'dns', 'tcp', 'http', 'clock', 'upstream', 'gateway']);
    // The machine's own disk and limits are this machine's business; everything else must be ok.
    for (const check of report.checks.filter((c) => c.layer !== 'local')) expect(check, JSON.stringify(check)).toMatchObject({ status: 'ok', code: null });
    expect(named(report, 'db', 'reachable')?.detail).toMatch(DIALECT === 'sqlite' ? /^SQLite .*fapiao\.db: select 1 in [\d.]+ ms$/ : /^PostgreSQL 127\.0\.0\.1:5432\/test: select 1/);
    expect(named(report, 'db', 'connection headroom')?.detail).toMatch(DIALECT === 'sqlite' ? /embedded SQLite/ : /connections in use, \d+ free/);
    expect(named(report, 'gateway', 'circuit sim')?.detail).toBe('sim: circuit closed');
    expect(named(report, 'gateway', 'recent upstream calls')?.detail).toMatch(/^last \d+ calls: \d+ answered, 0 failed$/);
    expect(named(report, 'gateway', 'backlog')?.detail).toBe('no invoice waiting');
  });

  it('a failing upstream: the open circuit, the waiting backlog and the error classes are reported', async () => {
    const sim = await simulator({ errorRate: 1 });
    const t = await gatewayOn(sim, { failuresToOpen: 3, halfOpenAfterMs: 60_000 });
    await issue(t);
    await issue(t);
    await eventually(
      async () => ((await installation(t, sim)).checks.some((c) => c.code === 'gateway.circuit_open') ? true : undefined),
      10_000,
      () => 'the circuit never opened',
    );
    // Twenty minutes on, the two invoices are still waiting.
    const report = await installation(t, sim, { now: () => Date.now() + 20 * 60_000 });
    expect(named(report, 'gateway', 'circuit sim')).toMatchObject({ status: 'fail', code: 'gateway.circuit_open', detail: 'sim: circuit open, nothing is being sent' });
    expect(named(report, 'gateway', 'backlog')).toMatchObject({ status: 'warn', code: 'gateway.backlog_old', detail: expect.stringMatching(/^2 invoices waiting, the oldest for 20 min$/) as unknown });
    expect(named(report, 'gateway', 'recent upstream calls')).toMatchObject({ status: 'warn', code: 'gateway.attempts_failing', detail: expect.stringContaining('upstream_unavailable') as unknown });
    expect(report.checks.find((c) => c.layer === 'http')).toMatchObject({ code: 'http.status_5xx' });
    expect(report.status).toBe('fail');
  });

  it('a database that is not there, or not migrated: db.unreachable / db.not_migrated, and what needs it is skipped', async () => {
    const sim = await simulator();
    const t = await gatewayOn(sim);
    const missing = DIALECT === 'sqlite' ? { kind: 'sqlite' as const, file: join(t.database.dataDir, 'nowhere', 'fapiao.db') } : { kind: 'postgres' as const, url: 'postgres://postgres@127.0.0.1:1/test' };
    const unreachable = await installation(t, sim, { store: missing, timeoutMs: 1000 });
    expect(named(unreachable, 'db', 'reachable')).toMatchObject({ status: 'fail', code: 'db.unreachable' });
    expect(named(unreachable, 'gateway', 'backlog')).toMatchObject({ status: 'skip', detail: 'skipped: the db layer failed' });
    // The channel's layers do not depend on the database, and still run.
    expect(unreachable.checks.find((c) => c.layer === 'upstream')?.status).toBe('ok');

    const empty = await freshDatabase();
    cleanups.push(() => empty.drop());
    if (empty.location.kind === 'sqlite') {
      const { default: Sqlite } = await import('better-sqlite3');
      new Sqlite(empty.location.file).close();
    }
    const unmigrated = await installation(t, sim, { store: empty.location });
    expect(named(unmigrated, 'db', 'migrations')).toMatchObject({ status: 'fail', code: 'db.not_migrated' });
  });

  it('no gateway answering: gateway.unreachable, and its circuits are not guessed', async () => {
    const sim = await simulator();
    const t = await gatewayOn(sim);
    const report = await installation(t, sim, { gatewayUrl: 'http://127.0.0.1:9' });
    expect(named(report, 'gateway', 'running gateway')).toMatchObject({ status: 'fail', code: 'gateway.unreachable' });
    expect(report.checks.some((c) => c.name === 'circuit sim')).toBe(false);
  });
});
