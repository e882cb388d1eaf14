/**
 * Invoices emailed to buyers: one row per invoice and address, each an `email` job, settled fenced
 * by its claim like every background job. The row is what the invoice resource shows under
 * `deliveries`; the job is the lease.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { StoreCapabilities } from './capabilities.js';
import { newEmailDeliveryId } from './ids.js';
import { completeJob, enqueueJobs, giveUpJob, leaseJobs, recordJobFailure, type JobLease } from './job-queue.js';
import type { Database, EmailDeliveryTable } from './schema/index.js';

/** A claim on one email: what the mail needs, and the job lease that fences its settle. */
export interface EmailLease {
  readonly job: JobLease;
  readonly deliveryId: string;
  readonly invoiceId: string;
  readonly to: string;
  readonly computedJson: string;
  readonly number: string | null;
  readonly issuedAt: number | null;
}

export interface EmailDelivery {
  readonly id: string;
  readonly to: string;
  readonly status: EmailDeliveryTable['status'];
  readonly attempts: number;
  readonly lastError: string | null;
  readonly sentAt: number | null;
  readonly createdAt: number;
}

/** Queues emails of invoices, in the caller's transaction. */
export async function addEmailDeliveries(tx: Transaction<Database>, items: ReadonlyArray<{ readonly invoiceId: string; readonly to: string; readonly requestedBy: string | null }>, now: number): Promise<string[]> {
  if (items.length === 0) return [];
  const rows = items.map((item) => ({
    id: newEmailDeliveryId(now),
    invoice_id: item.invoiceId,
    to_address: item.to,
    status: 'pending' as const,
    attempts: 0,
    last_error: null,
    sent_at: null,
    message_id: null,
    requested_by: item.requestedBy,
    created_at: now,
    updated_at: now,
  }));
  await tx.insertInto('email_deliveries').values(rows).execute();
  await enqueueJobs(tx, 'email', rows.map((row) => row.id), now);
  return rows.map((row) => row.id);
}

/** Claims up to `limit` emails that are due; never waits on rows another process holds. */
export async function leaseDueEmails(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, options: { readonly limit: number; readonly leaseMs: number }): Promise<EmailLease[]> {
  return leaseJobs(db, capabilities, 'email', now, options, {
    load: (ids) =>
      db
        .selectFrom('email_deliveries')
        .innerJoin('invoices', 'invoices.id', 'email_deliveries.invoice_id')
        .select(['email_deliveries.id', 'email_deliveries.invoice_id', 'email_deliveries.to_address', 'invoices.computed_json', 'invoices.number', 'invoices.issued_at'])
        .where('email_deliveries.id', 'in', ids)
        .execute(),
    idOf: (row) => row.id,
    lease: (job, row) => ({ job, deliveryId: row.id, invoiceId: row.invoice_id, to: row.to_address, computedJson: row.computed_json, number: row.number, issuedAt: row.issued_at }),
  });
}

/** The SMTP server took the mail: done, if the claim still holds. */
export async function settleEmailSent(tx: Transaction<Database>, lease: EmailLease, sent: { readonly messageId: string; readonly now: number }): Promise<'sent' | 'lost'> {
  if ((await completeJob(tx, lease.job, sent.now)) === 'lost') return 'lost';
  await tx
    .updateTable('email_deliveries')
    .set((eb) => ({ status: 'sent', attempts: eb('attempts', '+', 1), sent_at: sent.now, message_id: sent.messageId, last_error: null, updated_at: sent.now }))
    .where('id', '=', lease.deliveryId)
    .execute();
  return 'sent';
}

/** A failed try: again at `nextAt`, or failed for good when there is none; fenced by the claim. */
export async function settleEmailFailure(tx: Transaction<Database>, lease: EmailLease, failure: { readonly message: string; readonly nextAt: number | undefined; readonly now: number }): Promise<'retry' | 'failed' | 'lost'> {
  const outcome = failure.nextAt === undefined ? await giveUpJob(tx, lease.job, failure) : await recordJobFailure(tx, lease.job, { ...failure, nextAt: failure.nextAt });
  if (outcome === 'lost') return 'lost';
  await tx
    .updateTable('email_deliveries')
    .set((eb) => ({ status: failure.nextAt === undefined ? 'failed' : 'pending', attempts: eb('attempts', '+', 1), last_error: failure.message, updated_at: failure.now }))
    .where('id', '=', lease.deliveryId)
    .execute();
  return outcome === 'failed' ? 'failed' : 'retry';
}

/** How many emails one invoice and one requester may queue, each within its window. */
export interface EmailLimits {
  readonly perInvoice: number;
  readonly perInvoiceWindowMs: number;
  readonly perRequester: number;
  readonly perRequesterWindowMs: number;
}

export type ResendOutcome = { readonly kind: 'queued'; readonly id: string } | { readonly kind: 'limited'; readonly by: 'invoice' | 'requester'; readonly retryAfterMs: number };

/**
 * Sends an invoice's email again (to its address, or to another one): a new delivery, due now —
 * unless the invoice or the requester has queued its limit within the window. Counting and
 * queueing are one transaction, serialised per invoice and per requester (row and advisory locks on
 * PostgreSQL; SQLite's writers take turns), so requests sent at once cannot all slip under it.
 */
export async function resendEmail(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  request: { readonly invoiceId: string; readonly to: string; readonly requestedBy: string; readonly now: number; readonly limits: EmailLimits },
): Promise<ResendOutcome> {
  const { invoiceId, requestedBy, now, limits } = request;
  return db.transaction().execute(async (tx) => {
    if (capabilities.multipleWriters) {
      await tx.selectFrom('invoices').select('id').where('id', '=', invoiceId).forUpdate().execute();
      await sql`select pg_advisory_xact_lock(hashtext(${`email:${requestedBy}`}))`.execute(tx);
    }
    const recent = async (column: 'invoice_id' | 'requested_by', value: string, windowMs: number) =>
      (await tx.selectFrom('email_deliveries').select('created_at').where(column, '=', value).where('created_at', '>', now - windowMs).orderBy('created_at').execute()).map((row) => row.created_at);
    const byInvoice = await recent('invoice_id', invoiceId, limits.perInvoiceWindowMs);
    if (byInvoice.length >= limits.perInvoice) return { kind: 'limited', by: 'invoice', retryAfterMs: byInvoice[byInvoice.length - limits.perInvoice]! + limits.perInvoiceWindowMs - now };
    const byRequester = await recent('requested_by', requestedBy, limits.perRequesterWindowMs);
    if (byRequester.length >= limits.perRequester) return { kind: 'limited', by: 'requester', retryAfterMs: byRequester[byRequester.length - limits.perRequester]! + limits.perRequesterWindowMs - now };
    const [id] = await addEmailDeliveries(tx, [{ invoiceId, to: request.to, requestedBy }], now);
    return { kind: 'queued', id: id! };
  });
}

/** The emails of invoices, oldest first. */
export async function emailDeliveriesOf(db: Kysely<Database>, invoiceIds: readonly string[]): Promise<Map<string, EmailDelivery[]>> {
  const found = new Map<string, EmailDelivery[]>();
  if (invoiceIds.length === 0) return found;
  const rows = await db.selectFrom('email_deliveries').selectAll().where('invoice_id', 'in', [...invoiceIds]).orderBy('created_at').orderBy('id').execute();
  for (const row of rows) {
    const list = found.get(row.invoice_id) ?? [];
    list.push({ id: row.id, to: row.to_address, status: row.status, attempts: row.attempts, lastError: row.last_error, sentAt: row.sent_at, createdAt: row.created_at });
    found.set(row.invoice_id, list);
  }
  return found;
}
