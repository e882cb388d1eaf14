/**
 * Red-flush's reads and writes, for the use case (src/invoicing/red-flush.ts) to call inside one
 * transaction: the blue invoice locked (PostgreSQL: two requests on one blue invoice run one after
 * the other, in any process), its red invoices, and the red invoice written with its idempotency
 * record and audit entries. What may be flushed is decided there, not here.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendAudit } from './audit-log.js';
import type { StoreCapabilities } from './capabilities.js';
import { findRecordIn, recordIdempotencyKey, type InvoiceRecord } from './invoice-store.js';
import type { Database, InvoiceRow } from './schema/index.js';

/** The blue invoice `id` of one of `sellers`, locked until the transaction ends; undefined when it is none of theirs. */
export async function lockInvoiceForFlush(tx: Transaction<Database>, capabilities: StoreCapabilities, id: string, sellers: readonly string[]): Promise<InvoiceRow | undefined> {
  if (sellers.length === 0) return undefined;
  let query = tx.selectFrom('invoices').selectAll().where('id', '=', id).where('seller_tax_id', 'in', [...sellers]);
  // The lock that makes cumulative limits hold across processes: every red-flush of this blue
  // invoice waits here for the one before it to commit, then reads what it wrote.
  if (capabilities.skipLocked) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The red invoices written for a blue invoice so far: their computed body and status (in the red-flush's transaction, or outside one for a preview). */
export function redInvoicesOf(db: Kysely<Database>, blueId: string): Promise<{ computed_json: string; status: string }[]> {
  return db.selectFrom('invoices').select(['computed_json', 'status']).where('blue_invoice_id', '=', blueId).execute();
}

export interface NewRedInvoice {
  /** The red invoice's row, bound to its blue invoice and that invoice's channel. */
  readonly row: InvoiceRow & { readonly kind: 'red'; readonly blue_invoice_id: string; readonly red_reason: string; readonly channel: string | null };
  readonly idempotency: { readonly key: string; readonly requestHash: string; readonly ttlMs: number; readonly replacesExpired: boolean };
  readonly now: number;
}

/** Writes a red invoice, its idempotency record, and the audit entries on it and on its blue invoice. */
export async function insertRedInvoice(tx: Transaction<Database>, capabilities: StoreCapabilities, red: NewRedInvoice): Promise<InvoiceRecord> {
  const { row, idempotency, now } = red;
  await tx.insertInto('invoices').values(row).execute();
  await recordIdempotencyKey(tx, capabilities, {
    sellerTaxId: row.seller_tax_id,
    key: idempotency.key,
    requestHash: idempotency.requestHash,
    invoiceId: row.id,
    now,
    ttlMs: idempotency.ttlMs,
    replacesExpired: idempotency.replacesExpired,
  });
  await appendAudit(tx, capabilities, now, [
    { invoiceId: row.id, event: 'accepted', from: null, to: 'pending/queued', detail: { serialNo: row.serial_no, redOf: row.blue_invoice_id, reason: row.red_reason } },
    { invoiceId: row.blue_invoice_id, event: 'red_flush_requested', from: 'issued', to: 'issued', detail: { redInvoiceId: row.id, total: row.total } },
  ]);
  return findRecordIn(tx, row.id);
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
