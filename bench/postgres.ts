// The accept path on PostgreSQL beside a plain job queue: pg-boss `send()` of the same payload on
// the same server, then the gateway (workers off) with one process and with two sharing the
// database, in this run, with PostgreSQL's backends sampled from pg_stat_activity meanwhile (how
// many wait on a lock). Each run gets a fresh database. Loopback only; bounded by request counts.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { createApiKey } from '../src/store/api-key-store.js';
import { openStore } from '../src/store/database.js';
import { saveSeller } from '../src/store/seller-store.js';
import { postLoad, type LoadResult } from './load.js';
import { cpuMeter, type CpuSeconds } from './cpu-meter.js';
import { backlogDrained, start, stop } from './processes.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/fapiao');
const SELLER = '91330106MA2B0Y5R34';
const example = JSON.parse(readFileSync(join(ROOT, 'examples/invoice.json'), 'utf8')) as Record<string, unknown>;
const payload = (i: number) => ({ ...example, orderNo: `PGBENCH-${i}` });

export interface BackendSample {
  /** Backend samples of this database that were not idle. */
  readonly busy: number;
  /** Of those, waiting on a heavyweight lock (wait_event_type Lock). */
  readonly lockWaits: number;
  /** The most frequent wait events, `type:event` → samples. */
  readonly top: ReadonlyArray<readonly [string, number]>;
}

export interface PostgresAccept {
  readonly what: string;
  readonly processes: number;
  readonly result: LoadResult;
  readonly backends?: BackendSample;
  /** CPU used during the measured run; null where /proc cannot be read. */
  readonly cpu: CpuSeconds | null;
}

/** The runs on PostgreSQL: the accepts beside pg-boss, then the drain of what one process accepted. */
export interface PostgresRuns {
  readonly accepts: readonly PostgresAccept[];
  readonly drain: { readonly invoices: number; readonly seconds: number };
}

/** A new empty database on the server of `base`; its URL. */
export async function freshDatabase(base: string, name: string): Promise<string> {
  const admin = new pg.Client(base);
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Samples pg_stat_activity every 20 ms until stopped. */
function sampleBackends(url: string, database: string): { stop(): Promise<BackendSample> } {
  const client = new pg.Client(url);
  let running = true;
  let busy = 0;
  let lockWaits = 0;
  const events = new Map<string, number>();
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
        "select state, wait_event_type, wait_event from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'",
        [database],
      );
      for (const row of rows) {
        if (row.state === 'idle') continue;
        busy++;
        if (row.wait_event_type === 'Lock') lockWaits++;
        const key = row.wait_event_type ? `${row.wait_event_type}:${row.wait_event}` : 'running (on CPU)';
        events.set(key, (events.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { busy, lockWaits, top: [...events.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4) };
    },
  };
}

/** pg-boss 10 `send()` of the payload, `requests` at `concurrency`, in this process. */
async function pgBossSend(url: string, requests: number, concurrency: number): Promise<{ result: LoadResult; cpu: CpuSeconds | null }> {
  const boss = new PgBoss({ connectionString: url, max: 10, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('invoices');
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const run = async (count: number) => {
    next = 0;
    latencies.length = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const t0 = performance.now();
          const id = await boss.send('invoices', payload(i));
          if (!id) failures++;
          latencies.push(performance.now() - t0);
        }
      }),
    );
    return (performance.now() - started) / 1000;
  };
  await run(1000);
  failures = 0;
  const meter = cpuMeter([process.pid], true);
  const seconds = await run(requests);
  const cpu = meter.stop();
  await boss.stop({ graceful: false, wait: true });
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { result: { requests, seconds, perSecond: requests / seconds, p50Ms: at(0.5), p99Ms: at(0.99), failures }, cpu };
}

/** pg-boss `send()` behind a bare Fastify route (bench/pg-boss-server.ts), loaded over HTTP like the gateway. */
async function pgBossBehindFastify(url: string, requests: number, concurrency: number): Promise<{ result: LoadResult; cpu: CpuSeconds | null }> {
  const server = await start(join(import.meta.dirname, 'pg-boss-server.js'), [], { BENCH_PGBOSS_URL: url });
  const body = (offset: number) => (i: number) => JSON.stringify(payload(offset + i));
  await postLoad(`${server.url}/v1/invoices`, { requests: 1000, concurrency, body: body(8_000_000), headers: () => ({}) });
  const meter = cpuMeter([server.child.pid!], false);
  const result = await postLoad(`${server.url}/v1/invoices`, { requests, concurrency, body: body(0), headers: () => ({}) });
  const cpu = meter.stop();
  await stop(server.child);
  return { result, cpu };
}

function serve(url: string): Promise<{ url: string; child: ChildProcess }> {
  return start(BIN, ['serve', '--port', '0', '--channel', 'sim=http://127.0.0.1:9'], { DATABASE_URL: url, FAPIAO_CONCURRENCY: '0', FAPIAO_RENDER_THREADS: '0' });
}

export async function prepare(url: string): Promise<string> {
  const store = await openStore({ kind: 'postgres', url });
  await saveSeller(store.db, { taxId: SELLER, name: '演示科技（杭州）有限公司', sandbox: false }, Date.now());
  const { key } = await createApiKey(store.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now());
  await store.close();
  return key;
}

/** The gateway's accept path with `processes` processes sharing one fresh database, `requests` in all. */
async function gatewayAccept(base: string, processes: number, requests: number, concurrency: number): Promise<PostgresAccept & { readonly url: string; readonly key: string }> {
  const name = `fapiao_bench_${processes}`;
  const url = await freshDatabase(base, name);
  const key = await prepare(url);
  const gateways = await Promise.all(Array.from({ length: processes }, () => serve(url)));
  const body = (offset: number) => (i: number) => JSON.stringify(payload(offset + i));
  const headers = (offset: number) => (i: number) => ({ authorization: `Bearer ${key}`, 'idempotency-key': `pgbench-${offset + i}` });
  // Warm each process up (JIT, pool) before measuring, as a running gateway would be.
  await Promise.all(gateways.map((g, n) => postLoad(`${g.url}/v1/invoices`, { requests: 500, concurrency: 16, body: body(9_000_000 + n * 1000), headers: headers(9_000_000 + n * 1000) })));
  const sampler = sampleBackends(url, name);
  const meter = cpuMeter(gateways.map((g) => g.child.pid!), false);
  const share = Math.floor(requests / processes);
  const started = performance.now();
  const runs = await Promise.all(
    gateways.map((g, n) => postLoad(`${g.url}/v1/invoices`, { requests: share, concurrency: Math.max(1, Math.floor(concurrency / processes)), body: body(n * share), headers: headers(n * share) })),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.stop();
  const backends = await sampler.stop();
  await Promise.all(gateways.map((g) => stop(g.child)));
  const all = share * processes;
  const result: LoadResult = {
    requests: all,
    seconds,
    perSecond: all / seconds,
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
  };
  return { what: `the gateway, ${processes} process${processes > 1 ? 'es' : ''}`, processes, result, backends, cpu, url, key };
}

/**
 * The backlog one process accepted, drained into the simulator by one gateway process (workers on,
 * documents rendered alongside as on SQLite): the dispatcher's claims and settles on PostgreSQL.
 */
async function drain(url: string, key: string, dataDir: string): Promise<PostgresRuns['drain']> {
  const pool = new pg.Client(url);
  await pool.connect();
  const { rows } = await pool.query<{ n: string }>("select count(*) as n from invoices where status = 'pending'");
  await pool.end();
  const simulator = await start(BIN, ['simulator', '--port', '0', '--data', join(dataDir, 'pg-drain-sim')]);
  const started = performance.now();
  const gateway = await start(BIN, ['serve', '--port', '0', '--channel', `sim=${simulator.url}`], { DATABASE_URL: url, FAPIAO_POLL_AFTER_MS: '20' });
  await backlogDrained(gateway.url, key);
  const seconds = (performance.now() - started) / 1000;
  await stop(gateway.child);
  await stop(simulator.child);
  return { invoices: Number(rows[0]!.n), seconds };
}

/**
 * The runs, in order: pg-boss behind bare Fastify (the peer the ratios are taken to), pg-boss
 * in-process, the gateway with one process, with two; then the drain of the first's backlog.
 */
export async function postgresAccept(base: string, requests: number, concurrency: number, dataDir: string): Promise<PostgresRuns> {
  const behindUrl = await freshDatabase(base, 'fapiao_bench_pgboss_http');
  const behind = await pgBossBehindFastify(behindUrl, requests, concurrency);
  const bossUrl = await freshDatabase(base, 'fapiao_bench_pgboss');
  const boss = await pgBossSend(bossUrl, requests, concurrency);
  const one = await gatewayAccept(base, 1, requests, concurrency);
  const two = await gatewayAccept(base, 2, requests, concurrency);
  return {
    accepts: [{ what: 'pg-boss 10 send() behind bare Fastify', processes: 1, ...behind }, { what: 'pg-boss 10 send() in the load generator', processes: 1, ...boss }, one, two],
    drain: await drain(one.url, one.key, dataDir),
  };
}

/** CPU per request in µs: the subject (gateways, or pg-boss's client), the load generator, PostgreSQL. */
function cpuPerRequest(row: PostgresAccept): string {
  if (!row.cpu) return '—';
  const us = (seconds: number) => ((seconds / row.result.requests) * 1e6).toFixed(0);
  const used = row.cpu.subject + row.cpu.loadGenerator + row.cpu.postgres;
  return `${us(row.cpu.subject)} / ${row.cpu.loadGenerator > 0 ? us(row.cpu.loadGenerator) : '—'} / ${us(row.cpu.postgres)} (${((used / (2 * row.result.seconds)) * 100).toFixed(0)} % of two cores)`;
}

const fmt = (row: PostgresAccept) =>
  `${row.what}: ${row.result.perSecond.toFixed(0)}/s, p50 ${row.result.p50Ms.toFixed(0)} ms, p99 ${row.result.p99Ms.toFixed(0)} ms (${row.result.failures} failed); CPU µs per request ${cpuPerRequest(row)}` +
  (row.backends ? `; lock waits ${((row.backends.lockWaits / Math.max(1, row.backends.busy)) * 100).toFixed(1)} % of ${row.backends.busy} busy backend samples (${row.backends.top.map(([k, v]) => `${k} ${v}`).join(', ')})` : '');

export function describePostgresAccept(runs: PostgresRuns): string[] {
  return [...runs.accepts.map(fmt), `drain on PostgreSQL: ${runs.drain.invoices} invoices in ${runs.drain.seconds.toFixed(1)} s, ${(runs.drain.invoices / runs.drain.seconds).toFixed(0)} invoices/s`];
}

/** The section of bench/RESULTS.md. */
export function postgresSection(runs: PostgresRuns, sqliteDrainPerSecond: number): string {
  const rows = runs.accepts;
  const boss = rows[0]!.result.perSecond;
  const drainRate = runs.drain.invoices / runs.drain.seconds;
  const share = (b: BackendSample | undefined) => (b ? `${((b.lockWaits / Math.max(1, b.busy)) * 100).toFixed(1)} % (${b.top.map(([k, v]) => `${k} ${v}`).join(', ')})` : '—');
  return `## Accept on PostgreSQL, beside pg-boss

The same payload (\`examples/invoice.json\`) on the same PostgreSQL, in this run. The peer is what a
team might build instead of the gateway: a bare Fastify route that parses the JSON and answers 202
once pg-boss 10 \`send()\` stored the job (\`bench/pg-boss-server.ts\`), loaded over HTTP by the same
client as the gateway; beside it \`send()\` called in the load generator's process (no HTTP). Then
the gateway with workers off (\`FAPIAO_CONCURRENCY=0\`), one process and two sharing the database
(half the requests each). Targets: the gateway ≥ 1.5× the peer, and its CPU with PostgreSQL's at
most half of the peer's with PostgreSQL's. Lock waits: the share of busy backend samples of
\`pg_stat_activity\` (every 20 ms) waiting on a lock.

| what | per second | p50 | p99 | ratio to pg-boss behind Fastify | CPU µs per request: it / load generator / PostgreSQL | lock waits (top wait events) |
|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.what} | ${r.result.perSecond.toFixed(0)} | ${r.result.p50Ms.toFixed(0)} ms | ${r.result.p99Ms.toFixed(0)} ms | ${(r.result.perSecond / boss).toFixed(2)} | ${cpuPerRequest(r)} | ${share(r.backends)} |`).join('\n')}

Each write transaction appends to an audit chain of its own (docs/audit.md), so processes no
longer queue on one head row; the plain accepts of a group commit are one statement whose rows
travel as one JSON parameter read by \`json_to_recordset\` (invoices, idempotency records, audit
entries and the chain's head), and each process keeps up to four write transactions in flight. CPU per request, read
from /proc over the measured run ("it" is the gateway processes, the peer's server, or pg-boss's
client where it runs in the load generator's process), says where the cores went: the gateway costs PostgreSQL less
per invoice than pg-boss does per job (a batch is one statement and one commit; pg-boss commits
each job), but one gateway process is one thread that also parses HTTP, validates, computes tax
and hashes, so one process stops where that thread is busy all the time. Two processes take that
limit away, but on two cores they share them with the load generator and PostgreSQL, and each
runs smaller batches: the cores are full (see the share of two cores), which is why a second
process does not add here and why runs vary by ±15 %.

**Drain on PostgreSQL:** the ${runs.drain.invoices} invoices the one-process run left, drained into the
simulator by one gateway process in ${runs.drain.seconds.toFixed(1)} s: **${drainRate.toFixed(0)} invoices/s**, ${(drainRate / sqliteDrainPerSecond).toFixed(2)} of
the SQLite drain above. The settles of a group transaction are one fenced UPDATE … FROM (VALUES …)
and a statement each for the attempts, documents jobs and audit entries that follow.
`;
}

// `node dist-bench/bench/postgres.js`: these runs alone.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  postgresAccept(base, Number(process.env.BENCH_REQUESTS ?? 10_000), Number(process.env.BENCH_CONCURRENCY ?? 64), mkdtempSync(join(tmpdir(), 'fapiao-pgbench-')))
    .then((runs) => {
      for (const line of describePostgresAccept(runs)) console.log(line);
      const boss = runs.accepts[0]!.result.perSecond;
      for (const row of runs.accepts.slice(1)) console.log(`  ratio ${row.what} / pg-boss: ${(row.result.perSecond / boss).toFixed(2)}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
