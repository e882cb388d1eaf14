// Ten thousand invoices from one 电子税务局 template, uploaded twice, on both databases: every
// invoice issued once across both uploads and the simulator's ledger, the second upload issuing
// nothing. Prints how long the upload took to be checked and stored, to be accepted, to be issued,
// and how far the live heap rose while the file was checked, against a file a fifth the size: the
// check stages rows in the database and holds a page of invoices, so it does not grow with the file.
// CI runs it on SQLite (npm test); on PostgreSQL it takes two minutes of a CI run's twenty, and the
// batch code's PostgreSQL paths are covered by test/api/batches-api.test.ts and
// test/store/batch-staging.test.ts there: `DATABASE_URL=postgres://… npx vitest run test/invoicing/batch-ten-thousand.test.ts`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { plainInvoice, templateWorkbook } from '../support/batch-template.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually } from '../support/processes.js';

const INVOICES = 10_000;
let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(mkdtempSync(join(tmpdir(), 'fapiao-10k-')), 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], dispatcher: { concurrency: 64 } });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

interface Counts {
  accepted: number;
  refused: number;
  issued: number;
  pending: number;
  failed: number;
}

async function counts(id: string): Promise<{ status: string; counts: Counts }> {
  return (await http(`${t.gateway.url}/v1/batches/${id}`, { key: t.key })).body as unknown as { status: string; counts: Counts };
}

// The live heap, not the garbage V8 has yet to collect: a full collection before each reading.
v8.setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Uploads the file; resolves with the batch id, the time to its 202 and how far the live heap rose meanwhile. */
async function upload(file: Buffer): Promise<{ id: string; checkedMs: number; heapRise: number }> {
  collect();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    collect();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 250);
  const started = performance.now();
  const form = new FormData();
  form.set('file', new Blob([file]), 'ten-thousand.xlsx');
  const response = await fetch(`${t.gateway.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${t.key}` }, body: form });
  const checkedMs = performance.now() - started;
  clearInterval(sampler);
  const body = (await response.json()) as { id: string; status: string };
  expect(response.status).toBe(202);
  expect(body.status).toBe('accepted');
  return { id: body.id, checkedMs, heapRise: peak - baseline };
}

/** A template of `count` plain invoices, serial numbers from `prefix`. */
function template(prefix: string, count: number): Promise<Buffer> {
  const rows = Array.from({ length: count }, (_, n) => plainInvoice(`${prefix}${String(n + 1).padStart(6, '0')}`, `${(100 + (n % 900)).toFixed(2)}`));
  return templateWorkbook({ basic: rows.map((row) => row.basic), detail: rows.map((row) => row.detail) });
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe(`ten thousand invoices from one template on ${DIALECT}`, () => {
  it('issues each once, and the same file again issues nothing', async () => {
    // A file a fifth the size first: the check's memory should not grow with the file.
    const small = await upload(await template('TS', INVOICES / 5));
    const file = await template('TK', INVOICES);
    const started = performance.now();
    const first = await upload(file);
    const accepted = await eventually(async () => ((await counts(first.id)).counts.accepted === INVOICES ? performance.now() : undefined), 120_000, async () => JSON.stringify(await counts(first.id)));
    const done = await eventually(
      async () => {
        const view = await counts(first.id);
        return view.status === 'done' ? view : undefined;
      },
      300_000,
      async () => JSON.stringify(await counts(first.id)),
    );
    const issuedAt = performance.now();
    expect(done.counts).toEqual({ accepted: INVOICES, refused: 0, issued: INVOICES, pending: 0, failed: 0 });

    const second = await upload(file);
    const again = await eventually(
      async () => {
        const view = await counts(second.id);
        return view.status === 'done' ? view : undefined;
      },
      120_000,
      async () => JSON.stringify(await counts(second.id)),
    );
    expect(again.counts).toEqual({ accepted: INVOICES, refused: 0, issued: INVOICES, pending: 0, failed: 0 });
    await eventually(async () => ((await counts(small.id)).status === 'done' ? true : undefined), 120_000, async () => JSON.stringify(await counts(small.id)));
    const stored = await t.gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('order_no', 'like', 'TK%').executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(INVOICES);
    const ledger = simulator.ledger.issued(Date.now() + 60_000);
    expect(ledger).toHaveLength(INVOICES + INVOICES / 5);
    expect(new Set(ledger.map((record) => record.serialNo)).size).toBe(INVOICES + INVOICES / 5);

    const acceptRate = INVOICES / ((accepted - started) / 1000);
    const issueRate = INVOICES / ((issuedAt - accepted) / 1000);
    console.log(
      `batch of ${INVOICES} on ${DIALECT}: file ${(file.length / 1048576).toFixed(1)} MiB checked and stored in ${seconds(first.checkedMs)}, ` +
        `all accepted after ${seconds(accepted - started)} (${acceptRate.toFixed(0)}/s), all issued ${seconds(issuedAt - accepted)} later (${issueRate.toFixed(0)}/s); ` +
        `second upload checked in ${seconds(second.checkedMs)}, 0 issued again; the live heap rose at most ${mib(first.heapRise)} while the file was checked (${mib(small.heapRise)} for a file of ${INVOICES / 5})`,
    );
  });
});
