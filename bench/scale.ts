// How cost grows with what is stored: a SQLite gateway holding a million invoices (written by
// bench/seed-invoices.ts, not through the API) beside an empty one — the accept rate on each, the
// invoice list's latency per filter, the dispatcher's claim with 100,000 waiting, the gateway's
// memory while it works through them, and `fapiao backup` of the whole file.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { openStore } from '../src/store/database.js';
import { leaseDue } from '../src/store/invoice-leases.js';
import { postLoad, type LoadResult } from './load.js';
import { rssMiB } from './open-loop.js';
import { start, stop } from './processes.js';
import { seedBuyer, seedInvoices, seedNumber, seedTotal } from './seed-invoices.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/fapiao');
const example = JSON.parse(readFileSync(join(ROOT, 'examples/invoice.json'), 'utf8')) as Record<string, unknown>;
const DAY = 86_400_000;

export interface Latency {
  readonly name: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Invoices on the first page of the last request (shows the filter found something, or nothing). */
  readonly found: number;
}

export interface ScaleResult {
  readonly invoices: number;
  readonly pending: number;
  readonly seedSeconds: number;
  readonly acceptEmpty: LoadResult;
  readonly acceptFull: LoadResult;
  readonly lists: readonly Latency[];
  /** The gateway that answered the lists (workers off), after them. */
  readonly servingRssMiB: number;
  readonly claim: { readonly p50Ms: number; readonly p99Ms: number; readonly batch: number };
  /** The same claim on a database holding only the 3,200 invoices the claims take. */
  readonly claimSmall: { readonly p50Ms: number; readonly p99Ms: number; readonly batch: number };
  /** Started as `node bin/fapiao serve`, its own defaults. */
  readonly working: Working;
  /** Started as the image and `npm start` start it (`node --max-semi-space-size=4`), on what the first left waiting. */
  readonly workingAsShipped: Working;
  /** With V8's own heap growth (FAPIAO_HEAP_GROWING_PERCENT=0, the default before), on what was left. */
  readonly workingV8Growth: Working;
  readonly backup: { readonly mib: number; readonly seconds: number; readonly peakRssMiB: number };
}

interface Working {
  readonly peakRssMiB: number;
  readonly seconds: number;
  readonly issued: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Accepts `requests` invoices into the gateway on `file`, workers off. */
async function acceptInto(file: string, key: string, requests: number, tag: string): Promise<LoadResult> {
  const gateway = await start(BIN, ['serve', '--port', '0', '--db', file, '--channel', 'none=http://127.0.0.1:1'], { FAPIAO_CONCURRENCY: '0' });
  const post = (count: number, prefix: string) =>
    postLoad(`${gateway.url}/v1/invoices`, {
      requests: count,
      concurrency: 64,
      body: (i) => JSON.stringify({ ...example, orderNo: `${prefix}-${i}` }),
      headers: (i) => ({ authorization: `Bearer ${key}`, 'idempotency-key': `${prefix}-${i}` }),
    });
  await post(1000, `${tag}-warm`);
  const result = await post(requests, tag);
  await stop(gateway.child);
  return result;
}

/** GET /v1/invoices with each filter, `times` requests each, one at a time, values varied. */
async function listLatencies(file: string, key: string, invoices: number, newestAt: number, times: number): Promise<{ lists: Latency[]; rssMiB: number }> {
  const gateway = await start(BIN, ['serve', '--port', '0', '--db', file, '--channel', 'none=http://127.0.0.1:1'], { FAPIAO_CONCURRENCY: '0' });
  // Issued invoices are those not among the newest (pending) ones, nor every 97th or 89th.
  const issuedN = (i: number) => {
    let n = (i * 7_919 + 12_345) % Math.floor(invoices * 0.8);
    while (n % 97 === 0 || n % 89 === 0) n++;
    return n;
  };
  const frequent = seedBuyer(7).name;
  const filters: [string, (i: number) => string][] = [
    ['none (the newest page)', () => ''],
    ['number', (i) => `number=${seedNumber(issuedN(i))}`],
    ['total', (i) => `total=${seedTotal(issuedN(i))}`],
    ['buyerTaxId', (i) => `buyerTaxId=${seedBuyer(issuedN(i)).taxId}`],
    ['buyerName, one company', (i) => `buyerName=${encodeURIComponent(seedBuyer(issuedN(i) * 7 + 1).name.slice(2, 6))}`],
    ['buyerName, a frequent buyer', () => `buyerName=${encodeURIComponent(frequent.slice(0, 4))}`],
    ['buyerName, nobody', (i) => `buyerName=${encodeURIComponent(`没有这家公司${i}`)}`],
    ['one day (from, to)', (i) => `from=${new Date(newestAt - (1 + (i % 80)) * DAY).toISOString()}&to=${new Date(newestAt - (i % 80) * DAY).toISOString()}`],
    ['status=failed', () => 'status=failed'],
    ['status=rejected, one week', (i) => `status=rejected&from=${new Date(newestAt - (8 + (i % 60)) * DAY).toISOString()}&to=${new Date(newestAt - (1 + (i % 60)) * DAY).toISOString()}`],
  ];
  const results: Latency[] = [];
  for (const [name, query] of filters) {
    const times_: number[] = [];
    let found = 0;
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      const answer = await request(`${gateway.url}/v1/invoices?limit=50${query(i) ? `&${query(i)}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
      const page = (await answer.body.json()) as { data?: unknown[]; code?: string };
      times_.push(performance.now() - t0);
      if (answer.statusCode !== 200) throw new Error(`GET /v1/invoices?${query(i)} answered ${answer.statusCode} ${page.code}`);
      found = page.data!.length;
    }
    times_.sort((a, b) => a - b);
    results.push({ name, p50Ms: percentile(times_, 0.5), p99Ms: percentile(times_, 0.99), found });
  }
  const rss = await rssMiB(gateway.child.pid!);
  await stop(gateway.child);
  return { lists: results, rssMiB: rss };
}

/** The dispatcher's claim (32 due invoices) timed `times` times in this process. */
async function claimLatency(file: string, times: number): Promise<ScaleResult['claim']> {
  const store = await openStore({ kind: 'sqlite', file });
  const took: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const leases = await leaseDue(store.db, store.capabilities, Date.now(), { workerId: 'bench', limit: 32, leaseMs: 90_000, usableChannels: ['bench'], newWorkChannel: 'bench' });
    took.push(performance.now() - t0);
    if (leases.length !== 32) throw new Error(`the claim found ${leases.length} due invoices`);
  }
  await store.close();
  took.sort((a, b) => a - b);
  return { p50Ms: percentile(took, 0.5), p99Ms: percentile(took, 0.99), batch: 32 };
}

/** A gateway with workers on, `seconds` long, issuing the waiting invoices into the null upstream. */
async function workingMemory(file: string, seconds: number, env: Record<string, string> = {}): Promise<ScaleResult['working']> {
  const upstream = await start(join(import.meta.dirname, 'null-upstream.js'), []);
  const gateway = await start(BIN, ['serve', '--port', '0', '--db', file, '--channel', `null=${upstream.url}`], { FAPIAO_POLL_AFTER_MS: '20', ...env });
  let peak = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    peak = Math.max(peak, await rssMiB(gateway.child.pid!));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop(gateway.child);
  await stop(upstream.child);
  const store = await openStore({ kind: 'sqlite', file });
  const issued = await store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'issued').where('channel', '=', 'null').executeTakeFirstOrThrow();
  await store.close();
  return { peakRssMiB: peak, seconds, issued: Number(issued.n) };
}

/** `fapiao backup` of `file`: its own reported size and time, and its peak memory. */
async function backupOf(file: string, dest: string): Promise<ScaleResult['backup']> {
  const child = spawn(process.execPath, [BIN, 'backup', dest, '--db', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  const sampler = setInterval(() => void rssMiB(child.pid!).then((mib) => (peak = Math.max(peak, mib))), 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const match = /([\d.]+) MiB in ([\d.]+) s/.exec(output);
  if (code !== 0 || !match) throw new Error(`fapiao backup exited ${code}: ${output}`);
  return { mib: Number(match[1]), seconds: Number(match[2]), peakRssMiB: peak };
}

export async function scaleBench(parentDir: string, invoices: number, pending: number, requests: number): Promise<ScaleResult> {
  const dataDir = join(parentDir, 'scale');
  mkdirSync(dataDir, { recursive: true });
  const emptyFile = join(dataDir, 'scale-empty.db');
  const fullFile = join(dataDir, 'scale-full.db');
  const empty = await seedInvoices(emptyFile, 0, 0);
  const full = await seedInvoices(fullFile, invoices, pending);
  // Alternated, so a slow moment of a shared machine falls on both; the better run of each counts.
  const emptyRuns = [await acceptInto(emptyFile, empty.key, requests, 'e1')];
  const fullRuns = [await acceptInto(fullFile, full.key, requests, 'f1')];
  emptyRuns.push(await acceptInto(emptyFile, empty.key, requests, 'e2'));
  fullRuns.push(await acceptInto(fullFile, full.key, requests, 'f2'));
  const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const { lists, rssMiB: servingRssMiB } = await listLatencies(fullFile, full.key, invoices, full.newestAt, 100);
  const smallFile = join(dataDir, 'scale-small.db');
  await seedInvoices(smallFile, 3_200, 3_200);
  const claimSmall = await claimLatency(smallFile, 100);
  const claim = await claimLatency(fullFile, 100);
  // Each run issues into the same null channel: its own count is the total less the runs before it.
  const working = await workingMemory(fullFile, 15);
  const shipped = await workingMemory(fullFile, 15, { NODE_OPTIONS: '--max-semi-space-size=4' });
  const workingAsShipped = { ...shipped, issued: shipped.issued - working.issued };
  const v8Growth = await workingMemory(fullFile, 15, { FAPIAO_HEAP_GROWING_PERCENT: '0' });
  const workingV8Growth = { ...v8Growth, issued: v8Growth.issued - shipped.issued };
  const backup = await backupOf(fullFile, join(dataDir, 'scale-backup'));
  // Six gigabytes between them: gone before the rest of the bench needs the disk.
  rmSync(dataDir, { recursive: true, force: true });
  return { invoices, pending, seedSeconds: full.seconds, acceptEmpty: best(emptyRuns), acceptFull: best(fullRuns), lists, servingRssMiB, claim, claimSmall, working, workingAsShipped, workingV8Growth, backup };
}

export function describeScale(r: ScaleResult): string[] {
  return [
    `seeded ${r.invoices} invoices (${r.pending} waiting) in ${r.seedSeconds.toFixed(1)} s`,
    `accept, empty: ${r.acceptEmpty.perSecond.toFixed(0)}/s p99 ${r.acceptEmpty.p99Ms.toFixed(1)} ms; with ${r.invoices}: ${r.acceptFull.perSecond.toFixed(0)}/s p99 ${r.acceptFull.p99Ms.toFixed(1)} ms; ratio ${(r.acceptFull.perSecond / r.acceptEmpty.perSecond).toFixed(2)}`,
    ...r.lists.map((l) => `GET /v1/invoices ${l.name}: p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms (${l.found} on the last page)`),
    `claim of ${r.claim.batch} with ${r.pending} waiting: p50 ${r.claim.p50Ms.toFixed(2)} ms, p99 ${r.claim.p99Ms.toFixed(2)} ms (3,200 stored: p50 ${r.claimSmall.p50Ms.toFixed(2)} ms, p99 ${r.claimSmall.p99Ms.toFixed(2)} ms)`,
    `RSS after the lists, workers off: ${r.servingRssMiB.toFixed(0)} MiB; working through the waiting for ${r.working.seconds} s: ${r.working.issued} issued, peak RSS ${r.working.peakRssMiB.toFixed(0)} MiB; as shipped (--max-semi-space-size=4): ${r.workingAsShipped.issued} issued, ${r.workingAsShipped.peakRssMiB.toFixed(0)} MiB; V8's own heap growth: ${r.workingV8Growth.issued} issued, ${r.workingV8Growth.peakRssMiB.toFixed(0)} MiB`,
    `fapiao backup: ${r.backup.mib.toFixed(0)} MiB in ${r.backup.seconds.toFixed(1)} s (${(r.backup.mib / r.backup.seconds).toFixed(0)} MiB/s), peak RSS ${r.backup.peakRssMiB.toFixed(0)} MiB`,
  ];
}

/** MiB as the targets' MB (10^6 bytes). */
const mb = (mib: number) => ((mib * 1024 * 1024) / 1e6).toFixed(0);

export function scaleSection(r: ScaleResult): string {
  const ratio = r.acceptFull.perSecond / r.acceptEmpty.perSecond;
  return `## How cost grows with what is stored: ${r.invoices.toLocaleString('en')} invoices on SQLite

A seller's 90 days written straight into the database by \`bench/seed-invoices.ts\` (${r.seedSeconds.toFixed(0)} s; 3,200
buyers, a few far more frequent; ${r.pending.toLocaleString('en')} of the newest still waiting), beside an empty database.

| measure | empty | with ${r.invoices.toLocaleString('en')} | ratio or target |
|---|---|---|---|
| accept, ${r.acceptEmpty.requests} at concurrency 64, workers off (better of two, alternated) | ${r.acceptEmpty.perSecond.toFixed(0)}/s, p99 ${r.acceptEmpty.p99Ms.toFixed(1)} ms | ${r.acceptFull.perSecond.toFixed(0)}/s, p99 ${r.acceptFull.p99Ms.toFixed(1)} ms | **${ratio.toFixed(2)}** (target ≥ 0.85) |
| the dispatcher's claim of ${r.claim.batch} due invoices (one transaction, its commit synced), ${r.pending.toLocaleString('en')} waiting; beside it 3,200 stored, all waiting | p50 ${r.claimSmall.p50Ms.toFixed(2)} ms, p99 ${r.claimSmall.p99Ms.toFixed(2)} ms | p50 ${r.claim.p50Ms.toFixed(2)} ms, p99 ${r.claim.p99Ms.toFixed(2)} ms | target < 1 ms |
| RSS of the gateway that answered the lists (workers off) | | ${r.servingRssMiB.toFixed(0)} MiB | |
| peak RSS of a gateway working through the waiting invoices, started as \`node bin/fapiao serve\` (null upstream, ${r.working.seconds} s, ${r.working.issued} issued, documents rendered) | | ${r.working.peakRssMiB.toFixed(0)} MiB (${mb(r.working.peakRssMiB)} MB) | target < 250 MB |
| the same, started as the image and \`npm start\` start it (\`node --max-semi-space-size=4\`; ${r.workingAsShipped.issued} issued) | | ${r.workingAsShipped.peakRssMiB.toFixed(0)} MiB (${mb(r.workingAsShipped.peakRssMiB)} MB) | target < 250 MB |
| the same, with V8's own heap growth (\`FAPIAO_HEAP_GROWING_PERCENT=0\`, the default before; ${r.workingV8Growth.issued} issued) | | ${r.workingV8Growth.peakRssMiB.toFixed(0)} MiB (${mb(r.workingV8Growth.peakRssMiB)} MB) | |
| \`fapiao backup\` of the file (online, SQLite's backup API) | | ${r.backup.mib.toFixed(0)} MiB in ${r.backup.seconds.toFixed(1)} s: ${(r.backup.mib / r.backup.seconds).toFixed(0)} MiB/s, peak RSS ${r.backup.peakRssMiB.toFixed(0)} MiB | memory flat |

\`GET /v1/invoices?limit=50\` with each filter, 100 requests one after another, the value varied:

| filter | p50 | p99 | on the last page |
|---|---|---|---|
${r.lists.map((l) => `| ${l.name} | ${l.p50Ms.toFixed(1)} ms | ${l.p99Ms.toFixed(1)} ms | ${l.found} |`).join('\n')}

Target p99 < 50 ms. Each exact filter has an index ending in the id (migration 016), a date range
is an id range (ids begin with their time), and a part of a buyer's name is looked up among the
seller's distinct names, read one per index probe, and then each matching buyer's newest invoices
(src/store/buyer-names.ts). A seller with more than 5,000 distinct buyers (people, not companies)
is searched by a scan of its invoices instead, as before: on a million that takes about a second.
`;
}

// `node dist-bench/bench/scale.js [INVOICES]`: this section alone.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const result = await scaleBench(mkdtempSync(join(tmpdir(), 'fapiao-scale-')), Number(process.argv[2] ?? 1_000_000), 100_000, 5_000);
  for (const line of describeScale(result)) console.log(line);
}
