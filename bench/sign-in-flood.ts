// A console sign-in flood (issue 23, item 3): 30 clients, each from its own address, send wrong
// passwords for made-up names as fast as they are answered, for 20 s; meanwhile a real person signs
// in from a clean address every second and a page's script is fetched. Reported against the same
// sign-in and fetch with no flood, measured in the same run. Targets: a real sign-in under 1 s, the
// asset under 200 ms. Loopback only, bounded in time and count.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { hashPassword } from '../src/runtime/password-hash.js';
import { addUser } from '../src/store/console-users.js';
import { openStore } from '../src/store/database.js';
import { start, stop } from './processes.js';

export interface SignInFlood {
  readonly clients: number;
  readonly seconds: number;
  /** Flood requests answered, by status. */
  readonly floodAnswers: Readonly<Record<string, number>>;
  readonly quietLoginMs: number;
  readonly quietAssetMs: number;
  /** Each real sign-in during the flood: its time and status. */
  readonly floodLogins: ReadonlyArray<{ readonly ms: number; readonly status: number }>;
  readonly floodAssetMs: readonly number[];
}

const PASSWORD = 'a real person remembers this';
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
export const worst = (values: readonly number[]) => Math.max(...values);

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

export async function signInFloodBench(bin: string, options: { readonly clients?: number; readonly seconds?: number } = {}): Promise<SignInFlood> {
  const clients = options.clients ?? 30;
  const seconds = options.seconds ?? 20;
  const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-bench-flood-'));
  const db = join(dataDir, 'fapiao.db');
  const store = await openStore({ kind: 'sqlite', file: db });
  await addUser(store.db, store.capabilities, { username: 'ops', role: 'operator', sellers: [], passwordHash: await hashPassword(PASSWORD), by: 'bench', now: Date.now() });
  await store.close();
  const simulator = await start(bin, ['simulator', '--port', '0', '--data', join(dataDir, 'simulator')]);
  const gateway = await start(bin, ['serve', '--port', '0', '--db', db, '--channel', `sim=${simulator.url}`], { FAPIAO_TRUST_PROXY: '1', FAPIAO_CONCURRENCY: '0' });
  // Each client its own connection pool, as separate machines would be.
  const agent = new Agent({ connections: clients + 4 });
  const page = await request(`${gateway.url}/console`, { dispatcher: agent });
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await page.body.text())?.[1];
  if (!script) throw new Error('the console page names no script');
  const signIn = async (username: string, password: string, from: string) => {
    const answer = await request(`${gateway.url}/console/api/session`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify({ username, password }),
    });
    await answer.body.dump();
    return answer.statusCode;
  };
  const asset = async () => {
    const answer = await request(`${gateway.url}${script}`, { dispatcher: agent });
    await answer.body.dump();
    return answer.statusCode;
  };
  try {
    const quietLogins: number[] = [];
    const quietAssets: number[] = [];
    for (let i = 0; i < 7; i++) {
      const login = await timed(() => signIn('ops', PASSWORD, '192.0.2.1'));
      if (login.value !== 200) throw new Error(`the real sign-in answered ${login.value} with no flood`);
      quietLogins.push(login.ms);
      quietAssets.push((await timed(asset)).ms);
    }

    const floodAnswers: Record<string, number> = {};
    const until = performance.now() + seconds * 1000;
    let sent = 0;
    const flood = Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < until && sent < 200_000) {
        sent++;
        const status = await signIn(`bot-${client}-${sent}`, 'not the password at all', `198.51.${Math.floor(client / 200)}.${(client % 200) + 1}`).catch(() => 0);
        floodAnswers[status] = (floodAnswers[status] ?? 0) + 1;
      }
    });
    const floodLogins: Array<{ ms: number; status: number }> = [];
    const floodAssets: number[] = [];
    // Let the flood build up first.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    while (performance.now() < until - 1000) {
      const login = await timed(() => signIn('ops', PASSWORD, '192.0.2.1'));
      floodLogins.push({ ms: login.ms, status: login.value });
      floodAssets.push((await timed(asset)).ms);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await Promise.all(flood);
    return { clients, seconds, floodAnswers, quietLoginMs: median(quietLogins), quietAssetMs: median(quietAssets), floodLogins, floodAssetMs: floodAssets };
  } finally {
    await agent.close();
    await stop(gateway.child);
    await stop(simulator.child);
  }
}

export function describeSignInFlood(r: SignInFlood): string {
  const answered = Object.values(r.floodAnswers).reduce((sum, count) => sum + count, 0);
  const statuses = Object.entries(r.floodAnswers).map(([status, count]) => `${count} × ${status}`).join(', ');
  const logins = r.floodLogins.map((login) => login.ms);
  const failed = r.floodLogins.filter((login) => login.status !== 200).length;
  return [
    `flood: ${answered} wrong sign-ins in ${r.seconds} s from ${r.clients} addresses (${(answered / r.seconds).toFixed(0)}/s): ${statuses}`,
    `real sign-in: ${r.quietLoginMs.toFixed(0)} ms with no flood; during it median ${median(logins).toFixed(0)} ms, worst ${worst(logins).toFixed(0)} ms, ${failed} of ${r.floodLogins.length} not signed in at once`,
    `asset: ${r.quietAssetMs.toFixed(1)} ms with no flood; during it median ${median(r.floodAssetMs).toFixed(1)} ms, worst ${worst(r.floodAssetMs).toFixed(1)} ms`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await signInFloodBench(join(import.meta.dirname, '../../bin/fapiao'));
  console.log(describeSignInFlood(result));
}
