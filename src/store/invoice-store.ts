/**
 * Invoices as the API sees them: accept (invoice + idempotency record + audit entry in one
 * transaction), read, list with a cursor, and re-queue a failed one. The dispatcher's own queries
 * live in src/store/invoice-leases.ts.
 */
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import { stateKey, transition } from '../domain/invoice-state.js';
import { insertInvoice, liveOrder, recordKey, storedKey } from './accept-queries.js';
import { buyerNamesContaining, containsPattern } from './buyer-names.js';
import { invoiceIdFloor } from './ids.js';
import { acceptPlainMany } from './accept-statement.js';
import { advanceHeldChain, appendAudit, heldChain, linkEntries } from './audit-log.js';
import type { StoreCapabilities } from './capabilities.js';
import { isUniqueViolation } from './db-errors.js';
import type { Batched, GroupCommit } from './group-commit.js';
import type { Database, InvoiceRow } from './schema/index.js';

/** What a new invoice is made of; everything else about its row starts the same for every invoice. */
export interface NewInvoice {
  readonly id: string;
  readonly serialNo: string;
  readonly sellerTaxId: string;
  readonly orderNo: string;
  readonly buyerTaxId: string | null;
  readonly buyerName: string;
  readonly type: string;
  readonly total: string;
  readonly requestJson: string;
  readonly computedJson: string;
  readonly now: number;
  /** When to stop trying if it never reaches an upstream, ms. */
  readonly giveUpAt: number;
  /** The W3C traceparent it is accepted under, while tracing is on. */
  readonly traceParent?: string | null;
}

/** The row of a freshly accepted invoice: pending, queued, due now, unclaimed, bound to no channel. */
export function pendingInvoiceRow(invoice: NewInvoice): InvoiceRow {
  return {
    id: invoice.id,
    seller_tax_id: invoice.sellerTaxId,
    order_no: invoice.orderNo,
    buyer_tax_id: invoice.buyerTaxId,
    buyer_name: invoice.buyerName,
    type: invoice.type,
    total: invoice.total,
    request_json: invoice.requestJson,
    computed_json: invoice.computedJson,
    status: 'pending',
    stage: 'queued',
    serial_no: invoice.serialNo,
    channel: null,
    number: null,
    issued_at: null,
    attempts: 0,
    next_attempt_at: invoice.now,
    lease_owner: null,
    lease_expires_at: null,
    lease_version: 0,
    give_up_at: invoice.giveUpAt,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    created_at: invoice.now,
    updated_at: invoice.now,
    simulated: 0,
    last_sent_at: null,
    kind: 'blue',
    blue_invoice_id: null,
    red_reason: null,
    confirmation_bill_no: null,
    confirmation_status: null,
    trace_parent: invoice.traceParent ?? null,
  };
}

/** An invoice as the API reads it: its row and its documents job (null fields before it is issued). */
export type InvoiceRecord = InvoiceRow & {
  /** pending until the PDF and XML are stored, then done; null before issue. */
  readonly documents_status: string | null;
  readonly documents_attempts: number | null;
  readonly documents_error: string | null;
};

/** Invoices joined with their documents job; filters must name `invoices.` columns (jobs shares some names). */
function selectRecords(db: Kysely<Database>) {
  return db
    .selectFrom('invoices')
    .leftJoin('jobs', (join) => join.onRef('jobs.subject_id', '=', 'invoices.id').on('jobs.queue', '=', 'documents'))
    .selectAll('invoices')
    .select(['jobs.status as documents_status', 'jobs.attempts as documents_attempts', 'jobs.last_error as documents_error']);
}

const newRecord = (row: InvoiceRow): InvoiceRecord => ({ ...row, documents_status: null, documents_attempts: null, documents_error: null });

export interface AcceptInput {
  readonly sellerTaxId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  /** The new invoice row, complete, prepared before the transaction (CPU work stays outside it). */
  readonly row: InvoiceRow;
  /** How long the idempotency record is kept, ms. */
  readonly idempotencyTtlMs: number;
}

/** What an idempotent write answers: made now, made before under the same key and body, or the key taken by another body. */
export type IdempotentAnswer =
  | { readonly kind: 'created'; readonly invoice: InvoiceRecord }
  | { readonly kind: 'replayed'; readonly invoice: InvoiceRecord }
  | { readonly kind: 'key_reused'; readonly invoiceId: string };

export type AcceptResult = IdempotentAnswer | { readonly kind: 'order_no_taken'; readonly invoiceId: string; readonly status: string };

/** What a seller's idempotency key says before a write: answer at once, or free (`expired`: an old record to replace). */
export type KeyState = Exclude<IdempotentAnswer, { kind: 'created' }> | { readonly kind: 'free'; readonly expired: boolean };

/** Reads the key in the write's transaction: a live record answers (replayed or key_reused); none, or an expired one, leaves it free. */
export async function readIdempotencyKey(tx: Transaction<Database>, capabilities: StoreCapabilities, sellerTaxId: string, key: string, requestHash: string, now: number): Promise<KeyState> {
  const existing = await storedKey(tx, capabilities, sellerTaxId, key);
  if (!existing) return { kind: 'free', expired: false };
  if (existing.expires_at <= now) return { kind: 'free', expired: true };
  if (existing.request_hash !== requestHash) return { kind: 'key_reused', invoiceId: existing.invoice_id };
  return { kind: 'replayed', invoice: await findRecordIn(tx, existing.invoice_id) };
}

/** Records the key for the invoice just written, replacing an expired record of it. */
export async function recordIdempotencyKey(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  record: { readonly sellerTaxId: string; readonly key: string; readonly requestHash: string; readonly invoiceId: string; readonly now: number; readonly ttlMs: number; readonly replacesExpired: boolean },
): Promise<void> {
  await recordKey(tx, capabilities, { ...record, expiresAt: record.now + record.ttlMs });
}

/** Accepts one invoice through the group committer; resolves once it is durable. */
export async function acceptInvoice(commit: GroupCommit, capabilities: StoreCapabilities, input: AcceptInput): Promise<AcceptResult> {
  const accept = () =>
    commit.submitBatched(capabilities.batchedWrites ? ACCEPT_BATCH : ACCEPT_EACH, { capabilities, input });
  // Another process committed the same key or order number between our read and our insert
  // (PostgreSQL, several gateways): its row is committed now, so the next run reads it and answers
  // replayed, key_reused or order_no_taken. A few runs, since the next one may meet a third writer.
  for (let run = 1; ; run++) {
    try {
      return await accept();
    } catch (error) {
      if (!isUniqueViolation(error) || run === UNIQUE_RACE_RUNS) throw error;
    }
  }
}

const UNIQUE_RACE_RUNS = 4;

const acceptedEntry = (row: InvoiceRow) => ({ invoiceId: row.id, event: 'accepted', from: null, to: 'pending/queued', detail: { serialNo: row.serial_no }, at: row.created_at });

/**
 * The accepts of one batch on PostgreSQL: the plain ones in one statement, their audit entries in
 * one more, and each of the others through the general path.
 */
const ACCEPT_BATCH: Batched<{ readonly capabilities: StoreCapabilities; readonly input: AcceptInput }, AcceptResult> = {
  async run(tx, requests) {
    const capabilities = requests[0]!.capabilities;
    const plain = requests.map(({ input }) => ({ row: input.row, idempotencyKey: input.idempotencyKey, requestHash: input.requestHash, expiresAt: input.row.created_at + input.idempotencyTtlMs, audit: acceptedEntry(input.row) }));
    // Usually every request is plain: all of it, audit included, in one statement.
    const now = plain[0]!.row.created_at;
    const audit = linkEntries(await heldChain(tx, capabilities, now), now, plain.map((accept) => accept.audit));
    let created = await acceptPlainMany(tx, plain, audit);
    if (created.some(Boolean)) advanceHeldChain(tx, audit.head);
    else {
      created = await acceptPlainMany(tx, plain);
      const made = plain.filter((_accept, n) => created[n]);
      if (made.length > 0) await appendAudit(tx, capabilities, now, made.map((accept) => accept.audit));
    }
    const answers: AcceptResult[] = [];
    for (const [n, { input }] of requests.entries()) answers.push(created[n] ? { kind: 'created', invoice: newRecord(input.row) } : await acceptInTransaction(tx, capabilities, input));
    return answers;
  },
};

/**
 * The accepts of one batch on SQLite: each request read and written in turn (in the process, a
 * statement per request costs microseconds), their audit entries appended together at the end.
 */
const ACCEPT_EACH: Batched<{ readonly capabilities: StoreCapabilities; readonly input: AcceptInput }, AcceptResult> = {
  async run(tx, requests) {
    const capabilities = requests[0]!.capabilities;
    const answers: AcceptResult[] = [];
    for (const { input } of requests) answers.push(await acceptUnaudited(tx, capabilities, input));
    const made = requests.filter((_request, n) => answers[n]!.kind === 'created').map(({ input }) => acceptedEntry(input.row));
    await appendAudit(tx, capabilities, requests[0]!.input.row.created_at, made);
    return answers;
  },
};

/** One accept, reading first: PostgreSQL's path for what is not plain. */
async function acceptInTransaction(tx: Transaction<Database>, capabilities: StoreCapabilities, input: AcceptInput): Promise<AcceptResult> {
  const answer = await acceptUnaudited(tx, capabilities, input);
  if (answer.kind === 'created') await appendAudit(tx, capabilities, input.row.created_at, [acceptedEntry(input.row)]);
  return answer;
}

/** One accept's checks and rows, without its audit entry (the caller appends it). */
async function acceptUnaudited(tx: Transaction<Database>, capabilities: StoreCapabilities, input: AcceptInput): Promise<AcceptResult> {
  const now = input.row.created_at;
  const key = await readIdempotencyKey(tx, capabilities, input.sellerTaxId, input.idempotencyKey, input.requestHash, now);
  if (key.kind !== 'free') return key;
  // An order number is issued at most once per seller, whatever the idempotency key: an ERP that
  // makes a new key on every retry must not get a second invoice (and 诺诺 refuses it, E9106).
  const sameOrder = await liveOrder(tx, capabilities, input.sellerTaxId, input.row.order_no);
  if (sameOrder) return { kind: 'order_no_taken', invoiceId: sameOrder.id, status: sameOrder.status };
  await insertInvoice(tx, capabilities, input.row);
  await recordIdempotencyKey(tx, capabilities, {
    sellerTaxId: input.sellerTaxId,
    key: input.idempotencyKey,
    requestHash: input.requestHash,
    invoiceId: input.row.id,
    now,
    ttlMs: input.idempotencyTtlMs,
    replacesExpired: key.expired,
  });
  return { kind: 'created', invoice: newRecord(input.row) };
}

/** One invoice by id, which must exist (read inside the transaction that wrote or locked it). */
export function findRecordIn(db: Kysely<Database>, id: string): Promise<InvoiceRecord> {
  return selectRecords(db).where('invoices.id', '=', id).executeTakeFirstOrThrow();
}

/** Invoices by id, as they are in this transaction. */
export async function findRecordsIn(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, InvoiceRecord>> {
  const found = new Map<string, InvoiceRecord>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of await selectRecords(db).where('invoices.id', 'in', ids.slice(i, i + 500)).execute()) found.set(row.id, row);
  }
  return found;
}

/** One invoice, if it belongs to one of `sellers` (another seller's invoice does not exist for the caller). */
export async function findInvoice(db: Kysely<Database>, id: string, sellers: readonly string[]): Promise<InvoiceRecord | undefined> {
  if (sellers.length === 0) return undefined;
  return selectRecords(db).where('invoices.id', '=', id).where('invoices.seller_tax_id', 'in', [...sellers]).executeTakeFirst();
}

/**
 * Makes pending invoices in one waiting stage due now (something they wait on changed upstream: a
 * form withdrawn, room in the quota); the dispatcher decides again. One invoice, or a seller's.
 * Leased ones are left alone: their holder settles them. Answers how many were made due.
 */
export async function makeDueNow(db: Kysely<Database>, which: { readonly id: string } | { readonly sellerTaxId: string }, stage: 'awaiting_confirmation' | 'awaiting_quota', now: number): Promise<number> {
  const update = db.updateTable('invoices').set({ next_attempt_at: now });
  const result = await ('id' in which ? update.where('id', '=', which.id) : update.where('seller_tax_id', '=', which.sellerTaxId))
    .where('status', '=', 'pending')
    .where('stage', '=', stage)
    .where('lease_expires_at', 'is', null)
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface InvoiceFilter {
  readonly sellers: readonly string[];
  readonly status?: string;
  readonly stage?: string;
  readonly sellerTaxId?: string;
  readonly buyerTaxId?: string;
  readonly orderNo?: string;
  /** The 20-digit invoice number. */
  readonly number?: string;
  /** 价税合计, two-decimal text. */
  readonly total?: string;
  /** A part of the buyer's name. */
  readonly buyerName?: string;
  /** Created at or after, ms. */
  readonly from?: number;
  /** Created before, ms. */
  readonly to?: number;
  /** The id after which to continue (newest first). */
  readonly cursor?: string;
  readonly limit: number;
}

/** Newest first; one more row than asked tells whether another page exists. */
export async function listInvoices(db: Kysely<Database>, filter: InvoiceFilter): Promise<{ rows: InvoiceRecord[]; nextCursor: string | null }> {
  const sellers = filter.sellerTaxId ? filter.sellers.filter((s) => s === filter.sellerTaxId) : filter.sellers;
  if (sellers.length === 0) return { rows: [], nextCursor: null };
  const wanted = filter.limit + 1;
  let rows: InvoiceRecord[];
  const matches = filter.buyerName ? await buyerNamesContaining(db, sellers, filter.buyerName) : undefined;
  if (matches?.kind === 'names') {
    // Each matching buyer's newest ids from the name index, merged: a few short reads instead of
    // a walk through every invoice of the seller when the name is rare or absent.
    const idLists = await Promise.all(
      matches.names.map(({ seller, name }) =>
        narrowed(db.selectFrom('invoices').select('invoices.id').where('invoices.seller_tax_id', '=', seller).where('invoices.buyer_name', '=', name), filter)
          .orderBy('invoices.id', 'desc')
          .limit(wanted)
          .execute(),
      ),
    );
    const ids = idLists.flat().map((row) => row.id).sort().reverse().slice(0, wanted);
    rows = ids.length === 0 ? [] : await selectRecords(db).where('invoices.id', 'in', ids).orderBy('invoices.id', 'desc').execute();
  } else {
    let query = narrowed(selectRecords(db).where('invoices.seller_tax_id', 'in', [...sellers]), filter);
    if (filter.buyerName) query = query.where(sql<boolean>`invoices.buyer_name like ${containsPattern(filter.buyerName)} escape '\\'`);
    rows = await query.orderBy('invoices.id', 'desc').limit(wanted).execute();
  }
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
}

/** The list's filters but the seller and the buyer's name, on any query over invoices. */
function narrowed<Q extends SelectQueryBuilder<Database, 'invoices', object>>(query: Q, filter: InvoiceFilter): Q {
  let q = query as SelectQueryBuilder<Database, 'invoices', object>;
  if (filter.status) q = q.where('invoices.status', '=', filter.status);
  if (filter.stage) q = q.where('invoices.stage', '=', filter.stage);
  if (filter.buyerTaxId) q = q.where('invoices.buyer_tax_id', '=', filter.buyerTaxId);
  if (filter.orderNo) q = q.where('invoices.order_no', '=', filter.orderNo);
  if (filter.number) q = q.where('invoices.number', '=', filter.number);
  if (filter.total) q = q.where('invoices.total', '=', filter.total);
  // The id bounds let the (seller, id) index find the range; created_at says it exactly.
  if (filter.from !== undefined) q = q.where('invoices.created_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('invoices.created_at', '<', filter.to);
  const fromId = filter.from === undefined ? undefined : invoiceIdFloor(filter.from);
  const toId = filter.to === undefined ? undefined : invoiceIdFloor(filter.to);
  if (fromId) q = q.where('invoices.id', '>=', fromId);
  if (toId) q = q.where('invoices.id', '<', toId);
  if (filter.cursor) q = q.where('invoices.id', '<', filter.cursor);
  return q as Q;
}

export type RetryResult = { kind: 'requeued'; invoice: InvoiceRecord } | { kind: 'not_found' } | { kind: 'not_failed'; invoice: InvoiceRecord };

/** Puts a failed invoice back in the queue with a fresh give-up deadline. */
export async function retryInvoice(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  id: string,
  sellers: readonly string[],
  now: number,
  maxAgeMs: number,
): Promise<RetryResult> {
  return db.transaction().execute(async (tx) => {
    const invoice = await selectRecords(tx).where('invoices.id', '=', id).where('invoices.seller_tax_id', 'in', [...sellers]).executeTakeFirst();
    if (!invoice) return { kind: 'not_found' };
    if (invoice.status !== 'failed') return { kind: 'not_failed', invoice };
    const next = transition({ status: 'failed' }, 'retry_requested');
    const updated = await tx
      .updateTable('invoices')
      .set({ status: 'pending', stage: 'queued', next_attempt_at: now, give_up_at: now + maxAgeMs, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return { kind: 'not_failed', invoice };
    await appendAudit(tx, capabilities, now, [{ invoiceId: id, event: 'retry_requested', from: 'failed', to: stateKey(next) }]);
    return { kind: 'requeued', invoice: await selectRecords(tx).where('invoices.id', '=', id).executeTakeFirstOrThrow() };
  });
}


/** Forgets idempotency keys past their time (72 h by default); returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
