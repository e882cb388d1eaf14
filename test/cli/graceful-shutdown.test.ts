// SIGTERM stops a gateway process without losing anything or leaving work stuck behind a lease
// (issue 25 item 4): /readyz says 503 at once while /livez stays 200, requests are served through
// the drain and refused with 503 + Retry-After after it, attempts still in flight at the deadline
// are aborted and their leases given back, the process exits 0 within FAPIAO_SHUTDOWN_SECONDS, and
// the next process issues what was in flight within seconds (not after the 90 s lease), once each.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import type { TestDatabase } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao } from '../support/processes.js';

let database: TestDatabase | undefined;
let simulator: RunningSimulator | undefined;
afterAll(async () => {
  await simulator?.close();
  await database?.drop();
});

async function call(url: string, init: { method?: string; key?: string; body?: unknown; idempotencyKey?: string } = {}) {
  const response = await request(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key && { authorization: `Bearer ${init.key}` }),
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...(init.idempotencyKey && { 'idempotency-key': init.idempotencyKey }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe('a gateway process told to stop (SIGTERM)', () => {
  it('drains, hands back what is in flight, exits 0 in time, and the next process issues it all once', async () => {
    const prepared = await databaseWithKey();
    database = prepared.database;
    const { key } = prepared;
    // An upstream that takes 20 s to answer: attempts are still in flight when the stop's deadline
    // (8 s) comes. It does not deduplicate, so a second send would show as a second invoice.
    simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-stop-')), port: 0, host: '127.0.0.1', dedup: false, faults: { ...NO_FAULTS, latencyMs: 20_000 } });
    const storeArgs = database.location.kind === 'sqlite' ? ['--db', database.location.file] : [];
    const env = { ...database.env, FAPIAO_DATA_DIR: database.dataDir, FAPIAO_RENDER_THREADS: '0', FAPIAO_DRAIN_SECONDS: '2', FAPIAO_SHUTDOWN_SECONDS: '8', FAPIAO_LOG_LEVEL: 'info' };
    const args = ['serve', '--port', '0', '--channel', `sim=${simulator.url}`, ...storeArgs];
    const first = await startFapiao(args, env);

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await call(`${first.url}/v1/invoices`, { method: 'POST', key, idempotencyKey: `stop-${i}`, body: validRequest({ orderNo: `STOP-${i}` }) });
      expect(answer.status).toBe(202);
      ids.push(String(answer.body.id));
    }
    // All five are being sent (the upstream holds them).
    await eventually(
      async () => ((await Promise.all(ids.map(async (id) => (await call(`${first.url}/v1/invoices/${id}`, { key })).body.stage))).every((stage) => stage === 'submitting') ? true : undefined),
      10_000,
      () => 'the invoices were not all being sent',
    );

    const exited = new Promise<{ code: number | null; at: number }>((resolve) => first.child.once('exit', (code) => resolve({ code, at: Date.now() })));
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    // Not ready at once; alive all the same; and still serving through the drain.
    // (The signal reaches the process a moment after kill() returns: ask until it has.)
    let ready = await call(`${first.url}/readyz`);
    while (ready.status === 200 && Date.now() - stoppedAt < 1000) ready = await call(`${first.url}/readyz`);
    expect(ready).toMatchObject({ status: 503, body: { code: 'shutting_down' } });
    expect(ready.headers['retry-after']).toBe('1');
    expect(Date.now() - stoppedAt).toBeLessThan(1500);
    expect((await call(`${first.url}/livez`)).status).toBe(200);
    const during = await call(`${first.url}/v1/invoices`, { method: 'POST', key, idempotencyKey: 'stop-during-drain', body: validRequest({ orderNo: 'STOP-DRAIN' }) });
    expect(during.status).toBe(202);
    ids.push(String(during.body.id));

    // After the drain: refused with 503 and Retry-After while the process closes, or not listening any more.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    try {
      const late = await call(`${first.url}/v1/invoices`, { method: 'POST', key, idempotencyKey: 'stop-late', body: validRequest({ orderNo: 'STOP-LATE' }) });
      expect(late).toMatchObject({ status: 503, body: { code: 'shutting_down' } });
      expect(late.headers['retry-after']).toBe('1');
    } catch (error) {
      expect(String((error as { code?: string }).code ?? error)).toMatch(/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET/);
    }

    const exit = await exited;
    expect(exit.code, first.output()).toBe(0);
    // Within FAPIAO_SHUTDOWN_SECONDS (8 s), with a little for the process to end.
    expect(exit.at - stoppedAt).toBeLessThan(10_000);

    // No claim is left behind: what was in flight is uncertain and due now, to be queried first.
    const store = await openStore(database.location);
    const rows = await store.db.selectFrom('invoices').select(['id', 'status', 'stage', 'lease_owner', 'next_attempt_at']).execute();
    await store.close();
    expect(rows.filter((row) => row.lease_owner !== null)).toEqual([]);
    expect(rows.filter((row) => ids.slice(0, 5).includes(row.id)).map((row) => row.stage)).toEqual(ids.slice(0, 5).map(() => 'uncertain'));
    expect(rows.every((row) => Number(row.next_attempt_at) <= Date.now() + 5000)).toBe(true);

    // The next process (the upstream quick again) resolves them in seconds, not after a 90 s lease.
    simulator.setFaults({ latencyMs: 0 });
    const second = await startFapiao(args, env);
    const restartedAt = Date.now();
    const invoices = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const invoice = (await call(`${second.url}/v1/invoices/${id}`, { key })).body;
            return invoice.status === 'issued' ? invoice : undefined;
          },
          20_000,
          () => `invoice ${id} not issued after the restart`,
        ),
      ),
    );
    expect(Date.now() - restartedAt).toBeLessThan(30_000);
    const serials = simulator.ledger.issued(Date.now() + 60_000).map((record) => record.serialNo);
    expect([...serials].sort()).toEqual(invoices.map((invoice) => String(invoice.serialNo)).sort());
    await second.kill();
  });
});
