/**
 * The invoicing use cases: issue (and its preview) and retry. A request and an actor (the sellers
 * it acts for) in; a durable change out, or the reason it was refused. The API calls these; the
 * console and the CLI will call the same functions. Nothing here knows HTTP.
 */
import type { Kysely } from 'kysely';
import { computedInvoiceJson, type ComputedInvoiceJson, type SellerParty } from '../domain/invoice-json.js';
import { previewInvoice } from '../domain/preview-invoice.js';
import type { FieldError } from '../domain/field-error.js';
import type { Clock } from '../runtime/clock.js';
import { TtlCache } from '../runtime/ttl-cache.js';
import type { StoreCapabilities } from '../store/database.js';
import type { GroupCommit } from '../store/group-commit.js';
import { newInvoiceId, newSerialNo } from '../store/ids.js';
import { acceptInvoice, pendingInvoiceRow, retryInvoice, type AcceptResult, type RetryResult } from '../store/invoice-store.js';
import { requestRedFlush, type RedFlushResult } from '../store/red-flush-store.js';
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
}

export type ComputeOutcome =
  | { readonly kind: 'computed'; readonly invoice: ComputedInvoiceJson; readonly seller: SellerProfile | undefined }
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] };

export type IssueOutcome =
  | Exclude<AcceptResult, { readonly kind: 'order_no_taken' }>
  /** The seller issued this order number before, under another idempotency key. */
  | (Extract<AcceptResult, { readonly kind: 'order_no_taken' }> & { readonly orderNo: string; readonly sellerTaxId: string })
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'seller_forbidden'; readonly sellerTaxId: string };

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
    if (!result.ok) return { kind: 'invalid', errors: result.errors };
    return { kind: 'computed', invoice: computedInvoiceJson(result.invoice), seller };
  }

  /** An invoice computed as it would be issued, for the actor's own sellers only (as issuing is). */
  async preview(body: unknown, actor: Actor): Promise<ComputeOutcome | { readonly kind: 'seller_forbidden'; readonly sellerTaxId: string }> {
    const computed = await this.compute(body, actor);
    if (computed.kind === 'computed' && !computed.seller) return { kind: 'seller_forbidden', sellerTaxId: computed.invoice.seller.taxId };
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
    if (!seller) return { kind: 'seller_forbidden', sellerTaxId: request.seller.taxId };
    const now = this.deps.clock.now();
    // The seller block as registered now: what was accepted is what gets issued.
    const invoice = { ...request, seller: sellerBlock(seller) };
    const accepted = await acceptInvoice(this.deps.commit, this.deps.capabilities, {
      sellerTaxId: seller.taxId,
      idempotencyKey,
      requestHash: requestHash(body),
      idempotencyTtlMs: this.deps.idempotencyTtlMs,
      row: pendingInvoiceRow({
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
      }),
    });
    return accepted.kind === 'order_no_taken' ? { ...accepted, orderNo: request.orderNo, sellerTaxId: seller.taxId } : accepted;
  }

  /**
   * Flushes (part of) an issued blue invoice of the actor's sellers: the red invoice is accepted
   * and queued like any other once its commit is durable, or nothing is written and the reason said.
   */
  redFlush(blueInvoiceId: string, body: unknown, idempotencyKey: string, actor: Actor): Promise<RedFlushResult> {
    const now = this.deps.clock.now();
    return requestRedFlush(this.deps.commit, this.deps.capabilities, {
      blueInvoiceId,
      sellers: actor.sellers,
      idempotencyKey,
      // The same key and body for another blue invoice is another request.
      requestHash: requestHash({ redFlushOf: blueInvoiceId, body }),
      body,
      now,
      idempotencyTtlMs: this.deps.idempotencyTtlMs,
      giveUpAt: now + this.deps.maxAgeMs,
      id: newInvoiceId(now),
      serialNo: newSerialNo(now),
    });
  }

  /** Puts a failed invoice of the actor's sellers back in the queue, with a fresh give-up deadline. */
  retry(invoiceId: string, actor: Actor): Promise<RetryResult> {
    return retryInvoice(this.deps.db, this.deps.capabilities, invoiceId, actor.sellers, this.deps.clock.now(), this.deps.maxAgeMs);
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
