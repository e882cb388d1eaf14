/**
 * Reconciliation inside `serve`, daily at FAPIAO_RECONCILE_AT (Beijing time) for the day before,
 * on the one leased-work pattern: at that time each process enqueues a `reconcile` job per channel
 * and day (one job however many processes do so), and whichever claims it asks the upstream, with
 * no transaction open, then completes the job fenced by its claim; a failure is tried again later.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Channel } from '../channels/channel.js';
import { reconcileDay } from '../invoicing/reconciliation.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { completeJob, enqueueJobs, leaseDueJobs, recordJobFailure, releaseJobs, type JobLease } from '../store/job-queue.js';
import type { Database } from '../store/schema/index.js';
import { retryDelayMs } from './backoff.js';
import { LeasedWorker } from './leased-worker.js';
import { errorMessage } from '../domain/error-message.js';

const BEIJING_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The next time after `now` that Beijing clocks show `at` (HH:MM). */
export function nextRunAt(now: number, at: { readonly hour: number; readonly minute: number }): number {
  const beijingMidnight = Math.floor((now + BEIJING_MS) / DAY_MS) * DAY_MS - BEIJING_MS;
  const today = beijingMidnight + (at.hour * 60 + at.minute) * 60_000;
  return today > now ? today : today + DAY_MS;
}

/** The Beijing day before the one `ms` falls on, YYYY-MM-DD. */
export function dayBefore(ms: number): string {
  return new Date(ms + BEIJING_MS - DAY_MS).toISOString().slice(0, 10);
}

/** `CHANNEL@YYYY-MM-DD`, the subject of a reconcile job. */
const subject = (channel: string, day: string) => `${channel}@${day}`;

export interface DailyReconciliationDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly channels: readonly Channel[];
  readonly clock: Clock;
  readonly events: GatewayEvents;
  readonly log: Logger;
  /** When, Beijing time. */
  readonly at: { readonly hour: number; readonly minute: number };
  readonly pollIntervalMs: number;
  readonly backoff: { readonly baseMs: number; readonly capMs: number };
}

export class DailyReconciliation {
  private readonly worker: LeasedWorker<JobLease>;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DailyReconciliationDeps) {
    this.worker = new LeasedWorker(
      {
        claim: (free) => leaseDueJobs(deps.db, deps.capabilities, 'reconcile', deps.clock.now(), { limit: free, leaseMs: 10 * 60_000 }),
        work: (lease) => this.run(lease),
        release: (leases) => releaseJobs(deps.db, leases, deps.clock.now()),
      },
      { concurrency: 1, refillAt: 0, pollIntervalMs: deps.pollIntervalMs, name: 'reconciliation' },
      deps.log,
    );
  }

  start(): void {
    this.deps.events.reconciliationScheduled(this.deps.channels.filter((channel) => channel.listIssued !== undefined).map((channel) => channel.name));
    this.worker.start();
    this.schedule();
  }

  async stop(deadlineAt?: number): Promise<void> {
    clearTimeout(this.timer);
    await this.worker.stop(deadlineAt);
  }

  /** Queues the day before `at` for every channel that can list a day, due now (once, however many processes ask). */
  async enqueueDayBefore(at: number): Promise<void> {
    const day = dayBefore(at);
    const subjects = this.deps.channels.filter((channel) => channel.listIssued !== undefined).map((channel) => subject(channel.name, day));
    await this.deps.db.transaction().execute((tx) => enqueueJobs(tx, 'reconcile', subjects, this.deps.clock.now()));
    this.worker.wake();
  }

  private schedule(): void {
    const now = this.deps.clock.now();
    this.timer = setTimeout(() => {
      this.enqueueDayBefore(this.deps.clock.now())
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'could not queue the daily reconciliation; it is queued again tomorrow'))
        .finally(() => this.schedule());
    }, nextRunAt(now, this.deps.at) - now);
    this.timer.unref();
  }

  /** Asks the upstream with no transaction open; completes the job fenced by its claim. */
  private async run(lease: JobLease): Promise<void> {
    const { db, capabilities, clock, events, log } = this.deps;
    const [name = '', day = ''] = lease.subjectId.split('@');
    const channel = this.deps.channels.find((candidate) => candidate.name === name);
    try {
      if (!channel) throw new Error(`channel ${name} is not configured in this process`);
      const report = await reconcileDay({ db, capabilities, now: () => clock.now() }, channel, day, AbortSignal.timeout(5 * 60_000));
      events.reconciled(report);
      await db.transaction().execute((tx) => completeJob(tx, lease, clock.now()));
    } catch (error) {
      const message = errorMessage(error);
      events.reconciliationFailed({ channel: name, day, error: message });
      const nextAt = clock.now() + retryDelayMs(lease.attempts + 1, this.deps.backoff, Math.random());
      await recordJobFailure(db, lease, { message, nextAt, now: clock.now() }).catch((storeError: unknown) =>
        log.error({ err: storeError, subject: lease.subjectId }, 'could not record the reconciliation failure; the claim will expire'),
      );
    }
  }
}
