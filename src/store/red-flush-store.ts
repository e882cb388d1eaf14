/**
 * Red-flush in the store: one transaction reads the blue invoice (locked on PostgreSQL, so two
 * requests on one blue invoice run one after the other, in any process), the red invoices it
 * already has, decides by the domain's rules, and writes the red invoice with its idempotency
 * record and audit entries — or nothing. The red invoice is queued like any other, bound to the
 * blue invoice's channel: only the upstream that issued the blue invoice can flush it.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ComputedInvoiceJson } from '../domain/invoice-json.js';
import { flushedBy, redFlush, type FlushedLine, type RedInvoiceJson } from '../domain/red-flush.js';
import type { FieldError } from '../domain/field-error.js';
import { appendAudit } from './audit-log.js';
import type { StoreCapabilities } from './database.js';
import type { GroupCommit } from './group-commit.js';
import { findRecordIn, pendingInvoiceRow, readIdempotencyKey, recordIdempotencyKey, type IdempotentAnswer } from './invoice-store.js';
import type { Database } from './schema/index.js';

export interface RedFlushInput {
  readonly blueInvoiceId: string;
  /** The sellers the caller acts for: another seller's invoice does not exist for it. */
  readonly sellers: readonly string[];
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly body: unknown;
  readonly now: number;
  readonly idempotencyTtlMs: number;
  /** When to stop trying if it never reaches the upstream, ms. */
  readonly giveUpAt: number;
  readonly id: string;
  readonly serialNo: string;
}

export type RedFlushResult =
  | IdempotentAnswer
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_issued'; readonly status: string }
  | { readonly kind: 'red_of_red' }
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'exceeds'; readonly errors: readonly FieldError[] };

/** Red invoices that hold part of their blue invoice: every one the upstream did not refuse. */
const HOLDING = ['pending', 'issued', 'failed'];

/** Flushes (part of) a blue invoice through the group committer; resolves once it is durable. */
export function requestRedFlush(commit: GroupCommit, capabilities: StoreCapabilities, input: RedFlushInput): Promise<RedFlushResult> {
  return commit.submit((tx) => redFlushInTransaction(tx, capabilities, input));
}

async function redFlushInTransaction(tx: Transaction<Database>, capabilities: StoreCapabilities, input: RedFlushInput): Promise<RedFlushResult> {
  let blueQuery = tx.selectFrom('invoices').selectAll().where('id', '=', input.blueInvoiceId).where('seller_tax_id', 'in', [...input.sellers]);
  // The lock that makes cumulative limits hold across processes: every red-flush of this blue
  // invoice waits here for the one before it to commit, then reads what it wrote.
  if (capabilities.skipLocked) blueQuery = blueQuery.forUpdate();
  const blue = input.sellers.length === 0 ? undefined : await blueQuery.executeTakeFirst();
  if (!blue) return { kind: 'not_found' };

  const key = await readIdempotencyKey(tx, blue.seller_tax_id, input.idempotencyKey, input.requestHash, input.now);
  if (key.kind !== 'free') return key;
  if (blue.kind === 'red') return { kind: 'red_of_red' };
  if (blue.status !== 'issued' || blue.number === null) return { kind: 'not_issued', status: blue.status };

  const reds = await tx.selectFrom('invoices').select(['computed_json', 'status']).where('blue_invoice_id', '=', blue.id).execute();
  const flushed: FlushedLine[] = [];
  for (const red of reds) if (HOLDING.includes(red.status)) flushedBy(JSON.parse(red.computed_json) as RedInvoiceJson, flushed);
  const blueInvoice = JSON.parse(blue.computed_json) as ComputedInvoiceJson;
  const outcome = redFlush(input.body, { id: blue.id, number: blue.number, invoice: blueInvoice, flushed });
  if (outcome.kind !== 'ok') return outcome;

  // The seller's order numbers are the client's; a red invoice's is derived, unique per blue.
  const orderNo = `R${reds.length + 1}-${blue.serial_no}`;
  const row = {
    ...pendingInvoiceRow({
      id: input.id,
      serialNo: input.serialNo,
      sellerTaxId: blue.seller_tax_id,
      orderNo,
      buyerTaxId: blue.buyer_tax_id,
      buyerName: blue.buyer_name,
      type: blue.type,
      total: outcome.red.totals.total,
      requestJson: JSON.stringify(input.body),
      computedJson: JSON.stringify({ ...outcome.red, orderNo }),
      now: input.now,
      giveUpAt: input.giveUpAt,
    }),
    kind: 'red',
    blue_invoice_id: blue.id,
    red_reason: outcome.red.red.reason,
    channel: blue.channel,
  };
  await tx.insertInto('invoices').values(row).execute();
  await recordIdempotencyKey(tx, {
    sellerTaxId: blue.seller_tax_id,
    key: input.idempotencyKey,
    requestHash: input.requestHash,
    invoiceId: row.id,
    now: input.now,
    ttlMs: input.idempotencyTtlMs,
    replacesExpired: key.expired,
  });
  await appendAudit(tx, capabilities, input.now, [
    { invoiceId: row.id, event: 'accepted', from: null, to: 'pending/queued', detail: { serialNo: row.serial_no, redOf: blue.id, reason: row.red_reason } },
    { invoiceId: blue.id, event: 'red_flush_requested', from: 'issued', to: 'issued', detail: { redInvoiceId: row.id, total: row.total } },
  ]);
  return { kind: 'created', invoice: await findRecordIn(tx, row.id) };
}

/** A blue invoice's red invoices, oldest first, as the blue resource lists them. */
export interface RedFlushSummary {
  readonly id: string;
  readonly status: string;
  readonly total: string;
}

/** The red invoices of each of `blueIds` (one query for a page of invoices). */
export async function redFlushesOf(db: Kysely<Database>, blueIds: readonly string[]): Promise<Map<string, RedFlushSummary[]>> {
  const byBlue = new Map<string, RedFlushSummary[]>();
  if (blueIds.length === 0) return byBlue;
  const rows = await db
    .selectFrom('invoices')
    .select(['id', 'status', 'total', 'blue_invoice_id'])
    .where('blue_invoice_id', 'in', [...blueIds])
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const list = byBlue.get(row.blue_invoice_id!) ?? [];
    list.push({ id: row.id, status: row.status, total: row.total });
    byBlue.set(row.blue_invoice_id!, list);
  }
  return byBlue;
}

/** Whether a red invoice in `status` holds part of its blue invoice. */
export const holdsBlue = (status: string): boolean => HOLDING.includes(status);
