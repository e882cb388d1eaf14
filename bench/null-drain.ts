// The drain into an upstream that costs nothing (bench/null-upstream.ts): a backlog accepted with
// workers off, then one gateway process started with workers on, on SQLite and on PostgreSQL. The
// rate is the gateway's own cost per invoice — claim, call, settle, audit, documents job — with the
// documents rendered meanwhile on the render thread (they trail: see the render bench).
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createApiKey } from '../src/store/api-key-store.js';
import { openStore, type StoreLocation } from '../src/store/database.js';
import { saveSeller } from '../src/store/seller-store.js';
import { cpuMeter } from './cpu-meter.js';
import { postLoad } from './load.js';
import { backlogDrained, start, stop } from './processes.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/fapiao');
const SELLER = '91330106MA2B0Y5R34';
const example = JSON.parse(readFileSync(join(ROOT, 'examples/invoice.json'), 'utf8')) as Record<string, unknown>;

export interface NullDrain {
  readonly dialect: 'sqlite' | 'postgres';
  readonly invoices: number;
  /** From starting the gateway to an empty backlog. */
  readonly seconds: number;
  /** From the first upstream call to the last invoice settled: the drain without start-up and polling. */
  readonly spanSeconds: number;
  /** The gateway's CPU per invoice over the drain, µs (all its threads, rendering included); null without /proc. */
  readonly cpuMicros: number | null;
}

/** Drains `invoices` into the null upstream from a store at `location` (a fresh one). */
export async function nullDrain(location: StoreLocation, invoices: number): Promise<NullDrain> {
  const store = await openStore(location);
  await saveSeller(store.db, { taxId: SELLER, name: '演示科技（杭州）有限公司', sandbox: false }, Date.now());
  const { key } = await createApiKey(store.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now());
  await store.close();
  const where = location.kind === 'sqlite' ? { args: ['--db', location.file], env: {} } : { args: [], env: { DATABASE_URL: location.url } };
  const upstream = await start(join(import.meta.dirname, 'null-upstream.js'), []);
  const accepting = await start(BIN, ['serve', '--port', '0', ...where.args, '--channel', `null=${upstream.url}`], { ...where.env, FAPIAO_CONCURRENCY: '0' });
  await postLoad(`${accepting.url}/v1/invoices`, {
    requests: invoices,
    concurrency: 64,
    body: (i) => JSON.stringify({ ...example, orderNo: `NULL-${i}` }),
    headers: (i) => ({ authorization: `Bearer ${key}`, 'idempotency-key': `null-${i}` }),
  });
  await stop(accepting.child);
  const started = performance.now();
  const draining = await start(BIN, ['serve', '--port', '0', ...where.args, '--channel', `null=${upstream.url}`], { ...where.env, FAPIAO_POLL_AFTER_MS: '20' });
  const meter = cpuMeter([draining.child.pid!], false);
  await backlogDrained(draining.url, key);
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.stop();
  await stop(draining.child);
  await stop(upstream.child);
  const reading = await openStore(location);
  const first = await reading.db.selectFrom('attempts').select((eb) => eb.fn.min('started_at').as('at')).executeTakeFirstOrThrow();
  const last = await reading.db.selectFrom('invoices').select((eb) => eb.fn.max('updated_at').as('at')).where('status', '=', 'issued').executeTakeFirstOrThrow();
  const issued = await reading.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'issued').executeTakeFirstOrThrow();
  await reading.close();
  if (Number(issued.n) !== invoices) throw new Error(`the null drain issued ${issued.n} of ${invoices} invoices`);
  return {
    dialect: location.kind,
    invoices,
    seconds,
    spanSeconds: (Number(last.at) - Number(first.at)) / 1000,
    cpuMicros: cpu ? (cpu.subject / invoices) * 1e6 : null,
  };
}

export const describeNullDrain = (d: NullDrain) =>
  `${d.dialect}: ${d.invoices} invoices in ${d.seconds.toFixed(1)} s with start-up (${(d.invoices / d.seconds).toFixed(0)}/s); first call to last settle ${d.spanSeconds.toFixed(1)} s: ${(d.invoices / d.spanSeconds).toFixed(0)}/s; gateway CPU ${d.cpuMicros === null ? '—' : `${d.cpuMicros.toFixed(0)} µs`} per invoice`;

// `node dist-bench/bench/null-drain.js`: these runs alone (PostgreSQL when BENCH_DATABASE_URL is set).
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { freshDatabase } = await import('./postgres.js');
  const invoices = Number(process.env.BENCH_NULL_INVOICES ?? 20_000);
  const sqlite = await nullDrain({ kind: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'fapiao-null-')), 'fapiao.db') }, invoices);
  console.log(describeNullDrain(sqlite));
  if (process.env.BENCH_DATABASE_URL) {
    const url = await freshDatabase(process.env.BENCH_DATABASE_URL, 'fapiao_bench_null');
    console.log(describeNullDrain(await nullDrain({ kind: 'postgres', url }, invoices)));
  }
}
