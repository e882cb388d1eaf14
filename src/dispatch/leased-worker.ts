/**
 * The one way background work runs here: claim due jobs (a short transaction that leases them),
 * work on each with no transaction open, and let the work settle fenced by its lease. This class
 * holds what every kind of work shares — the polling loop, the number in flight, wake-ups, a stop
 * that waits for what is in flight; the dispatcher and the document renderer each supply the claim
 * and the work (the store's fenced settles live in src/store/invoice-leases.ts and job-queue.ts).
 */
import type { Logger } from 'pino';
import { PollingLoop, type RoundResult } from '../runtime/polling-loop.js';

export interface LeasedWork<L> {
  /** Claims at most `free` due jobs; [] when none are due. */
  claim(free: number): Promise<readonly L[]>;
  /** Works on one claimed job and settles it; must not throw (a failure is recorded or left to the lease). */
  work(lease: L): Promise<void>;
}

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
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop: PollingLoop;

  constructor(
    private readonly job: LeasedWork<L>,
    private readonly options: LeasedWorkerOptions,
    log: Logger,
  ) {
    this.loop = new PollingLoop(() => this.round(), options.pollIntervalMs, (error) =>
      log.error({ err: error, worker: options.name }, `${options.name} round failed; trying again after the poll interval`),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming and waits for the jobs in flight to settle. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
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
    for (const lease of leases) this.track(this.job.work(lease));
    return leases.length > 0 && leases.length === free ? 'more' : 'idle';
  }

  /**
   * Tracks a job and, when it ends, wakes the loop once enough slots are free (refillAt): a claim
   * is a transaction (an fsync on SQLite), so claiming in batches rather than one job per finished
   * one is what lets a backlog drain fast. The poll timer covers the rest.
   */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
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
export abstract class LeasedJobWorker<L> {
  private readonly worker: LeasedWorker<L>;

  constructor(claim: (free: number) => Promise<readonly L[]>, options: LeasedWorkerOptions, log: Logger) {
    this.worker = new LeasedWorker({ claim, work: (lease) => this.work(lease) }, options, log);
  }

  /** Works on one claimed job and settles it fenced by its lease; must not throw. */
  protected abstract work(lease: L): Promise<void>;

  start(): void {
    this.worker.start();
  }

  /** Stops claiming and waits for the jobs in flight to settle. */
  stop(): Promise<void> {
    return this.worker.stop();
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
