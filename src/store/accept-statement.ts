/**
 * Accepting new invoices on PostgreSQL a batch at a time: one statement inserts every invoice of
 * the batch, its idempotency record, its audit entry and the chain's new head — when every request
 * of the batch is plain; otherwise it writes nothing, and a second statement inserts the plain ones
 * alone, their audit entries following in one more. A batch of forty costs one round trip instead
 * of two hundred. Only the plain case is decided here: a request whose key was seen before (live
 * or expired) or whose order number is taken is left for the caller's general path, which reads
 * and answers replayed, key_reused or order_no_taken. Two requests of one batch that collide (one
 * key, or one order number) fail the statement at a unique index, and the group committer runs
 * each request again alone — as do races between processes.
 */
import { sql, type Transaction } from 'kysely';
import type { AuditEntry, AuditRow, ChainHead } from './audit-log.js';
import type { Database, InvoiceRow } from './schema/index.js';

export interface PlainAccept {
  readonly row: InvoiceRow;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly expiresAt: number;
  readonly audit: AuditEntry;
}

/**
 * The SQL type of each invoice column, read once: the statement's VALUES list names them, since
 * PostgreSQL cannot infer a parameter's type there (a null, say) as it does in a plain INSERT.
 */
let invoiceColumnTypes: Promise<ReadonlyMap<string, string>> | undefined;

function columnTypes(tx: Transaction<Database>): Promise<ReadonlyMap<string, string>> {
  invoiceColumnTypes ??= sql<{ column_name: string; data_type: string }>`
    select column_name, data_type from information_schema.columns
    where table_schema = current_schema() and table_name = 'invoices'`
    .execute(tx)
    .then(({ rows }) => new Map(rows.map((row) => [row.column_name, row.data_type])))
    .catch((error: unknown) => {
      invoiceColumnTypes = undefined;
      throw error;
    });
  return invoiceColumnTypes;
}

/** Every input's audit row, linked after the chain head this transaction holds, and the head they leave. */
export interface LinkedAudit {
  readonly rows: readonly AuditRow[];
  readonly head: ChainHead;
}

const AUDIT_TYPES: ReadonlyArray<readonly [keyof AuditRow, string]> = [
  ['chain', 'integer'], ['seq', 'bigint'], ['at', 'bigint'], ['invoice_id', 'text'], ['event', 'text'], ['from_state', 'text'],
  ['to_state', 'text'], ['detail', 'text'], ['prev_hash', 'text'], ['hash', 'text'],
];

/**
 * For each input, whether its invoice was created here; false ones wrote nothing. With `audit`,
 * all or nothing: every invoice with its audit entry and the chain's head, or nothing at all when
 * any request is not plain (then every answer is false and the caller asks again without it).
 */
export async function acceptPlainMany(tx: Transaction<Database>, inputs: readonly PlainAccept[], audit?: LinkedAudit): Promise<boolean[]> {
  if (inputs.length === 0) return [];
  const types = await columnTypes(tx);
  const columns = Object.keys(inputs[0]!.row) as Array<keyof InvoiceRow>;
  const typed = (value: unknown, type: string) => sql`cast(${value} as ${sql.raw(type)})`;
  const values = inputs.map(
    (input, n) =>
      sql`(${sql.join([
        typed(n, 'integer'),
        ...columns.map((column) => typed(input.row[column], types.get(column) ?? 'text')),
        typed(input.idempotencyKey, 'text'),
        typed(input.requestHash, 'text'),
        typed(input.expiresAt, 'bigint'),
      ])})`,
  );
  const { rows } = await sql<{ n: number }>`
    with input (n, ${sql.join(columns.map((column) => sql.ref(column)))}, idem_key, idem_hash, idem_expires_at) as (
      values ${sql.join(values)}
    ), fresh as (
      select * from input i
      where not exists (select 1 from idempotency_keys k where k.seller_tax_id = i.seller_tax_id and k.key = i.idem_key)
        and not exists (select 1 from invoices v where v.seller_tax_id = i.seller_tax_id and v.order_no = i.order_no and v.status <> 'rejected')
    ), chosen as (
      select * from fresh where ${audit ? sql`(select count(*) from fresh) = ${inputs.length}` : sql`true`}
    ), inv as (
      insert into invoices (${sql.join(columns.map((column) => sql.ref(column)))})
      select ${sql.join(columns.map((column) => sql.ref(column)))} from chosen
    ), idem as (
      insert into idempotency_keys (seller_tax_id, key, request_hash, invoice_id, created_at, expires_at)
      select seller_tax_id, idem_key, idem_hash, id, created_at, idem_expires_at from chosen
    )${audit ? auditPart(audit) : sql``}
    select n from chosen`.execute(tx);
  const created = new Set(rows.map((row) => Number(row.n)));
  return inputs.map((_input, n) => created.has(n));
}

/** The audit entries and the chain's head, written only when every request of the batch was chosen. */
function auditPart(audit: LinkedAudit) {
  const columns = AUDIT_TYPES.map(([column]) => sql.ref(column));
  const values = audit.rows.map((row) => sql`(${sql.join(AUDIT_TYPES.map(([column, type]) => sql`cast(${row[column]} as ${sql.raw(type)})`))})`);
  return sql`, audit as (
      insert into audit_log (${sql.join(columns)})
      select * from (values ${sql.join(values)}) as entry (${sql.join(columns)})
      where exists (select 1 from chosen)
    ), head as (
      update audit_chains set seq = ${audit.head.seq}, hash = ${audit.head.hash}
      where chain = ${audit.head.chain} and exists (select 1 from chosen)
    )`;
}
