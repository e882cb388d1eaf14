/**
 * Reconciliation in the store: our invoices to match with an upstream's day list, and adoption —
 * an invoice the upstream issued although no answer ever reached us becomes issued here with the
 * upstream's number, its documents due, in one audited transaction fenced like a settle: a worker
 * that holds it meanwhile finds its lease gone and writes nothing.
 */
import { sql, type Kysely } from 'kysely';
import { stateKey, transition, type PendingStage } from '../domain/invoice-state.js';
import type { OurInvoice } from '../domain/reconcile.js';
import { appendAudit } from './audit-log.js';
import { recordInvoiceEvents } from './webhook-outbox.js';
import type { StoreCapabilities } from './capabilities.js';
import { enqueueJobs } from './job-queue.js';
import type { Database } from './schema/index.js';

export interface ReconciledInvoice extends OurInvoice {
  readonly channel: string | null;
}

const columns = ['id', 'serial_no', 'status', 'number', 'total', 'seller_tax_id', 'channel'] as const;
const toOurs = (row: { id: string; serial_no: string; status: string; number: string | null; total: string; seller_tax_id: string; channel: string | null }): ReconciledInvoice => ({
  id: row.id,
  serialNo: row.serial_no,
  status: row.status,
  number: row.number,
  total: row.total,
  sellerTaxId: row.seller_tax_id,
  channel: row.channel,
});

/** Our invoices with any of `serials`, by serial number. */
export async function invoicesBySerial(db: Kysely<Database>, serials: readonly string[]): Promise<Map<string, ReconciledInvoice>> {
  const found = new Map<string, ReconciledInvoice>();
  // In slices: SQLite allows at most 32,766 bound parameters per statement.
  for (let i = 0; i < serials.length; i += 500) {
    const rows = await db.selectFrom('invoices').select(columns).where('serial_no', 'in', serials.slice(i, i + 500)).execute();
    for (const row of rows) found.set(row.serial_no, toOurs(row));
  }
  return found;
}

/** Ours issued through `channel` between `from` (inclusive) and `to`, ms. */
export async function issuedBetween(db: Kysely<Database>, channel: string, from: number, to: number): Promise<ReconciledInvoice[]> {
  const rows = await db.selectFrom('invoices').select(columns).where('channel', '=', channel).where('status', '=', 'issued').where('issued_at', '>=', from).where('issued_at', '<', to).execute();
  return rows.map(toOurs);
}

export interface Adoption {
  readonly invoiceId: string;
  readonly number: string;
  readonly issuedAt: number;
  readonly channel: string;
  readonly simulated: boolean;
  readonly now: number;
}

/** Issues a pending or failed invoice with the upstream's number; 'moved' when it was settled meanwhile. */
export async function adoptInvoice(db: Kysely<Database>, capabilities: StoreCapabilities, adoption: Adoption): Promise<'adopted' | 'moved'> {
  return db.transaction().execute(async (tx) => {
    let read = tx.selectFrom('invoices').select(['status', 'stage', 'lease_version']).where('id', '=', adoption.invoiceId);
    if (capabilities.skipLocked) read = read.forUpdate();
    const row = await read.executeTakeFirst();
    if (!row || (row.status !== 'pending' && row.status !== 'failed')) return 'moved';
    const from = row.status === 'pending' ? { status: 'pending' as const, stage: row.stage as PendingStage } : { status: 'failed' as const };
    const to = transition(from, 'adopted');
    const updated = await tx
      .updateTable('invoices')
      .set({
        status: to.status,
        stage: null,
        number: adoption.number,
        issued_at: adoption.issuedAt,
        channel: adoption.channel,
        simulated: adoption.simulated ? 1 : 0,
        // A worker holding it now loses its lease: its settle is fenced by this version.
        lease_owner: null,
        lease_expires_at: null,
        lease_version: sql<number>`lease_version + 1`,
        updated_at: adoption.now,
      })
      .where('id', '=', adoption.invoiceId)
      .where('lease_version', '=', row.lease_version)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return 'moved';
    await enqueueJobs(tx, 'documents', [adoption.invoiceId], adoption.now);
    await appendAudit(tx, capabilities, adoption.now, [
      { invoiceId: adoption.invoiceId, event: 'adopted', from: stateKey(from), to: stateKey(to), detail: { number: adoption.number, channel: adoption.channel, by: 'reconciliation' } },
    ]);
    await recordInvoiceEvents(tx, capabilities, adoption.now, [{ invoiceId: adoption.invoiceId, type: 'invoice.issued' }]);
    return 'adopted';
  });
}
