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

/** What a batch is, as written and as read back. */
interface BatchHead {
  readonly id: string;
  readonly sellerTaxId: string;
  readonly mode: BatchMode;
  readonly status: 'accepted' | 'refused' | 'checking';
  readonly source: 'xlsx' | 'json';
  readonly fileName: string | null;
  readonly problems: unknown;
}

export interface NewBatch extends BatchHead {
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
    await addBatchRows(tx, batch.id, batch.rows, now);
    if (batch.status === 'accepted' && batch.rows.some((row) => row.status === 'waiting')) await enqueueJobs(tx, 'batch', [batch.id], now);
  });
}

/** One row of an uploaded template, as it is staged: the sheet (1–3), its row, its 发票流水号 and its cells. */
export interface StagedRow {
  readonly sheet: 1 | 2 | 3;
  readonly rowNo: number;
  readonly serialNo: string | null;
  readonly cells: ReadonlyArray<string | undefined>;
}

const cellsOf = (json: string) => (JSON.parse(json) as Array<string | null>).map((cell) => cell ?? undefined);

/** Stages rows of a batch being checked (no transaction: the batch is `checking`, and removed whole if the check fails). */
export async function stageRows(db: Kysely<Database>, batchId: string, rows: readonly StagedRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    await db
      .insertInto('batch_staging')
      .values(rows.slice(start, start + CHUNK).map((row) => ({ batch_id: batchId, sheet: row.sheet, row_no: row.rowNo, serial_no: row.serialNo, cells: JSON.stringify(row.cells.map((cell) => cell ?? null)) })))
      .execute();
  }
}

/** How many invoice rows (sheet 1) are staged. */
export async function stagedInvoiceCount(db: Kysely<Database>, batchId: string): Promise<number> {
  const row = await db.selectFrom('batch_staging').select((eb) => eb.fn.countAll<number>().as('n')).where('batch_id', '=', batchId).where('sheet', '=', 1).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sheet-1 rows whose 发票流水号 an earlier row has already (grouped first: a correlated "earlier row" query is quadratic on SQLite). */
export async function stagedDuplicates(db: Kysely<Database>, batchId: string): Promise<Array<{ readonly rowNo: number; readonly serialNo: string }>> {
  const repeated = await db
    .selectFrom('batch_staging')
    .select(['serial_no', (eb) => eb.fn.min('row_no').as('first')])
    .where('batch_id', '=', batchId)
    .where('sheet', '=', 1)
    .where('serial_no', 'is not', null)
    .groupBy('serial_no')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  const duplicates: Array<{ rowNo: number; serialNo: string }> = [];
  for (let start = 0; start < repeated.length; start += CHUNK) {
    const chunk = repeated.slice(start, start + CHUNK);
    const first = new Map(chunk.map((row) => [row.serial_no!, Number(row.first)]));
    const rows = await db.selectFrom('batch_staging').select(['row_no', 'serial_no']).where('batch_id', '=', batchId).where('sheet', '=', 1).where('serial_no', 'in', [...first.keys()]).execute();
    for (const row of rows) if (row.row_no !== first.get(row.serial_no!)) duplicates.push({ rowNo: row.row_no, serialNo: row.serial_no! });
  }
  return duplicates.sort((a, b) => a.rowNo - b.rowNo);
}

/** Rows of sheets 2 and 3 that belong to no invoice of sheet 1 (or name none). */
export async function stagedOrphans(db: Kysely<Database>, batchId: string): Promise<Array<{ readonly sheet: number; readonly rowNo: number; readonly serialNo: string | null }>> {
  const rows = await db
    .selectFrom('batch_staging as s')
    .select(['s.sheet', 's.row_no', 's.serial_no'])
    .where('s.batch_id', '=', batchId)
    .where('s.sheet', '>', 1)
    .where((eb) =>
      eb.or([
        eb('s.serial_no', 'is', null),
        eb.not(eb.exists(eb.selectFrom('batch_staging as b').select('b.row_no').whereRef('b.batch_id', '=', 's.batch_id').where('b.sheet', '=', 1).whereRef('b.serial_no', '=', 's.serial_no'))),
      ]),
    )
    .orderBy('s.sheet')
    .orderBy('s.row_no')
    .execute();
  return rows.map((row) => ({ sheet: row.sheet, rowNo: row.row_no, serialNo: row.serial_no }));
}

/**
 * The next page of invoices after sheet-1 row `afterRow` (`skip`: rows that repeat an earlier
 * 发票流水号), with their lines and 特定业务 rows: what one page of the check holds in memory.
 * `last` is the page's last sheet-1 row, skipped or not, where the next page starts.
 */
export async function stagedPage(
  db: Kysely<Database>,
  batchId: string,
  afterRow: number,
  limit: number,
  skip: ReadonlySet<number>,
): Promise<{ readonly basic: StagedRow[]; readonly detail: StagedRow[]; readonly specific: StagedRow[]; readonly last: number | undefined }> {
  const rows = await db
    .selectFrom('batch_staging')
    .select(['row_no', 'serial_no', 'cells'])
    .where('batch_id', '=', batchId)
    .where('sheet', '=', 1)
    .where('row_no', '>', afterRow)
    .orderBy('row_no')
    .limit(limit)
    .execute();
  const basic = rows.filter((row) => !skip.has(row.row_no));
  const serials = [...new Set(basic.map((row) => row.serial_no).filter((serial): serial is string => serial !== null))];
  const related = serials.length === 0 ? [] : await db.selectFrom('batch_staging').select(['sheet', 'row_no', 'serial_no', 'cells']).where('batch_id', '=', batchId).where('sheet', '>', 1).where('serial_no', 'in', serials).orderBy('row_no').execute();
  const staged = (sheet: 1 | 2 | 3) => (row: { row_no: number; serial_no: string | null; cells: string }): StagedRow => ({ sheet, rowNo: row.row_no, serialNo: row.serial_no, cells: cellsOf(row.cells) });
  return {
    basic: basic.map(staged(1)),
    detail: related.filter((row) => row.sheet === 2).map(staged(2)),
    specific: related.filter((row) => row.sheet === 3).map(staged(3)),
    last: rows[rows.length - 1]?.row_no,
  };
}

/** Adds checked rows to a batch being checked. */
export async function addBatchRows(db: Kysely<Database>, batchId: string, rows: readonly NewBatchRow[], now: number): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    await db
      .insertInto('batch_rows')
      .values(
        rows.slice(start, start + CHUNK).map((row) => ({
          batch_id: batchId,
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
}

/**
 * Ends the check of a batch, in one transaction: its status, total and problems; refused as a
 * whole (mode all), every waiting row refused with `heldBack`; accepted, its issuing queued; the
 * staged rows dropped either way.
 */
export async function finishBatchCheck(
  db: Kysely<Database>,
  batchId: string,
  outcome: { readonly status: 'accepted' | 'refused'; readonly total: number; readonly problems: unknown; readonly heldBack: unknown },
  now: number,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('batches')
      .set({ status: outcome.status, total: outcome.total, problems: outcome.problems === undefined ? null : JSON.stringify(outcome.problems), updated_at: now })
      .where('id', '=', batchId)
      .execute();
    if (outcome.status === 'refused') {
      await tx.updateTable('batch_rows').set({ status: 'refused', request_json: null, errors: JSON.stringify(outcome.heldBack), updated_at: now }).where('batch_id', '=', batchId).where('status', '=', 'waiting').execute();
    } else {
      const waiting = await tx.selectFrom('batch_rows').select('row_no').where('batch_id', '=', batchId).where('status', '=', 'waiting').limit(1).executeTakeFirst();
      if (waiting) await enqueueJobs(tx, 'batch', [batchId], now);
    }
    await tx.deleteFrom('batch_staging').where('batch_id', '=', batchId).execute();
  });
}

/** Removes a batch whose check failed or was abandoned, with its rows and staging. */
export async function dropBatch(db: Kysely<Database>, batchId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('batch_staging').where('batch_id', '=', batchId).execute();
    await tx.deleteFrom('batch_rows').where('batch_id', '=', batchId).execute();
    await tx.deleteFrom('batches').where('id', '=', batchId).execute();
  });
}

/** Batches left `checking` by a process that stopped mid-check, older than `before`: dropped. */
export async function purgeAbandonedBatchChecks(db: Kysely<Database>, before: number): Promise<number> {
  const stale = await db.selectFrom('batches').select('id').where('status', '=', 'checking').where('updated_at', '<', before).execute();
  for (const batch of stale) await dropBatch(db, batch.id);
  return stale.length;
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

export interface BatchRecord extends BatchHead {
  readonly total: number;
  readonly createdAt: number;
}

export async function findBatch(db: Kysely<Database>, id: string): Promise<BatchRecord | undefined> {
  const row = await db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    sellerTaxId: row.seller_tax_id,
    mode: row.mode as BatchMode,
    status: row.status as 'accepted' | 'refused' | 'checking',
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
