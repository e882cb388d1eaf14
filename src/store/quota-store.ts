/**
 * SQL of the quota guard: each seller's last quota reading and the read's lease (seller_quotas),
 * and the invoices the quota counts — issued ones since a time with their tax-excluded amounts
 * (read from the computed JSON, which always writes two decimals), and those on their way.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { formatFen, parseMoney, type Fen } from '../domain/money.js';
import type { QuotaReading } from '../domain/quota.js';
import type { RedFlushReason } from '../domain/red-flush.js';
import type { StoreCapabilities } from './capabilities.js';
import { invoiceIdFloor } from './ids.js';
import type { Database, SellerQuotaTable } from './schema/index.js';
import type { Selectable } from 'kysely';

export type SellerQuotaRow = Selectable<SellerQuotaTable>;

/** Yuan text from the table as fen; a column never holds anything else. */
export function fenOf(text: string): Fen {
  const parsed = parseMoney(text, { allowNegative: true });
  if (!parsed.ok) throw new Error(`seller_quotas holds an unreadable amount: ${text}`);
  return parsed.fen;
}

/** The reading a row holds, or undefined before the first. */
export function readingOf(row: SellerQuotaRow): QuotaReading | undefined {
  if (row.total === null || row.used === null || row.remaining === null || row.as_of === null) return undefined;
  return { totalFen: fenOf(row.total), usedFen: fenOf(row.used), remainingFen: fenOf(row.remaining), asOf: Number(row.as_of) };
}

/** A row for every registered seller that has none yet (due to be read at once). */
export async function ensureSellerQuotas(db: Kysely<Database>, now: number): Promise<void> {
  const missing = await db
    .selectFrom('sellers')
    .select('tax_id')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('seller_quotas').select('seller_tax_id').whereRef('seller_quotas.seller_tax_id', '=', 'sellers.tax_id'))))
    .execute();
  if (missing.length === 0) return;
  await db
    .insertInto('seller_quotas')
    .values(missing.map((row) => ({ seller_tax_id: row.tax_id, updated_at: now })))
    .onConflict((conflict) => conflict.column('seller_tax_id').doNothing())
    .execute();
}

export async function sellerQuotaRows(db: Kysely<Database>, sellers?: readonly string[]): Promise<SellerQuotaRow[]> {
  if (sellers && sellers.length === 0) return [];
  let query = db.selectFrom('seller_quotas').selectAll().orderBy('seller_tax_id');
  if (sellers) query = query.where('seller_tax_id', 'in', [...sellers]);
  return query.execute();
}

export interface QuotaReadLease {
  readonly row: SellerQuotaRow;
  readonly workerId: string;
  readonly leaseVersion: number;
}

/** Claims sellers whose quota is due to be read; never waits on rows another process holds. */
export async function leaseDueQuotaReads(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, options: { readonly workerId: string; readonly leaseMs: number; readonly limit: number }): Promise<QuotaReadLease[]> {
  return db.transaction().execute(async (tx) => {
    let due = tx
      .selectFrom('seller_quotas')
      .select('seller_tax_id')
      .where('next_read_at', '<=', now)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .orderBy('next_read_at')
      .limit(options.limit);
    if (capabilities.skipLocked) due = due.forUpdate().skipLocked();
    const sellers = (await due.execute()).map((row) => row.seller_tax_id);
    if (sellers.length === 0) return [];
    const rows = await tx
      .updateTable('seller_quotas')
      .set({ lease_owner: options.workerId, lease_expires_at: now + options.leaseMs, lease_version: sql<number>`lease_version + 1` })
      .where('seller_tax_id', 'in', sellers)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .returningAll()
      .execute();
    return rows.map((row) => ({ row, workerId: options.workerId, leaseVersion: Number(row.lease_version) }));
  });
}

/** What one read found, as the reader decided it. */
export type QuotaReadResult =
  | { readonly kind: 'read'; readonly channel: string; readonly reading: QuotaReading; readonly usedElsewhereFen: Fen; readonly month: string }
  /** No channel keeps a quota for the seller: nothing is guarded. */
  | { readonly kind: 'none'; readonly channel: string | null }
  | { readonly kind: 'failed'; readonly channel: string; readonly error: string };

/** Records a read and gives the lease back, fenced by it; false when the lease was lost. */
export async function settleQuotaRead(db: Kysely<Database>, lease: QuotaReadLease, now: number, result: QuotaReadResult, schedule: { readonly nextReadAt: number; readonly readsDay: string; readonly readsCount: number }): Promise<boolean> {
  const read =
    result.kind === 'read'
      ? {
          channel: result.channel,
          month: result.month,
          total: formatFen(result.reading.totalFen),
          used: formatFen(result.reading.usedFen),
          remaining: formatFen(result.reading.remainingFen),
          as_of: result.reading.asOf,
          used_elsewhere: formatFen(result.usedElsewhereFen),
          read_error: null,
        }
      : result.kind === 'none'
        ? { channel: result.channel, month: null, total: null, used: null, remaining: null, as_of: null, read_error: null }
        : { read_error: result.error.slice(0, 500) };
  // A read asked for while this one was on its way may be about a change this one did not see
  // (a raise made after the upstream answered): the seller stays due, not scheduled past the ask.
  const asked = sql<boolean>`read_asks <> ${Number(lease.row.read_asks)}`;
  const updated = await db
    .updateTable('seller_quotas')
    .set((eb) => ({ ...read, read_at: now, reads_day: schedule.readsDay, reads_count: schedule.readsCount, next_read_at: eb.case().when(asked).then(now).else(schedule.nextReadAt).end(), lease_owner: null, lease_expires_at: null, updated_at: now }))
    .where('seller_tax_id', '=', lease.row.seller_tax_id)
    .where('lease_version', '=', lease.leaseVersion)
    .where('lease_owner', '=', lease.workerId)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Gives back claims whose read did not end (a stop): read again at once by whoever comes next. */
export async function releaseQuotaReads(db: Kysely<Database>, leases: readonly QuotaReadLease[]): Promise<void> {
  for (const lease of leases) {
    await db
      .updateTable('seller_quotas')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('seller_tax_id', '=', lease.row.seller_tax_id)
      .where('lease_version', '=', lease.leaseVersion)
      .where('lease_owner', '=', lease.workerId)
      .execute();
  }
}

/** Asks for a seller's quota to be read at the next round (after a raise is expected, or by an operator). */
export async function readQuotaSoon(db: Kysely<Database>, sellerTaxId: string, now: number): Promise<void> {
  await db
    .updateTable('seller_quotas')
    .set((eb) => ({ next_read_at: eb.case().when('next_read_at', '>', now).then(now).else(eb.ref('next_read_at')).end(), read_asks: sql<number>`read_asks + 1` }))
    .where('seller_tax_id', '=', sellerTaxId)
    .execute();
}

/** Sets the part of the quota kept for high-priority invoices. */
export async function setQuotaReserve(db: Kysely<Database>, sellerTaxId: string, reserveFen: Fen, now: number): Promise<void> {
  await db
    .insertInto('seller_quotas')
    .values({ seller_tax_id: sellerTaxId, reserve: formatFen(reserveFen), updated_at: now })
    .onConflict((conflict) => conflict.column('seller_tax_id').doUpdateSet({ reserve: formatFen(reserveFen), updated_at: now }))
    .execute();
}

/** Marks this month's quota.low as sent; true only for the one caller that marked it (once per month per seller). */
export async function markQuotaLowReported(tx: Transaction<Database>, sellerTaxId: string, month: string): Promise<boolean> {
  const updated = await tx
    .updateTable('seller_quotas')
    .set({ low_reported_month: month })
    .where('seller_tax_id', '=', sellerTaxId)
    .where((eb) => eb.or([eb('low_reported_month', 'is', null), eb('low_reported_month', '<>', month)]))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** An invoice as the quota counts it. */
export interface QuotaInvoice {
  readonly id: string;
  readonly kind: 'blue' | 'red';
  /** 合计金额 (tax-excluded), fen; negative for a red invoice. */
  readonly amountFen: Fen;
  readonly issuedAt: number | null;
  readonly stage: string | null;
  readonly redReason: RedFlushReason | null;
  readonly blueIssuedAt: number | null;
}

/** How far before the oldest time asked about an invoice may have been accepted (a long wait for quota, then issue). */
const ACCEPTED_BEFORE_MS = 62 * 86_400_000;

/** The tax-excluded amount in the computed JSON, as text ("1000.00"). */
function amountText(capabilities: StoreCapabilities) {
  return capabilities.dialect === 'postgres' ? sql<string>`(i.computed_json::json #>> '{totals,amount}')` : sql<string>`json_extract(i.computed_json, '$.totals.amount')`;
}

/**
 * The seller's invoices issued since `issuedSince` and those on their way, read in one snapshot
 * (PostgreSQL: a repeatable-read transaction; SQLite: a read transaction on one connection): an
 * invoice settling between two separate reads would be counted twice, or not at all.
 */
export async function quotaBooks(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  sellerTaxId: string,
  // issuedSince null: no reading to count issued invoices against. pending 'waiting': only those
  // waiting for quota (a seller nothing guards needs no more, and its other invoices' JSON is not parsed).
  scope: { readonly issuedSince: number | null; readonly pending: 'all' | 'waiting' },
): Promise<{ readonly issued: QuotaInvoice[]; readonly pending: QuotaInvoice[] }> {
  const read = async (reader: Kysely<Database>) => ({
    issued: scope.issuedSince === null ? [] : await issuedSince(reader, capabilities, sellerTaxId, scope.issuedSince),
    pending: await onTheirWay(reader, capabilities, sellerTaxId, scope.pending),
  });
  if (capabilities.isolationLevels) return db.transaction().setIsolationLevel('repeatable read').execute((tx) => read(tx));
  return db.connection().execute(async (connection) => {
    await sql`begin`.execute(connection);
    try {
      return await read(connection);
    } finally {
      await sql`commit`.execute(connection);
    }
  });
}

/** A seller's invoices with what the quota needs of each: kind, times, stage, reason, amount, the blue invoice's issue time. */
function quotaRows(db: Kysely<Database>, capabilities: StoreCapabilities, sellerTaxId: string) {
  return db
    .selectFrom('invoices as i')
    .leftJoin('invoices as b', 'b.id', 'i.blue_invoice_id')
    .select(['i.id', 'i.kind', 'i.issued_at', 'i.stage', 'i.red_reason', 'b.issued_at as blue_issued_at', amountText(capabilities).as('amount')])
    .where('i.seller_tax_id', '=', sellerTaxId);
}

/**
 * The seller's invoices issued at or after `since` (ids bound the scan by acceptance time), with
 * each red invoice's reason and its blue invoice's issue time.
 */
export async function issuedSince(db: Kysely<Database>, capabilities: StoreCapabilities, sellerTaxId: string, since: number): Promise<QuotaInvoice[]> {
  const floor = invoiceIdFloor(Math.max(0, since - ACCEPTED_BEFORE_MS)) ?? 'inv_';
  const rows = await quotaRows(db, capabilities, sellerTaxId).where('i.status', '=', 'issued').where('i.id', '>=', floor).where('i.issued_at', '>=', since).execute();
  return rows.map(quotaInvoice);
}

/** The seller's invoices accepted and not issued yet (blue ones: a red one only gives back), or only those waiting for quota. */
export async function onTheirWay(db: Kysely<Database>, capabilities: StoreCapabilities, sellerTaxId: string, which: 'all' | 'waiting' = 'all'): Promise<QuotaInvoice[]> {
  let query = quotaRows(db, capabilities, sellerTaxId).where('i.status', '=', 'pending').where('i.kind', '=', 'blue');
  if (which === 'waiting') query = query.where('i.stage', '=', 'awaiting_quota');
  return (await query.execute()).map(quotaInvoice);
}

function quotaInvoice(row: { id: string; kind: string; issued_at: number | null; stage: string | null; red_reason: string | null; blue_issued_at: number | null; amount: string | null }): QuotaInvoice {
  return {
    id: row.id,
    kind: row.kind === 'red' ? 'red' : 'blue',
    amountFen: row.amount === null ? 0n : fenOf(String(row.amount)),
    issuedAt: row.issued_at === null ? null : Number(row.issued_at),
    stage: row.stage,
    redReason: row.red_reason as RedFlushReason | null,
    blueIssuedAt: row.blue_issued_at === null ? null : Number(row.blue_issued_at),
  };
}
