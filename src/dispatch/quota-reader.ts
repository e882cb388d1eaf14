/**
 * Reads each seller's 发票额度 from the first channel that tells it, as leased work (one process
 * reads a seller at a time, however many run): claim the sellers due, ask with no transaction open,
 * settle fenced by the lease. It keeps within the channel's own limits (诺诺: 20 reads a day, 30 s
 * apart) by spreading the day's reads over what is left of the day, reads again just after the
 * month turns, and books what the upstream counts beyond our own issuing as "used elsewhere".
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Channel } from '../channels/channel.js';
import { beijingTime } from '../domain/beijing-time.js';
import { errorMessage } from '../domain/error-message.js';
import type { Fen } from '../domain/money.js';
import { monthSpan, quotaMonth, quotaUse, usedElsewhere, type QuotaReading } from '../domain/quota.js';
import type { Clock } from '../runtime/clock.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { ensureSellerQuotas, fenOf, issuedSince, leaseDueQuotaReads, readingOf, releaseQuotaReads, settleQuotaRead, type QuotaReadLease, type QuotaReadResult } from '../store/quota-store.js';
import type { Database } from '../store/schema/index.js';
import type { Kysely } from 'kysely';
import { LeasedWorker } from './leased-worker.js';

const DAY = 86_400_000;
/** After the month's turn, the first read waits this long (the platform's 月初赋额 is not instant). */
const AFTER_MONTH_TURN_MS = 5 * 60_000;
/** How often the reader looks for sellers that have no quota row yet, ms. */
const SEEK_SELLERS_MS = 60_000;

export interface QuotaReaderOptions {
  /** How often to read a seller's quota where the channel sets no limit, ms. */
  readonly intervalMs: number;
  /** After a failed read, ms. */
  readonly retryMs: number;
  readonly callTimeoutMs: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
}

export interface QuotaReaderDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly channels: readonly Channel[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Told after each seller's read settled, so the guard takes a fresh snapshot. */
  readonly onRead: (sellerTaxId: string) => void;
}

/** The Beijing day of an instant, YYYY-MM-DD. */
const beijingDay = (ms: number) => beijingTime(ms).slice(0, 10);
/** The first instant of the next Beijing day. */
const nextBeijingDay = (ms: number) => Date.parse(`${beijingDay(ms)}T00:00:00+08:00`) + DAY;

/**
 * When to read again: at the interval where the channel sets no limit; else the day's reads left
 * spread over the rest of the day (never closer than its gap), and tomorrow once none are left.
 * Never later than just after the month's turn.
 */
export function nextQuotaRead(now: number, limits: Channel['quotaReads'], readsToday: number, intervalMs: number): number {
  const monthTurn = monthSpan(now).end + AFTER_MONTH_TURN_MS;
  if (!limits) return Math.min(now + intervalMs, monthTurn);
  const left = limits.perDay - readsToday;
  const dayEnd = nextBeijingDay(now);
  const next = left <= 0 ? dayEnd : now + Math.max(limits.gapMs, intervalMs, Math.floor((dayEnd - now) / left));
  return Math.min(next, Math.max(monthTurn, now + limits.gapMs));
}

export class QuotaReader {
  private readonly workerId = `q-${randomUUID().slice(0, 8)}`;
  private readonly worker: LeasedWorker<QuotaReadLease>;
  private readonly readable: readonly Channel[];
  private sellersSoughtAt: number | undefined;

  constructor(
    private readonly deps: QuotaReaderDeps,
    private readonly options: QuotaReaderOptions,
  ) {
    this.readable = deps.channels.filter((channel) => channel.readQuota !== undefined);
    this.worker = new LeasedWorker(
      {
        claim: (free) => this.claim(free),
        work: (lease, stopping) => this.read(lease, stopping),
        release: (leases) => releaseQuotaReads(deps.db, leases),
      },
      { concurrency: 2, pollIntervalMs: options.pollIntervalMs, name: 'quota reader' },
      deps.log,
    );
  }

  /** Nothing to do where no channel tells the quota. */
  start(): void {
    if (this.readable.length > 0) this.worker.start();
  }

  stop(deadlineAt?: number): Promise<void> {
    return this.worker.stop(deadlineAt);
  }

  wake(): void {
    this.worker.wake();
  }

  private async claim(free: number): Promise<readonly QuotaReadLease[]> {
    const now = this.deps.clock.now();
    // A newly registered seller is found within a minute; every poll would scan the sellers for nothing.
    if (this.sellersSoughtAt === undefined || now - this.sellersSoughtAt >= SEEK_SELLERS_MS || now < this.sellersSoughtAt) {
      await ensureSellerQuotas(this.deps.db, now);
      this.sellersSoughtAt = now;
    }
    return leaseDueQuotaReads(this.deps.db, this.deps.capabilities, now, { workerId: this.workerId, leaseMs: this.options.leaseMs, limit: free });
  }

  private async read(lease: QuotaReadLease, stopping: AbortSignal): Promise<void> {
    const { clock, log } = this.deps;
    const seller = lease.row.seller_tax_id;
    const channel = this.readable[0]!;
    const now = clock.now();
    const today = beijingDay(now);
    const readsToday = lease.row.reads_day === today ? Number(lease.row.reads_count) : 0;
    const limits = channel.quotaReads;
    // Over the channel's limit (another process read, or the clock moved): no call, just a later turn.
    const lastAt = lease.row.read_at === null ? null : Number(lease.row.read_at);
    const tooSoon = limits && ((lastAt !== null && now - lastAt < limits.gapMs) || readsToday >= limits.perDay);
    if (tooSoon) {
      // Within the gap, the turn came from an ask (POST …/quota/read; a settled read is never due
      // sooner): it is kept for the first moment the channel allows, not spread over the day.
      const allowedAt = readsToday < limits.perDay && lastAt !== null ? lastAt + limits.gapMs : nextQuotaRead(now, limits, readsToday, this.options.intervalMs);
      await this.settle(lease, now, null, { nextReadAt: allowedAt, readsDay: today, readsCount: readsToday });
      return;
    }
    let result: QuotaReadResult;
    try {
      const reading = await channel.readQuota!(seller, { signal: AbortSignal.any([stopping, AbortSignal.timeout(this.options.callTimeoutMs)]) });
      result = reading === null ? { kind: 'none', channel: channel.name } : { kind: 'read', channel: channel.name, reading, month: quotaMonth(reading.asOf), usedElsewhereFen: await this.usedElsewhere(lease, reading) };
    } catch (error) {
      result = { kind: 'failed', channel: channel.name, error: errorMessage(error) };
      log.warn({ channel: channel.name, seller, err: error }, 'could not read the seller\'s invoice quota; the guard keeps its last reading');
    }
    const after = clock.now();
    const nextReadAt = result.kind === 'failed' ? Math.min(after + this.options.retryMs, nextQuotaRead(after, limits, readsToday + 1, this.options.intervalMs)) : nextQuotaRead(after, limits, readsToday + 1, this.options.intervalMs);
    await this.settle(lease, after, result, { nextReadAt: Math.max(nextReadAt, after + (limits?.gapMs ?? 0)), readsDay: today, readsCount: readsToday + 1 });
  }

  private async settle(lease: QuotaReadLease, now: number, result: QuotaReadResult | null, schedule: { nextReadAt: number; readsDay: string; readsCount: number }): Promise<void> {
    try {
      // No call made: the row keeps what it had, only its turn moves.
      const kept: QuotaReadResult = result ?? keptResult(lease);
      if (await settleQuotaRead(this.deps.db, lease, result ? now : Number(lease.row.read_at ?? now), kept, schedule)) this.deps.onRead(lease.row.seller_tax_id);
    } catch (error) {
      this.deps.log.error({ err: error, seller: lease.row.seller_tax_id }, 'could not record the quota read; its lease runs out and it is read again');
    }
  }

  /** This month's "used elsewhere" as of `reading`: its used less what was issued here this month by then. */
  private async usedElsewhere(lease: QuotaReadLease, reading: QuotaReading): Promise<Fen> {
    const from = monthSpan(reading.asOf).start;
    const issued = await issuedSince(this.deps.db, this.deps.capabilities, lease.row.seller_tax_id, from);
    const usedHere = issued.filter((invoice) => invoice.issuedAt !== null && invoice.issuedAt <= reading.asOf).reduce((sum, invoice) => sum + quotaUse({ ...invoice, issuedAt: invoice.issuedAt! }), 0n);
    return usedElsewhere(reading, usedHere);
  }
}

/** A settle that changes nothing but the schedule: the row's own reading again. */
function keptResult(lease: QuotaReadLease): QuotaReadResult {
  const reading = readingOf(lease.row);
  if (reading && lease.row.channel && lease.row.month) return { kind: 'read', channel: lease.row.channel, reading, month: lease.row.month, usedElsewhereFen: fenOf(lease.row.used_elsewhere) };
  if (lease.row.read_error && lease.row.channel) return { kind: 'failed', channel: lease.row.channel, error: lease.row.read_error };
  return { kind: 'none', channel: lease.row.channel };
}
