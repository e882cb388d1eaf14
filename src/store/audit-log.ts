/**
 * The audit log: every state change of every invoice, appended in the same transaction as the
 * change, each entry carrying the hash of the one before (SHA-256). The chain head is one locked
 * row, so appends from several processes still form a single order; `fapiao audit verify` walks it.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { StoreCapabilities } from './database.js';
import type { Database } from './schema/index.js';

export interface AuditEntry {
  readonly invoiceId: string;
  /** What happened: `accepted`, or an invoice event of src/domain/invoice-state.ts. */
  readonly event: string;
  /** `pending/queued` …; null for the first entry of an invoice. */
  readonly from: string | null;
  readonly to: string;
  /** A small JSON-able detail (error code, number, channel); never secrets. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** The hash of one entry, chained to the previous entry's hash. */
export function auditHash(
  prevHash: string,
  entry: { seq: number; at: number; invoice_id: string; event: string; from_state: string | null; to_state: string; detail: string | null },
): string {
  const line = JSON.stringify([entry.seq, entry.at, entry.invoice_id, entry.event, entry.from_state, entry.to_state, entry.detail]);
  return createHash('sha256').update(prevHash).update('\n').update(line).digest('hex');
}

/**
 * The head as this transaction left it: read once per transaction (a group commit appends for a
 * whole batch), then carried forward in memory. Keyed by the transaction object, so it is gone
 * with it, and never shared across transactions (another process may append in between).
 */
const headInTransaction = new WeakMap<Transaction<Database>, { seq: number; hash: string }>();

/** Appends entries in order, inside the caller's transaction. */
export async function appendAudit(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  at: number,
  entries: readonly AuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  let current = headInTransaction.get(tx);
  if (!current) {
    let head = tx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
    // SQLite has one writer at a time already; PostgreSQL needs the row lock to keep one chain.
    if (capabilities.multipleWriters) head = head.forUpdate();
    const row = await head.executeTakeFirstOrThrow();
    current = { seq: Number(row.seq), hash: row.hash };
  }
  let seq = current.seq;
  let hash = current.hash;
  const rows = entries.map((entry) => {
    seq += 1;
    const row = {
      seq,
      at,
      invoice_id: entry.invoiceId,
      event: entry.event,
      from_state: entry.from,
      to_state: entry.to,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    };
    const prev_hash = hash;
    hash = auditHash(prev_hash, row);
    return { ...row, prev_hash, hash };
  });
  // Insert in slices: SQLite allows at most 32,766 bound parameters per statement.
  for (let i = 0; i < rows.length; i += 500) {
    await tx.insertInto('audit_log').values(rows.slice(i, i + 500)).execute();
  }
  await tx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
  headInTransaction.set(tx, { seq, hash });
}
