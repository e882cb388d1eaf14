/**
 * A seller's 发票额度 for the API and the console: its view (a snapshot taken afresh for each look)
 * and the reserve kept for high-priority invoices. Only the sellers the actor acts for; another
 * seller's quota does not exist for it.
 */
import type { Kysely } from 'kysely';
import { RequestReader } from '../domain/request-reader.js';
import type { Refusal } from '../domain/refusal.js';
import type { Clock } from '../runtime/clock.js';
import { readQuotaSoon, setQuotaReserve } from '../store/quota-store.js';
import type { Database } from '../store/schema/index.js';
import { findSeller } from '../store/seller-store.js';
import type { Actor } from './invoicing.js';
import { quotaView, type QuotaGuard, type QuotaView } from './quota-guard.js';

type NotFound = Extract<Refusal, { kind: 'not_found' }>;

export class SellerQuotas {
  constructor(private readonly deps: { readonly db: Kysely<Database>; readonly reader: Kysely<Database>; readonly guard: QuotaGuard; readonly clock: Clock }) {}

  async view(sellerTaxId: string, actor: Actor): Promise<{ readonly kind: 'quota'; readonly quota: QuotaView } | NotFound> {
    if (!actor.sellers.includes(sellerTaxId) || !(await findSeller(this.deps.reader, sellerTaxId))) return { kind: 'not_found', subject: `seller ${sellerTaxId}` };
    const snapshot = await this.deps.guard.look(sellerTaxId);
    const now = this.deps.clock.now();
    if (!snapshot) return { kind: 'quota', quota: unreadView(sellerTaxId, now) };
    return { kind: 'quota', quota: quotaView(snapshot, now) };
  }

  /**
   * Asks for the seller's quota to be read at the reader's next round (a raise was just approved);
   * the channel's own limits still hold (诺诺: 30 s apart, 20 a day). Answers the quota as it stands.
   */
  async readSoon(sellerTaxId: string, actor: Actor): Promise<{ readonly kind: 'quota'; readonly quota: QuotaView } | NotFound> {
    if (!actor.sellers.includes(sellerTaxId) || !(await findSeller(this.deps.reader, sellerTaxId))) return { kind: 'not_found', subject: `seller ${sellerTaxId}` };
    await readQuotaSoon(this.deps.db, sellerTaxId, this.deps.clock.now());
    return this.view(sellerTaxId, actor);
  }

  /** `{ "reserve": "5000.00" }`: the part of the month's quota only high-priority invoices may use. */
  async setReserve(sellerTaxId: string, body: unknown, actor: Actor): Promise<{ readonly kind: 'quota'; readonly quota: QuotaView } | NotFound | Extract<Refusal, { kind: 'invalid' }>> {
    if (!actor.sellers.includes(sellerTaxId) || !(await findSeller(this.deps.reader, sellerTaxId))) return { kind: 'not_found', subject: `seller ${sellerTaxId}` };
    const reader = new RequestReader();
    const object = reader.object(body, '', true);
    if (object) reader.onlyKnownFields(object, '', ['reserve']);
    const reserve = object ? reader.money(object, 'reserve', '', false) : undefined;
    if (reader.errors.length > 0 || reserve === undefined) return { kind: 'invalid', of: 'quota', errors: reader.errors };
    await setQuotaReserve(this.deps.db, sellerTaxId, reserve, this.deps.clock.now());
    await this.deps.guard.refresh([sellerTaxId]);
    return this.view(sellerTaxId, actor);
  }
}

/** A seller no read has reached yet. */
function unreadView(sellerTaxId: string, now: number): QuotaView {
  return {
    sellerTaxId,
    known: false,
    month: new Date(now + 8 * 3_600_000).toISOString().slice(0, 7),
    total: null,
    remaining: null,
    committed: '0.00',
    usedElsewhere: '0.00',
    reserve: '0.00',
    asOf: null,
    exhaustsAt: null,
    exhaustsAtRange: null,
    pacePerHour: null,
    remainingShare: null,
    waiting: { count: 0, amount: '0.00' },
    read: { channel: null, at: null, error: null, today: 0 },
    burnDown: [],
  };
}
