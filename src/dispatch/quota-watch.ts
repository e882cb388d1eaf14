/**
 * Keeps this process's quota guard fresh and acts on what it sees: every few seconds (and after
 * each reading) it takes new snapshots; a seller whose room grew has its waiting invoices made due
 * (the dispatcher decides again, invoice by invoice); a seller whose quota runs low — below its
 * share, or out within a day at the current pace — gets `quota.low`, once a month.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { quotaMonth, remainingShare } from '../domain/quota.js';
import type { QuotaGuard, QuotaSnapshot } from '../invoicing/quota-guard.js';
import { quotaView } from '../invoicing/quota-guard.js';
import type { Clock } from '../runtime/clock.js';
import { PollingLoop } from '../runtime/polling-loop.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { makeDueNow } from '../store/invoice-store.js';
import type { Database } from '../store/schema/index.js';
import { reportQuotaLow } from '../store/webhook-outbox.js';

export interface QuotaWatchOptions {
  /** How often the snapshots are taken again, ms. */
  readonly refreshMs: number;
  /** quota.low below this share of the month's total left (after what is committed). */
  readonly lowShare: number;
  /** quota.low when it runs out within this long at the current pace, ms. */
  readonly lowWithinMs: number;
}

export interface QuotaWatchDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly guard: QuotaGuard;
  readonly clock: Clock;
  readonly log: Logger;
  /** Invoices were made due: the dispatcher should look now. */
  readonly wakeDispatcher: () => void;
  /** A webhook event was written: the deliverer should look now. */
  readonly reported: () => void;
}

/** Whether a snapshot is low: little left, or out within `withinMs` at the current pace. */
export function quotaIsLow(snapshot: QuotaSnapshot, now: number, options: Pick<QuotaWatchOptions, 'lowShare' | 'lowWithinMs'>): boolean {
  if (!snapshot.position) return false;
  if (remainingShare(snapshot.position) < options.lowShare) return true;
  const at = snapshot.forecast?.exhaustsAt;
  return at !== null && at !== undefined && at - now <= options.lowWithinMs;
}

export class QuotaWatch {
  private readonly loop: PollingLoop;

  constructor(
    private readonly deps: QuotaWatchDeps,
    private readonly options: QuotaWatchOptions,
  ) {
    this.loop = new PollingLoop(
      async () => {
        await this.check();
        return 'idle';
      },
      options.refreshMs,
      (error) => deps.log.warn({ err: error }, 'quota check failed; trying again after the interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** A reading settled (or a raise is expected): check now rather than at the next interval. */
  wake(): void {
    this.loop.wake();
  }

  /** One round: fresh snapshots, waiting invoices woken where room grew, quota.low where due. */
  async check(): Promise<void> {
    const { db, capabilities, guard, clock } = this.deps;
    const grew = await guard.refresh();
    const now = clock.now();
    let woken = 0;
    for (const seller of grew) woken += await makeDueNow(db, { sellerTaxId: seller }, 'awaiting_quota', now);
    if (woken > 0) this.deps.wakeDispatcher();
    for (const snapshot of guard.all()) {
      if (!quotaIsLow(snapshot, now, this.options)) continue;
      if (snapshot.row.low_reported_month === quotaMonth(now)) continue;
      const view = quotaView(snapshot, now);
      const { burnDown: _chart, ...quota } = view;
      const outcome = await db.transaction().execute((tx) => reportQuotaLow(tx, capabilities, { sellerTaxId: snapshot.sellerTaxId, month: quotaMonth(now), quota, now }));
      if (outcome === 'reported') {
        this.deps.log.warn({ seller: snapshot.sellerTaxId, remaining: view.remaining, exhaustsAt: view.exhaustsAt }, 'the seller\'s invoice quota runs low: ask the tax office for more (docs/runbook.md)');
        this.deps.reported();
      }
    }
  }
}
