// The one pattern every background job runs on: never more in flight than its concurrency, a full
// claim goes round again at once, a finished batch claims the next, and stop() waits for the jobs
// in flight — until its deadline, then aborts them and gives back the claims still held.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeasedWorker } from '../../src/dispatch/leased-worker.js';

function queue(total: number) {
  let next = 0;
  let inFlight = 0;
  let peak = 0;
  const claims: number[] = [];
  const done: number[] = [];
  const release: Array<() => void> = [];
  const givenBack: number[] = [];
  const aborted: number[] = [];
  return {
    claims,
    done,
    release,
    givenBack,
    aborted,
    get peak() {
      return peak;
    },
    job: {
      claim(free: number) {
        const taken = Array.from({ length: Math.min(free, total - next) }, () => next++);
        claims.push(taken.length);
        return Promise.resolve(taken);
      },
      async work(id: number, stopping: AbortSignal) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        stopping.addEventListener('abort', () => aborted.push(id), { once: true });
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight--;
        done.push(id);
      },
      release(leases: readonly number[]) {
        givenBack.push(...leases);
        return Promise.resolve();
      },
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LeasedWorker', () => {
  it('keeps at most `concurrency` jobs in flight and claims the next batch when enough are done', async () => {
    const q = queue(10);
    const worker = new LeasedWorker(q.job, { concurrency: 4, pollIntervalMs: 60_000, name: 'test' }, pino({ level: 'silent' }));
    worker.start();
    await settle();
    expect(q.claims).toEqual([4]);
    expect(worker.busy).toBe(4);
    // One done: three in flight, more than half: no new claim yet.
    q.release.shift()!();
    await settle();
    expect(q.claims).toEqual([4]);
    // Two done: half the slots free, the worker claims two more.
    q.release.shift()!();
    await settle();
    await settle();
    expect(q.claims).toEqual([4, 2]);
    expect(worker.busy).toBe(4);
    while (q.done.length < 10) {
      q.release.shift()?.();
      await settle();
    }
    expect(q.peak).toBe(4);
    expect([...q.done].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await worker.stop();
  });

  it('with refillAt 0 claims a new batch only when the last one is done', async () => {
    const q = queue(8);
    const worker = new LeasedWorker(q.job, { concurrency: 4, refillAt: 0, pollIntervalMs: 60_000, name: 'test' }, pino({ level: 'silent' }));
    worker.start();
    await settle();
    for (let i = 0; i < 3; i++) q.release.shift()!();
    await settle();
    expect(q.claims).toEqual([4]);
    q.release.shift()!();
    await settle();
    await settle();
    expect(q.claims).toEqual([4, 4]);
    while (q.release.length > 0) q.release.shift()!();
    await worker.stop();
  });

  it('stop() waits for the jobs in flight and claims nothing more', async () => {
    const q = queue(100);
    const worker = new LeasedWorker(q.job, { concurrency: 3, pollIntervalMs: 60_000, name: 'test' }, pino({ level: 'silent' }));
    worker.start();
    await settle();
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    while (q.release.length > 0) q.release.shift()!();
    await stopping;
    expect(q.done).toHaveLength(3);
    expect(q.claims).toEqual([3]);
  });

  it('stop(deadline) aborts the work still in flight at the deadline and gives back the claims that do not settle', async () => {
    const q = queue(100);
    const worker = new LeasedWorker(q.job, { concurrency: 3, pollIntervalMs: 60_000, name: 'test' }, pino({ level: 'silent' }));
    worker.start();
    await settle();
    // One finishes in time; the other two hang past the deadline and past the abort's grace.
    q.release.shift()!();
    const started = Date.now();
    await worker.stop(Date.now() + 100);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(q.aborted).toEqual(expect.arrayContaining([1, 2]));
    expect(q.givenBack.sort()).toEqual([1, 2]);
    expect(q.claims).toEqual([3]);
  });
});
