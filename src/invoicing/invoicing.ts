/**
 * The invoicing use cases: issue (and its preview), red-flush and retry. A request and an actor
 * (the sellers it acts for) in; a durable change out, or the reason it was refused (a Refusal).
 * Built once in the composition root; nothing here knows HTTP.
 */
import type { Kysely } from 'kysely';
import { computedInvoiceJson, type ComputedInvoiceJson, type SellerParty } from '../domain/invoice-json.js';
import { previewInvoice } from '../domain/preview-invoice.js';
import type { FieldError } from '../domain/field-error.js';
import { INVOICE_ID_FORM } from '../domain/field-forms.js';
import { flushedByReds, redFlush, redOrderNo, type RedInvoiceJson } from '../domain/red-flush.js';
import type { Refusal } from '../domain/refusal.js';
import { formatFen } from '../domain/money.js';
import { fenOf } from '../store/quota-store.js';
import type { QuotaGuard } from './quota-guard.js';
import type { Clock } from '../runtime/clock.js';
import { TtlCache } from '../runtime/ttl-cache.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { GroupCommit } from '../store/group-commit.js';
import { newInvoiceId, newSerialNo } from '../store/ids.js';
import { activeTraceparent, inSpan } from '../runtime/trace-context.js';
import { acceptInvoice, findInvoice, pendingInvoiceRow, readIdempotencyKey, retryInvoice, type InvoiceRecord } from '../store/invoice-store.js';
import { insertRedInvoice, lockInvoiceForFlush, redInvoicesOf } from '../store/red-flush-store.js';
import { requestHash } from '../store/request-hash.js';
import type { Database } from '../store/schema/index.js';
import { findSeller, type SellerProfile } from '../store/seller-store.js';

/** Who asks: the sellers an API key (or, later, a console user) acts for. */
export interface Actor {
  readonly sellers: readonly string[];
}

export interface InvoicingDeps {
  /** Writes outside the group committer (a retry). */
  readonly db: Kysely<Database>;
  /** Reads of committed data (seller profiles). */
  readonly reader: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly commit: GroupCommit;
  readonly clock: Clock;
  /** How long an idempotency key is remembered, ms. */
  readonly idempotencyTtlMs: number;
  /** Age after which an invoice that never reached an upstream is given up, ms. */
  readonly maxAgeMs: number;
  /** The sellers' monthly quota, for a request that asks to be refused beyond it. */
  readonly quota?: QuotaGuard;
}

export type ComputeOutcome =
  | { readonly kind: 'computed'; readonly invoice: ComputedInvoiceJson; readonly seller: SellerProfile | undefined }
  | { readonly kind: 'invalid'; readonly of: 'invoice'; readonly errors: readonly FieldError[] };

/** An invoice written now, or the one the same key and body wrote before. */
export type Written = { readonly kind: 'created' | 'replayed'; readonly invoice: InvoiceRecord };

export type IssueOutcome = Written | Extract<Refusal, { kind: 'invalid' | 'seller_forbidden' | 'key_reused' | 'order_no_taken' | 'quota_exceeded' }>;
export type PreviewOutcome = Extract<ComputeOutcome, { kind: 'computed' }> | Extract<Refusal, { kind: 'invalid' | 'seller_forbidden' }>;
export type RedFlushOutcome = Written | Extract<Refusal, { kind: 'not_found' | 'key_reused' | 'red_of_red' | 'not_issued' | 'invalid' | 'exceeds' }>;
export type RedFlushPreviewOutcome = { readonly kind: 'computed'; readonly red: RedInvoiceJson } | Extract<Refusal, { kind: 'not_found' | 'red_of_red' | 'not_issued' | 'invalid' | 'exceeds' }>;
export type RetryOutcome = { readonly kind: 'requeued'; readonly invoice: InvoiceRecord } | Extract<Refusal, { kind: 'not_found' | 'not_failed' }>;

/**
 * Whether a path segment can be an invoice id at all. Anything else is "not found" without asking
 * the database, which would refuse some text itself (PostgreSQL: a NUL byte) with an error.
 */
export const isInvoiceId = (id: string): boolean => INVOICE_ID_FORM.test(id);

/** Why an invoice cannot be red-flushed at all, whatever the request: it is red, or not issued. */
function unflushableBlue(blue: { readonly id: string; readonly kind: string; readonly status: string; readonly number: string | null }): Extract<Refusal, { kind: 'red_of_red' | 'not_issued' }> | undefined {
  if (blue.kind === 'red') return { kind: 'red_of_red', invoiceId: blue.id };
  if (blue.status !== 'issued' || blue.number === null) return { kind: 'not_issued', invoiceId: blue.id, status: blue.status };
  return undefined;
}

function sellerTaxIdOf(body: unknown): string | undefined {
  const taxId = (body as { seller?: { taxId?: unknown } } | null)?.seller?.taxId;
  return typeof taxId === 'string' ? taxId : undefined;
}

function sellerBlock(seller: SellerProfile): SellerParty {
  const { sandbox: _sandbox, ...block } = seller;
  return block;
}

export class Invoicing {
  // Seller profiles change rarely; a second's staleness is harmless, and it saves a query per request.
  private readonly sellers: TtlCache<SellerProfile | null>;

  constructor(private readonly deps: InvoicingDeps) {
    this.sellers = new TtlCache<SellerProfile | null>(deps.clock, 1000, 10_000);
  }

  /** Validates and computes a request (preview), with the seller's sandbox registration taken into account. */
  async compute(body: unknown, actor: Actor): Promise<ComputeOutcome> {
    const seller = await this.sellerFor(body, actor);
    const result = previewInvoice(body, { isSandboxSeller: (taxId) => seller?.sandbox === true && seller.taxId === taxId });
    if (!result.ok) return { kind: 'invalid', of: 'invoice', errors: result.errors };
    return { kind: 'computed', invoice: computedInvoiceJson(result.invoice), seller };
  }

  /** An invoice computed as it would be issued, for the actor's own sellers only (as issuing is). */
  async preview(body: unknown, actor: Actor): Promise<PreviewOutcome> {
    const computed = await this.compute(body, actor);
    if (computed.kind === 'computed' && !computed.seller) return { kind: 'seller_forbidden', sellers: [computed.invoice.seller.taxId] };
    return computed;
  }

  /**
   * Accepts an invoice for issuing: validated, computed, and stored with its idempotency record
   * and audit entry in one commit (resolves after it). Throws OverloadedError when too many
   * writes wait for the database, and the database's own error when it cannot write.
   */
  async issue(body: unknown, idempotencyKey: string, actor: Actor): Promise<IssueOutcome> {
    const computed = await this.compute(body, actor);
    if (computed.kind === 'invalid') return computed;
    const { invoice: request, seller } = computed;
    if (!seller) return { kind: 'seller_forbidden', sellers: [request.seller.taxId] };
    const beyondQuota = request.quotaPolicy === 'refuse' ? this.beyondQuota(seller.taxId, request) : undefined;
    if (beyondQuota) return beyondQuota;
    const now = this.deps.clock.now();
    // The seller block as registered now: what was accepted is what gets issued.
    const invoice = { ...request, seller: sellerBlock(seller) };
    const row = pendingInvoiceRow({
      id: newInvoiceId(now),
      serialNo: newSerialNo(now),
      sellerTaxId: seller.taxId,
      orderNo: request.orderNo,
      buyerTaxId: request.buyer.taxId ?? null,
      buyerName: request.buyer.name,
      type: request.type,
      total: request.totals.total,
      requestJson: JSON.stringify(body),
      computedJson: JSON.stringify(invoice),
      now,
      giveUpAt: now + this.deps.maxAgeMs,
      // The trace the request is in (the caller's, carried in by its traceparent): the invoice's from now on.
      traceParent: activeTraceparent(),
    });
    const accept = { sellerTaxId: seller.taxId, idempotencyKey, requestHash: requestHash(body), idempotencyTtlMs: this.deps.idempotencyTtlMs, row };
    const accepted = await inSpan('fapiao.commit', { 'fapiao.invoice.id': row.id }, () => acceptInvoice(this.deps.commit, this.deps.capabilities, accept));
    if (accepted.kind === 'order_no_taken') return { ...accepted, orderNo: request.orderNo, sellerTaxId: seller.taxId };
    if (accepted.kind === 'key_reused') return { ...accepted, key: idempotencyKey };
    return accepted;
  }

  /**
   * The refusal for an invoice the month's quota cannot cover now, as the guard last saw it; undefined
   * when it can (or when no reading tells). A replay of an accepted request is answered before this.
   */
  private beyondQuota(sellerTaxId: string, request: ComputedInvoiceJson): Extract<Refusal, { kind: 'quota_exceeded' }> | undefined {
    const amountFen = fenOf(request.totals.amount);
    const verdict = this.deps.quota?.covers(sellerTaxId, amountFen, request.priority ?? 'normal');
    if (verdict?.kind !== 'wait') return undefined;
    return { kind: 'quota_exceeded', sellerTaxId, amount: request.totals.amount, remaining: formatFen(verdict.remainingFen), available: formatFen(verdict.headroomFen), reserve: formatFen(verdict.reserveFen) };
  }

  /**
   * Flushes (part of) an issued blue invoice of the actor's sellers: the red invoice is accepted
   * and queued like any other once its commit is durable, or nothing is written and the reason said.
   * Decided inside one transaction holding the blue invoice, so concurrent red-flushes of it, in any
   * process, each see what the ones before them took.
   */
  /**
   * The red invoice a red-flush request would make, by the same rules, writing nothing: what the
   * console shows (amount in words) before the clerk confirms.
   */
  async previewRedFlush(blueInvoiceId: string, body: unknown, actor: Actor): Promise<RedFlushPreviewOutcome> {
    const notFound = { kind: 'not_found', subject: `invoice ${blueInvoiceId}` } as const;
    if (!isInvoiceId(blueInvoiceId)) return notFound;
    const blue = await findInvoice(this.deps.reader, blueInvoiceId, actor.sellers);
    if (!blue) return notFound;
    const unflushable = unflushableBlue(blue);
    if (unflushable) return unflushable;
    const reds = await redInvoicesOf(this.deps.reader, blue.id);
    const decided = this.decideRedFlush(blue, reds, body);
    return decided.kind === 'ok' ? { kind: 'computed', red: decided.red } : decided;
  }

  /** The domain's red-flush rules over a blue invoice and the red invoices it has. */
  private decideRedFlush(blue: { readonly id: string; readonly number: string | null; readonly computed_json: string }, reds: readonly { readonly computed_json: string; readonly status: string }[], body: unknown) {
    const flushed = flushedByReds(reds.map((red) => ({ invoice: JSON.parse(red.computed_json) as RedInvoiceJson, status: red.status })));
    const outcome = redFlush(body, { id: blue.id, number: blue.number!, invoice: JSON.parse(blue.computed_json) as ComputedInvoiceJson, flushed });
    return outcome.kind === 'invalid' ? ({ kind: 'invalid', of: 'red_flush', errors: outcome.errors } as const) : outcome;
  }

  redFlush(blueInvoiceId: string, body: unknown, idempotencyKey: string, actor: Actor): Promise<RedFlushOutcome> {
    const notFound = { kind: 'not_found', subject: `invoice ${blueInvoiceId}` } as const;
    if (!isInvoiceId(blueInvoiceId)) return Promise.resolve(notFound);
    const { capabilities, idempotencyTtlMs, maxAgeMs } = this.deps;
    const now = this.deps.clock.now();
    // The same key and body for another blue invoice is another request.
    const hash = requestHash({ redFlushOf: blueInvoiceId, body });
    return this.deps.commit.submit(async (tx): Promise<RedFlushOutcome> => {
      const blue = await lockInvoiceForFlush(tx, capabilities, blueInvoiceId, actor.sellers);
      if (!blue) return notFound;
      const key = await readIdempotencyKey(tx, capabilities, blue.seller_tax_id, idempotencyKey, hash, now);
      if (key.kind === 'key_reused') return { ...key, key: idempotencyKey };
      if (key.kind !== 'free') return key;
      const unflushable = unflushableBlue(blue);
      if (unflushable) return unflushable;

      const reds = await redInvoicesOf(tx, blue.id);
      const outcome = this.decideRedFlush(blue, reds, body);
      if (outcome.kind !== 'ok') return outcome;
      const orderNo = redOrderNo(reds.length, blue.serial_no);
      const row = pendingInvoiceRow({
        id: newInvoiceId(now),
        serialNo: newSerialNo(now),
        sellerTaxId: blue.seller_tax_id,
        orderNo,
        buyerTaxId: blue.buyer_tax_id,
        buyerName: blue.buyer_name,
        type: blue.type,
        total: outcome.red.totals.total,
        requestJson: JSON.stringify(body),
        computedJson: JSON.stringify({ ...outcome.red, orderNo }),
        now,
        giveUpAt: now + maxAgeMs,
      });
      // Only the upstream that issued the blue invoice can flush it: the red one is bound to its channel.
      const invoice = await insertRedInvoice(tx, capabilities, {
        row: { ...row, kind: 'red', blue_invoice_id: blue.id, red_reason: outcome.red.red.reason, channel: blue.channel },
        idempotency: { key: idempotencyKey, requestHash: hash, ttlMs: idempotencyTtlMs, replacesExpired: key.expired },
        now,
      });
      return { kind: 'created', invoice };
    });
  }

  /** Puts a failed invoice of the actor's sellers back in the queue, with a fresh give-up deadline. */
  async retry(invoiceId: string, actor: Actor): Promise<RetryOutcome> {
    const notFound = { kind: 'not_found', subject: `invoice ${invoiceId}` } as const;
    if (!isInvoiceId(invoiceId)) return notFound;
    const result = await retryInvoice(this.deps.db, this.deps.capabilities, invoiceId, actor.sellers, this.deps.clock.now(), this.deps.maxAgeMs);
    if (result.kind === 'not_found') return notFound;
    if (result.kind === 'not_failed') return { kind: 'not_failed', invoiceId, status: result.invoice.status };
    return result;
  }

  private async sellerFor(body: unknown, actor: Actor): Promise<SellerProfile | undefined> {
    const taxId = sellerTaxIdOf(body);
    if (taxId === undefined || !actor.sellers.includes(taxId)) return undefined;
    let seller = this.sellers.get(taxId);
    if (seller === undefined) {
      seller = (await findSeller(this.deps.reader, taxId)) ?? null;
      this.sellers.set(taxId, seller);
    }
    return seller ?? undefined;
  }
}
