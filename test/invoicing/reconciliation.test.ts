// Reconciliation as an operator runs it, on SQLite and PostgreSQL: an upstream that does not
// deduplicate issues invoices whose every answer is lost and whose every query fails, until the
// gateway is stopped with them uncertain. `fapiao reconcile` adopts each one with the upstream's
// number, and a restarted gateway never sends any of them again.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { openStore } from '../../src/store/database.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { DIALECT, type TestDatabase } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao } from '../support/processes.js';
import { http } from '../support/gateway.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const work = mkdtempSync(join(tmpdir(), 'fapiao-reconcile-'));
let simulator: RunningSimulator | undefined;
let database: TestDatabase | undefined;

afterAll(async () => {
  await simulator?.close();
  await database?.drop();
});

/** Today in Beijing, as the upstream's day list counts days. */
const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

describe(`fapiao reconcile on ${DIALECT}`, () => {
  it('adopts what the upstream issued while every answer was lost, and nothing is issued twice after a restart', async () => {
    const prepared = await databaseWithKey();
    database = prepared.database;
    const db = database.location.kind === 'sqlite' ? ['--db', database.location.file] : [];
    simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: false, faults: { ...NO_FAULTS, dropResponseRate: 1 } });
    const env = { ...database.env, FAPIAO_RESPONSE_TIMEOUT_MS: '1500', FAPIAO_POLL_INTERVAL_MS: '50', FAPIAO_BACKOFF_BASE_MS: '100', FAPIAO_BACKOFF_CAP_MS: '500', FAPIAO_RENDER_THREADS: '0' };
    const channel = `sim=${simulator.url}`;
    const gateway = await startFapiao(['serve', '--port', '0', '--channel', channel, ...db], env);

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await http(`${gateway.url}/v1/invoices`, { key: prepared.key, idempotencyKey: `lost-${i}`, json: validRequest({ orderNo: `LOST-${i}` }) });
      expect(answer.status).toBe(202);
      ids.push(String(answer.body.id));
    }
    // Every submit reached the ledger and none was answered; from now on every query fails too.
    await eventually(async () => (simulator!.ledger.issued(Date.now()).length >= 5 ? true : undefined), 10_000, () => 'the simulator never took all five');
    simulator.setFaults({ dropResponseRate: 1, errorRate: 1 });
    const states = async () => {
      const all = await Promise.all(ids.map(async (id) => (await http(`${gateway.url}/v1/invoices/${id}`, { key: prepared.key })).body));
      return all.map((invoice) => `${String(invoice.status)}/${String(invoice.stage)}`);
    };
    await eventually(async () => ((await states()).every((state) => state === 'pending/uncertain') ? true : undefined), 15_000, async () => (await states()).join(', '));
    await gateway.kill('SIGTERM');
    simulator.setFaults({ dropResponseRate: 0, errorRate: 0 });

    // Not spawnSync: the simulator answering it runs in this process.
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'reconcile', '--date', today(), '--channel', channel, ...db, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' }, (error, stdout, stderr) =>
          resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    const first = await run(['--json']);
    expect(first.stderr).toBe('');
    const report = JSON.parse(first.stdout) as { matched: number; adopted: Array<{ invoiceId: string; number: string }>; missingUpstream: unknown[]; amountMismatch: unknown[]; unknownUpstream: unknown[] };
    expect(report.adopted.map((item) => item.invoiceId).sort()).toEqual([...ids].sort());
    expect([report.matched, report.missingUpstream, report.amountMismatch, report.unknownUpstream]).toEqual([0, [], [], []]);
    expect(first.status).toBe(0);
    // Run again: everything matches now, nothing is adopted twice.
    const second = await run([]);
    expect(second.stdout).toContain('matched            5');
    expect(second.stdout).toContain('adopted            0');
    expect(second.status).toBe(0);

    const store = await openStore(database.location);
    try {
      const rows = await store.db.selectFrom('invoices').select(['id', 'status', 'number', 'serial_no']).execute();
      const ledger = simulator.ledger.issued(Date.now());
      for (const row of rows) {
        expect(row.status).toBe('issued');
        expect(row.number).toBe(ledger.find((record) => record.serialNo === row.serial_no)?.number);
      }
      const adoptions = await store.db.selectFrom('audit_log').select('event').where('event', '=', 'adopted').execute();
      expect(adoptions).toHaveLength(5);
      expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }

    // A restarted gateway has nothing to send: every invoice is issued in its store, so with its
    // dispatcher running (ready) there is nothing it could lease; the upstream, which would issue
    // again, sees nothing new.
    const restarted = await startFapiao(['serve', '--port', '0', '--channel', channel, ...db], env);
    await eventually(async () => ((await fetch(`${restarted.url}/readyz`)).status === 200 ? true : undefined), 10_000, () => restarted.output());
    const reopened = await openStore(database.location);
    try {
      expect(await reopened.db.selectFrom('invoices').select('id').where('status', '=', 'pending').execute()).toEqual([]);
    } finally {
      await reopened.close();
    }
    await restarted.kill('SIGTERM');
    const serials = simulator.ledger.issued(Date.now()).map((record) => record.serialNo);
    expect(serials).toHaveLength(5);
    expect(new Set(serials).size).toBe(5);
  });

  it('says why it could not run, with exit 2', async () => {
    const result = spawnSync(process.execPath, [BIN, 'reconcile', '--date', '2026-13-01', '--channel', 'sim=http://127.0.0.1:9'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--date');
    const down = spawnSync(process.execPath, [BIN, 'reconcile', '--date', today(), '--channel', 'sim=http://127.0.0.1:9', '--db', join(work, 'empty.db')], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/could not run|no database/);
  });
});
