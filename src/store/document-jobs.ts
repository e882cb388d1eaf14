/**
 * The document renderer's queue: invoices whose documents are pending, claimed for a while, and
 * settled only by the claim that still holds them. The claim's token is the lease's own expiry,
 * written by the claim: a settle whose token no longer matches lost its claim to another process
 * and writes nothing (the other one renders and stores them).
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { StoreCapabilities } from './database.js';
import type { Database } from './schema/index.js';

/** A claim on one invoice's documents: what rendering needs, and the token that fences its settle. */
export interface DocumentLease {
  readonly invoiceId: string;
  readonly leasedUntil: number;
  readonly computedJson: string;
  readonly number: string | null;
  readonly issuedAt: number | null;
  readonly serialNo: string;
  readonly channel: string | null;
  readonly simulated: boolean;
  readonly attempts: number;
}

/** Claims up to `limit` invoices whose documents are due; never waits on rows another process holds. */
export async function leaseDueDocuments(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  now: number,
  options: { readonly limit: number; readonly leaseMs: number },
): Promise<DocumentLease[]> {
  const leasedUntil = now + options.leaseMs;
  return db.transaction().execute(async (tx) => {
    let due = tx
      .selectFrom('invoices')
      .select('id')
      .where('documents_status', '=', 'pending')
      .where('documents_next_at', '<=', now)
      .where((eb) => eb.or([eb('documents_lease_until', 'is', null), eb('documents_lease_until', '<', now)]))
      .orderBy('documents_next_at')
      .limit(options.limit);
    if (capabilities.skipLocked) due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((row) => row.id);
    if (ids.length === 0) return [];
    const rows = await tx
      .updateTable('invoices')
      .set({ documents_lease_until: leasedUntil })
      .where('id', 'in', ids)
      .returning(['id', 'computed_json', 'number', 'issued_at', 'serial_no', 'channel', 'simulated', 'documents_attempts'])
      .execute();
    return rows.map((row) => ({
      invoiceId: row.id,
      leasedUntil,
      computedJson: row.computed_json,
      number: row.number,
      issuedAt: row.issued_at,
      serialNo: row.serial_no,
      channel: row.channel,
      simulated: row.simulated === 1,
      attempts: row.documents_attempts,
    }));
  });
}

/** Stores both documents and marks them rendered, if the claim still holds; 'lost' writes nothing. */
export async function storeRenderedDocuments(
  tx: Transaction<Database>,
  lease: DocumentLease,
  documents: { readonly pdf: Uint8Array; readonly xml: Uint8Array; readonly now: number },
): Promise<'stored' | 'lost'> {
  const held = await tx
    .updateTable('invoices')
    .set({ documents_status: 'rendered', documents_error: null, documents_lease_until: null })
    .where('id', '=', lease.invoiceId)
    .where('documents_lease_until', '=', lease.leasedUntil)
    .executeTakeFirst();
  if (held.numUpdatedRows === 0n) return 'lost';
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
export async function recordRenderFailure(db: Kysely<Database>, lease: DocumentLease, failure: { readonly message: string; readonly nextAt: number }): Promise<'recorded' | 'lost'> {
  const held = await db
    .updateTable('invoices')
    .set({ documents_attempts: lease.attempts + 1, documents_error: failure.message, documents_next_at: failure.nextAt, documents_lease_until: null })
    .where('id', '=', lease.invoiceId)
    .where('documents_lease_until', '=', lease.leasedUntil)
    .executeTakeFirst();
  return held.numUpdatedRows === 0n ? 'lost' : 'recorded';
}

/** One stored document of an invoice, or undefined. */
export function findDocument(db: Kysely<Database>, invoiceId: string, kind: 'pdf' | 'xml'): Promise<{ content: Uint8Array; sha256: string } | undefined> {
  return db.selectFrom('invoice_documents').select(['content', 'sha256']).where('invoice_id', '=', invoiceId).where('kind', '=', kind).executeTakeFirst();
}
