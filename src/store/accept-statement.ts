/**
 * Accepting a new invoice on PostgreSQL in one statement: the invoice, its idempotency record,
 * its audit entry and the audit chain's new head, each insert conditional on the one before, so a
 * request costs one round trip instead of six. Only the plain case is decided here: when the key
 * was seen before (live or expired) or the order number is taken, nothing is written and the
 * caller takes the general path, which reads and answers replayed, key_reused or order_no_taken.
 * Races between processes end at the unique indexes, exactly as on the general path.
 */
import { sql, type Transaction } from 'kysely';
import { advanceHeldChain, heldChain, linkEntries, type AuditEntry } from './audit-log.js';
import type { StoreCapabilities } from './database.js';
import type { Database, InvoiceRow } from './schema/index.js';

export interface PlainAccept {
  readonly row: InvoiceRow;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly expiresAt: number;
  readonly audit: AuditEntry;
}

/** True when the invoice was created; false when nothing was written (take the general path). */
export async function acceptInOneStatement(tx: Transaction<Database>, capabilities: StoreCapabilities, input: PlainAccept): Promise<boolean> {
  const { row } = input;
  const now = row.created_at;
  const head = await heldChain(tx, capabilities, now);
  const linked = linkEntries(head, now, [input.audit]);
  const entry = linked.rows[0]!;
  const columns = Object.keys(row) as Array<keyof InvoiceRow>;
  // Parameters in an INSERT … SELECT take the types of the columns they fill.
  const { rows } = await sql<{ created: number }>`
    with inv as (
      insert into invoices (${sql.join(columns.map((column) => sql.ref(column)))})
      select ${sql.join(columns.map((column) => sql`${row[column]}`))}
      where not exists (select 1 from idempotency_keys where seller_tax_id = ${row.seller_tax_id} and key = ${input.idempotencyKey})
        and not exists (select 1 from invoices where seller_tax_id = ${row.seller_tax_id} and order_no = ${row.order_no} and status <> 'rejected')
      returning id
    ), idem as (
      insert into idempotency_keys (seller_tax_id, key, request_hash, invoice_id, created_at, expires_at)
      select ${row.seller_tax_id}, ${input.idempotencyKey}, ${input.requestHash}, id, ${now}, ${input.expiresAt} from inv
    ), audit as (
      insert into audit_log (chain, seq, at, invoice_id, event, from_state, to_state, detail, prev_hash, hash)
      select ${entry.chain}, ${entry.seq}, ${entry.at}, id, ${entry.event}, ${entry.from_state}, ${entry.to_state}, ${entry.detail}, ${entry.prev_hash}, ${entry.hash} from inv
    ), head as (
      update audit_chains set seq = ${linked.head.seq}, hash = ${linked.head.hash}
      where chain = ${linked.head.chain} and exists (select 1 from inv)
    )
    select count(*)::int as created from inv`.execute(tx);
  const created = Number(rows[0]?.created ?? 0) === 1;
  if (created) advanceHeldChain(tx, linked.head);
  return created;
}
