// An open-loop load generator: requests are sent at a fixed rate whether or not earlier ones were
// answered, as a crowd of independent clients would, so overload shows as it really does (a
// closed loop slows itself down and hides it). Loopback only; bounded in time and count.
import { Pool } from 'undici';

export interface OpenLoopResult {
  readonly targetPerSecond: number;
  /** What the generator managed to send (on a shared 2-core machine it may fall short). */
  readonly sentPerSecond: number;
  readonly sent: number;
  readonly accepted: number;
  /** 503/429 answered within a second: refused early, as promised. */
  readonly refusedFast: number;
  /** No answer within the client's time-out, or a connection error. */
  readonly timedOut: number;
  readonly other: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The gateway's largest resident set during the run, MiB. */
  readonly peakRssMiB: number;
}

export function rssMiB(pid: number): Promise<number> {
  return import('node:fs/promises').then(async ({ readFile }) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return kib / 1024;
  });
}

export async function openLoop(
  url: string,
  options: {
    readonly perSecond: number;
    readonly seconds: number;
    readonly serverPid: number;
    readonly timeoutMs: number;
    readonly body: (i: number) => string;
    readonly headers: (i: number) => Record<string, string>;
  },
): Promise<OpenLoopResult> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 2048, pipelining: 1, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connectTimeout: options.timeoutMs });
  const total = Math.round(options.perSecond * options.seconds);
  const latencies: number[] = [];
  let accepted = 0;
  let refusedFast = 0;
  let timedOut = 0;
  let other = 0;
  let peakRss = 0;
  const sampler = setInterval(() => void rssMiB(options.serverPid).then((mib) => (peakRss = Math.max(peakRss, mib))), 100);
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  let sent = 0;
  // Send in 10 ms ticks: each tick sends what the schedule owes by now.
  while (sent < total) {
    const owed = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.perSecond));
    for (; sent < owed; sent++) {
      const i = sent;
      const t0 = performance.now();
      inFlight.push(
        pool
          .request({ method: 'POST', path: target.pathname, headers: { 'content-type': 'application/json', ...options.headers(i) }, body: options.body(i) })
          .then(async (response) => {
            await response.body.dump();
            const ms = performance.now() - t0;
            latencies.push(ms);
            if (response.statusCode === 202) accepted++;
            else if ((response.statusCode === 503 || response.statusCode === 429) && ms < 1000) refusedFast++;
            else other++;
          })
          .catch(() => {
            timedOut++;
          }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, await rssMiB(options.serverPid));
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return {
    targetPerSecond: options.perSecond,
    sentPerSecond: sent / sendSeconds,
    sent,
    accepted,
    refusedFast,
    timedOut,
    other,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    peakRssMiB: peakRss,
  };
}
