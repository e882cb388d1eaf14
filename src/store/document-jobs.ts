/**
 * The document renderer's queue: each issued invoice has a `documents` job (src/store/job-queue.ts)
 * until its PDF and XML are stored. A claim brings what rendering needs; storing is fenced by the
 * claim, so a renderer that lost its claim after the lease ran out stores nothing (the process
 * that holds it now renders and stores them).
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { StoreCapabilities } from './capabilities.js';
import { completeJob, leaseJobs, recordJobFailure, type JobLease } from './job-queue.js';
import { addEmailDeliveries } from './email-deliveries.js';
import type { Database } from './schema/index.js';
import { recordDocumentsReady } from './webhook-outbox.js';

/** A claim on one invoice's documents: what rendering needs, and the job lease that fences its settle. */
export interface DocumentLease {
  readonly job: JobLease;
  readonly invoiceId: string;
  readonly computedJson: string;
  readonly number: string | null;
  readonly issuedAt: number | null;
  readonly serialNo: string;
  readonly channel: string | null;
  readonly simulated: boolean;
  readonly attempts: number;
  /** The invoice's trace (W3C traceparent), for the render's span; null when none. */
  readonly traceParent: string | null;
}

/** Claims up to `limit` invoices whose documents are due; never waits on rows another process holds. */
export async function leaseDueDocuments(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  now: number,
  options: { readonly limit: number; readonly leaseMs: number },
): Promise<DocumentLease[]> {
  return leaseJobs(db, capabilities, 'documents', now, options, {
    load: (ids) => db.selectFrom('invoices').select(['id', 'computed_json', 'number', 'issued_at', 'serial_no', 'channel', 'simulated', 'trace_parent']).where('id', 'in', ids).execute(),
    idOf: (row) => row.id,
    lease: (job, row) => ({
      job,
      invoiceId: row.id,
      computedJson: row.computed_json,
      number: row.number,
      issuedAt: row.issued_at,
      serialNo: row.serial_no,
      channel: row.channel,
      simulated: row.simulated === 1,
      attempts: job.attempts,
      traceParent: row.trace_parent,
    }),
  });
}

/**
 * Stores both documents and marks the job done, if the claim still holds; 'lost' writes nothing.
 * In the same transaction: `invoice.documents_ready` for subscribers, and the email to the buyer
 * (`emailTo`) when there is one to send.
 */
export async function storeRenderedDocuments(
  tx: Transaction<Database>,
  lease: DocumentLease,
  documents: { readonly pdf: Uint8Array; readonly xml: Uint8Array; readonly now: number; readonly capabilities: StoreCapabilities; readonly emailTo?: string },
): Promise<'stored' | 'lost'> {
  if ((await completeJob(tx, lease.job, documents.now)) === 'lost') return 'lost';
  await recordDocumentsReady(tx, documents.capabilities, documents.now, [lease.invoiceId]);
  if (documents.emailTo) await addEmailDeliveries(tx, [{ invoiceId: lease.invoiceId, to: documents.emailTo, requestedBy: null }], documents.now);
  await tx.deleteFrom('invoice_documents').where('invoice_id', '=', lease.invoiceId).execute();
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  await tx
    .insertInto('invoice_documents')
    .values([
      { invoice_id: lease.invoiceId, kind: 'pdf', content: documents.pdf, sha256: sha256(documents.pdf), created_at: documents.now },
      { invoice_id: lease.invoiceId, kind: 'xml', content: documents.xml, sha256: sha256(documents.xml), created_at: documents.now },
    ])
    .execute();
  return 'stored';
}

/** Records a failed render and when to try again, if the claim still holds. */
export function recordRenderFailure(db: Kysely<Database>, lease: DocumentLease, failure: { readonly message: string; readonly nextAt: number; readonly now: number }): Promise<'recorded' | 'lost'> {
  return recordJobFailure(db, lease.job, failure);
}

/** One stored document of an invoice, or undefined. */
export function findDocument(db: Kysely<Database>, invoiceId: string, format: 'pdf' | 'xml'): Promise<{ content: Uint8Array; sha256: string } | undefined> {
  return db.selectFrom('invoice_documents').select(['content', 'sha256']).where('invoice_id', '=', invoiceId).where('kind', '=', format).executeTakeFirst();
}
