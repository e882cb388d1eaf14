/**
 * The one way background work runs here: claim due jobs (a short transaction that leases them),
 * work on each with no transaction open, and let the work settle fenced by its lease. This class
 * holds what every kind of work shares — the polling loop, the number in flight, wake-ups, a stop
 * that waits for what is in flight; the dispatcher and the document renderer each supply the claim
 * and the work (the store's fenced settles live in src/store/invoice-leases.ts and job-queue.ts).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { PollingLoop, type RoundResult } from '../runtime/polling-loop.js';
import { releaseJobs, type JobLease } from '../store/job-queue.js';
import type { Database } from '../store/schema/index.js';

export interface LeasedWork<L> {
  /** Claims at most `free` due jobs; [] when none are due. */
  claim(free: number): Promise<readonly L[]>;
  /**
   * Works on one claimed job and settles it; must not throw (a failure is recorded or left to the
   * lease). `stopping` aborts when the process must stop before the work is done.
   */
  work(lease: L, stopping: AbortSignal): Promise<void>;
  /**
   * Gives back claims whose work did not end by the stop's deadline, so that another process takes
   * the jobs at once instead of after their leases run out; fenced, so a late settle writes nothing.
   */
  release(leases: readonly L[]): Promise<void>;
}

/** After the deadline aborts the work in flight, how long it has to settle before its claims are given back, ms. */
const ABORT_GRACE_MS = 2000;

export interface LeasedWorkerOptions {
  /** Jobs in flight at once in this process. */
  readonly concurrency: number;
  /** How often to look for due work when nothing wakes the worker, ms. */
  readonly pollIntervalMs: number;
  /**
   * A finished job wakes the worker to claim more once no more than this many are in flight.
   * @default concurrency / 2
   */
  readonly refillAt?: number;
  /** Named in the log when a round fails. */
  readonly name: string;
}

export class LeasedWorker<L> {
  private readonly inFlight = new Map<Promise<void>, L>();
  private readonly loop: PollingLoop;
  private readonly stopping = new AbortController();

  constructor(
    private readonly job: LeasedWork<L>,
    private readonly options: LeasedWorkerOptions,
    private readonly log: Logger,
  ) {
    this.loop = new PollingLoop(() => this.round(), options.pollIntervalMs, (error) =>
      log.error({ err: error, worker: options.name }, `${options.name} round failed; trying again after the poll interval`),
    );
  }

  start(): void {
    this.loop.start();
  }

  /**
   * Stops claiming and waits for the jobs in flight to settle — until `deadlineAt` (epoch ms, real
   * time) at most: then their work is aborted, and what has still not settled a moment later is
   * given back (LeasedWork.release) rather than left to its lease.
   */
  async stop(deadlineAt = Infinity): Promise<void> {
    await this.loop.stop();
    if (await this.settledBy(deadlineAt)) return;
    this.stopping.abort(new Error(`${this.options.name} stopping`));
    if (await this.settledBy(Date.now() + ABORT_GRACE_MS)) return;
    const leftover = [...this.inFlight.values()];
    try {
      await this.job.release(leftover);
      this.log.warn({ worker: this.options.name, released: leftover.length }, `${this.options.name}: gave back the claims whose work did not end in time`);
    } catch (error) {
      this.log.error({ err: error, worker: this.options.name }, `${this.options.name}: could not give back its claims; they run out by themselves`);
    }
  }

  /** Whether everything in flight settled before `at` (epoch ms). */
  private async settledBy(at: number): Promise<boolean> {
    const all = Promise.allSettled([...this.inFlight.keys()]).then(() => true);
    if (at === Infinity) return all;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, at - Date.now()))));
    try {
      return await Promise.race([all, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A hint that work may be due (after a commit or a settled job). */
  wake(): void {
    this.loop.wake();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** One round: claim what fits and start it; a full claim means more may be due, so go round at once. */
  private async round(): Promise<RoundResult> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return 'idle';
    const leases = await this.job.claim(free);
    for (const lease of leases) this.track(lease, this.job.work(lease, this.stopping.signal));
    return leases.length > 0 && leases.length === free ? 'more' : 'idle';
  }

  /**
   * Tracks a job and, when it ends, wakes the loop once enough slots are free (refillAt): a claim
   * is a transaction (an fsync on SQLite), so claiming in batches rather than one job per finished
   * one is what lets a backlog drain fast. The poll timer covers the rest.
   */
  private track(lease: L, work: Promise<void>): void {
    this.inFlight.set(work, lease);
    void work.finally(() => {
      this.inFlight.delete(work);
      if (this.inFlight.size <= (this.options.refillAt ?? this.options.concurrency / 2)) this.wake();
    });
  }
}

/**
 * A background worker on the leased-work pattern, made one way: the subclass names what it claims
 * (in the constructor) and how it works on one claimed job; starting, waking and stopping are here.
 */
export abstract class LeasedJobWorker<L extends { readonly job: JobLease }> {
  private readonly worker: LeasedWorker<L>;

  constructor(claim: (free: number) => Promise<readonly L[]>, options: LeasedWorkerOptions, deps: { readonly db: Kysely<Database>; readonly clock: Clock; readonly log: Logger }) {
    this.worker = new LeasedWorker(
      { claim, work: (lease) => this.work(lease), release: (leases) => releaseJobs(deps.db, leases.map((lease) => lease.job), deps.clock.now()) },
      options,
      deps.log,
    );
  }

  /** Works on one claimed job and settles it fenced by its lease; must not throw. */
  protected abstract work(lease: L): Promise<void>;

  start(): void {
    this.worker.start();
  }

  /** Stops claiming and waits for the jobs in flight to settle, until `deadlineAt` at most (LeasedWorker.stop). */
  stop(deadlineAt?: number): Promise<void> {
    return this.worker.stop(deadlineAt);
  }

  /** A hint that work may be due now. */
  wake(): void {
    this.worker.wake();
  }

  /** Jobs in flight now. */
  get busy(): number {
    return this.worker.busy;
  }
}
