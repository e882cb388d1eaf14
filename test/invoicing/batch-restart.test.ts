// A batch survives its gateway stopping half-way: four thousand rows (two slices of the issuer), the gateway stopped (as by
// SIGTERM) right after the upload and started again on the same database, and every row becomes
// exactly one issued invoice — none lost, none twice — on this run's dialect.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { openStore } from '../../src/store/database.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const ROWS = 4000;
let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(mkdtempSync(join(tmpdir(), 'fapiao-batch-restart-')), 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

const view = async (id: string) => (await http(`${t.gateway.url}/v1/batches/${id}`, { key: t.key })).body as { status: string; counts: { accepted: number; issued: number } };

describe(`a batch through a restart on ${DIALECT}`, () => {
  it('issues every row once after its gateway stops half-way and starts again', async () => {
    const invoices = Array.from({ length: ROWS }, (_, n) => ({ serialNo: `RS${String(n).padStart(6, '0')}`, ...validRequest({ orderNo: undefined }) }));
    const answer = await http(`${t.gateway.url}/v1/batches`, { key: t.key, json: { mode: 'each', invoices } });
    expect(answer.status).toBe(202);
    const id = String(answer.body.id);
    // Stopped at once: at most the slice in flight (2,000 rows) is finished before it goes.
    // While no gateway is up: rows still wait, so the next gateway has work left to take over.
    let waiting = 0;
    await t.restart(async () => {
      const store = await openStore(t.database.location);
      const row = await store.db.selectFrom('batch_rows').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'waiting').executeTakeFirstOrThrow();
      waiting = Number(row.n);
      await store.close();
    });
    const done = await eventually(
      async () => {
        const now = await view(id);
        return now.status === 'done' ? now : undefined;
      },
      120_000,
      async () => JSON.stringify(await view(id)),
    );
    expect(waiting).toBeGreaterThan(0);
    expect(done.counts).toMatchObject({ accepted: ROWS, issued: ROWS });
    const stored = await t.gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('order_no', 'like', 'RS%').executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(ROWS);
    const ledger = simulator.ledger.issued(Date.now() + 60_000);
    expect(new Set(ledger.map((record) => record.serialNo)).size).toBe(ROWS);
    expect(ledger).toHaveLength(ROWS);
  });
});
