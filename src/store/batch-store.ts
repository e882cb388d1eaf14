/**
 * Batches in SQL: a batch and its rows written in one transaction with the job that issues them,
 * rows read and settled a chunk at a time, and the counts a reader sees, joined with the invoices
 * the rows became. Also what a batch must know before it is accepted: which of its serial numbers
 * the seller already used, as idempotency keys or order numbers.
 */
import { sql, type Kysely } from 'kysely';
import { enqueueJobs, leaseJobs, type JobLease } from './job-queue.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

export type BatchMode = 'each' | 'all';
export type BatchRowStatus = 'waiting' | 'accepted' | 'refused';

export interface NewBatchRow {
  readonly rowNo: number;
  readonly serialNo: string;
  readonly status: 'waiting' | 'refused';
  /** The invoice request, for a waiting row. */
  readonly request?: unknown;
  readonly errors?: unknown;
}

export interface NewBatch {
  readonly id: string;
  readonly sellerTaxId: string;
  readonly mode: BatchMode;
  readonly status: 'accepted' | 'refused';
  readonly source: 'xlsx' | 'json';
  readonly fileName: string | null;
  readonly problems: unknown;
  readonly createdBy: string;
  readonly rows: readonly NewBatchRow[];
}

const CHUNK = 500;

/** Writes a batch and its rows, and queues its issuing when it has rows to issue; one transaction. */
export async function insertBatch(db: Kysely<Database>, batch: NewBatch, now: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('batches')
      .values({
        id: batch.id,
        seller_tax_id: batch.sellerTaxId,
        mode: batch.mode,
        status: batch.status,
        source: batch.source,
        file_name: batch.fileName,
        total: batch.rows.length,
        problems: batch.problems === undefined ? null : JSON.stringify(batch.problems),
        created_by: batch.createdBy,
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (let start = 0; start < batch.rows.length; start += CHUNK) {
      await tx
        .insertInto('batch_rows')
        .values(
          batch.rows.slice(start, start + CHUNK).map((row) => ({
            batch_id: batch.id,
            row_no: row.rowNo,
            serial_no: row.serialNo,
            status: row.status,
            request_json: row.request === undefined ? null : JSON.stringify(row.request),
            invoice_id: null,
            errors: row.errors === undefined ? null : JSON.stringify(row.errors),
            updated_at: now,
          })),
        )
        .execute();
    }
    if (batch.status === 'accepted' && batch.rows.some((row) => row.status === 'waiting')) await enqueueJobs(tx, 'batch', [batch.id], now);
  });
}

/**
 * The serial numbers of `serialNos` the seller already used: as an idempotency key (with the hash
 * of the body it was used for) or as an order number of an invoice.
 */
export async function usedSerialNumbers(
  db: Kysely<Database>,
  sellerTaxId: string,
  serialNos: readonly string[],
): Promise<{ readonly keys: ReadonlyMap<string, string>; readonly orders: ReadonlyMap<string, string> }> {
  const keys = new Map<string, string>();
  const orders = new Map<string, string>();
  for (let start = 0; start < serialNos.length; start += CHUNK) {
    const chunk = serialNos.slice(start, start + CHUNK);
    for (const row of await db.selectFrom('idempotency_keys').select(['key', 'request_hash']).where('seller_tax_id', '=', sellerTaxId).where('key', 'in', chunk).execute()) keys.set(row.key, row.request_hash);
    for (const row of await db.selectFrom('invoices').select(['order_no', 'id']).where('seller_tax_id', '=', sellerTaxId).where('order_no', 'in', chunk).execute()) orders.set(row.order_no, row.id);
  }
  return { keys, orders };
}

export interface BatchLease {
  readonly job: JobLease;
  readonly batchId: string;
  readonly sellerTaxId: string;
}

/** Claims batches with rows to issue (the leased-work pattern of job-queue.ts). */
export function leaseDueBatches(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, options: { readonly limit: number; readonly leaseMs: number }): Promise<BatchLease[]> {
  return leaseJobs(db, capabilities, 'batch', now, options, {
    load: (ids) => db.selectFrom('batches').select(['id', 'seller_tax_id']).where('id', 'in', ids).execute(),
    idOf: (row) => row.id,
    lease: (job, row) => ({ job, batchId: row.id, sellerTaxId: row.seller_tax_id }),
  });
}

export interface WaitingRow {
  readonly rowNo: number;
  readonly serialNo: string;
  readonly request: unknown;
}

/** The next waiting rows of a batch, in row order. */
export async function waitingRows(db: Kysely<Database>, batchId: string, limit: number): Promise<WaitingRow[]> {
  const rows = await db
    .selectFrom('batch_rows')
    .select(['row_no', 'serial_no', 'request_json'])
    .where('batch_id', '=', batchId)
    .where('status', '=', 'waiting')
    .orderBy('row_no')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ rowNo: row.row_no, serialNo: row.serial_no, request: JSON.parse(row.request_json ?? 'null') as unknown }));
}

export type RowOutcome = { readonly rowNo: number; readonly invoiceId: string } | { readonly rowNo: number; readonly errors: unknown };

/**
 * Settles rows: accepted with their invoice, or refused with why. Only waiting rows change, so a
 * second worker that issued the same rows (each under its serial number as idempotency key, so
 * the same invoices) writes nothing new. Accepted rows are written a chunk per statement (one
 * UPDATE … CASE): a slice of thousands of rows, one statement each, made the settle the slowest
 * part of a batch on PostgreSQL.
 */
export async function settleRows(db: Kysely<Database>, batchId: string, outcomes: readonly RowOutcome[], now: number): Promise<void> {
  if (outcomes.length === 0) return;
  const accepted = outcomes.filter((outcome): outcome is Extract<RowOutcome, { invoiceId: string }> => 'invoiceId' in outcome);
  const refused = outcomes.filter((outcome): outcome is Extract<RowOutcome, { errors: unknown }> => !('invoiceId' in outcome));
  await db.transaction().execute(async (tx) => {
    for (let start = 0; start < accepted.length; start += CHUNK) {
      const chunk = accepted.slice(start, start + CHUNK);
      const invoiceId = sql<string>`case ${sql.ref('row_no')} ${sql.join(
        chunk.map((outcome) => sql`when ${outcome.rowNo} then ${outcome.invoiceId}`),
        sql` `,
      )} end`;
      await tx
        .updateTable('batch_rows')
        .set({ status: 'accepted', invoice_id: invoiceId, request_json: null, updated_at: now })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'waiting')
        .where(
          'row_no',
          'in',
          chunk.map((outcome) => outcome.rowNo),
        )
        .execute();
    }
    for (const outcome of refused) {
      await tx
        .updateTable('batch_rows')
        .set({ status: 'refused', errors: JSON.stringify(outcome.errors), updated_at: now })
        .where('batch_id', '=', batchId)
        .where('row_no', '=', outcome.rowNo)
        .where('status', '=', 'waiting')
        .execute();
    }
  });
}

export interface BatchRecord {
  readonly id: string;
  readonly sellerTaxId: string;
  readonly mode: BatchMode;
  readonly status: 'accepted' | 'refused';
  readonly source: 'xlsx' | 'json';
  readonly fileName: string | null;
  readonly total: number;
  readonly problems: unknown;
  readonly createdAt: number;
}

export async function findBatch(db: Kysely<Database>, id: string): Promise<BatchRecord | undefined> {
  const row = await db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    sellerTaxId: row.seller_tax_id,
    mode: row.mode as BatchMode,
    status: row.status as 'accepted' | 'refused',
    source: row.source as 'xlsx' | 'json',
    fileName: row.file_name,
    total: row.total,
    problems: row.problems === null ? undefined : (JSON.parse(row.problems) as unknown),
    createdAt: Number(row.created_at),
  };
}

/** The batches of these sellers, newest first. */
export async function listBatches(db: Kysely<Database>, sellers: readonly string[], limit: number): Promise<BatchRecord[]> {
  if (sellers.length === 0) return [];
  const rows = await db.selectFrom('batches').select('id').where('seller_tax_id', 'in', sellers).orderBy('created_at', 'desc').limit(limit).execute();
  const found = await Promise.all(rows.map((row) => findBatch(db, row.id)));
  return found.filter((batch): batch is BatchRecord => batch !== undefined);
}

export interface BatchRowRecord {
  readonly row: number;
  readonly serialNo: string;
  readonly status: BatchRowStatus;
  readonly invoiceId: string | null;
  readonly errors: unknown;
  /** Of the invoice the row became. */
  readonly invoiceStatus: string | null;
  readonly number: string | null;
  readonly total: string | null;
}

/** Every row of a batch in row order, with the state of the invoice each became. */
export async function batchRows(db: Kysely<Database>, batchId: string): Promise<BatchRowRecord[]> {
  const rows = await db
    .selectFrom('batch_rows')
    .leftJoin('invoices', 'invoices.id', 'batch_rows.invoice_id')
    .select(['batch_rows.row_no', 'batch_rows.serial_no', 'batch_rows.status', 'batch_rows.invoice_id', 'batch_rows.errors', 'invoices.status as invoice_status', 'invoices.number', 'invoices.total'])
    .where('batch_rows.batch_id', '=', batchId)
    .orderBy('batch_rows.row_no')
    .execute();
  return rows.map((row) => ({
    row: row.row_no,
    serialNo: row.serial_no,
    status: row.status as BatchRowStatus,
    invoiceId: row.invoice_id,
    errors: row.errors === null ? undefined : (JSON.parse(row.errors) as unknown),
    invoiceStatus: row.invoice_status ?? null,
    number: row.number ?? null,
    total: row.total === null || row.total === undefined ? null : String(row.total),
  }));
}
