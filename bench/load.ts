// A bounded load generator: a fixed number of POSTs at a fixed concurrency over keep-alive
// connections, recording each request's latency. Loopback only; stops by itself.
import { Pool } from 'undici';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
}

export async function postLoad(
  url: string,
  options: { readonly requests: number; readonly concurrency: number; readonly body: (i: number) => string; readonly headers: (i: number) => Record<string, string> },
): Promise<LoadResult> {
  const origin = new URL(url).origin;
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests) {
        const i = next++;
        const t0 = performance.now();
        const response = await pool.request({
          method: 'POST',
          path: new URL(url).pathname,
          headers: { 'content-type': 'application/json', ...options.headers(i) },
          body: options.body(i),
        });
        await response.body.dump();
        if (response.statusCode !== 202) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { requests: options.requests, seconds, perSecond: options.requests / seconds, p50Ms: at(0.5), p99Ms: at(0.99), failures };
}
