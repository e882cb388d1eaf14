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
import { CompiledQuery, sql, type Transaction } from 'kysely';
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
 * The SQL type of each invoice column, read once: the statement casts each column's array to it,
 * since PostgreSQL cannot infer an array parameter's element type as it does in a plain INSERT.
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

/** A column definition list for json_to_recordset: `"name" type, …`. */
const definitions = (columns: ReadonlyArray<readonly [string, string]>) => columns.map(([column, type]) => `"${column}" ${type}`).join(', ');
const names = (columns: readonly string[]) => columns.map((column) => `"${column}"`).join(', ');

/** The statement's text for a row shape, with and without the audit part; built once per process. */
const statementTexts = new Map<string, string>();

function statementText(columns: readonly string[], types: ReadonlyMap<string, string>, audited: boolean): string {
  const shape = `${audited}:${columns.join(',')}`;
  const cached = statementTexts.get(shape);
  if (cached !== undefined) return cached;
  const batch = definitions([['n', 'integer'], ...columns.map((column) => [column, types.get(column) ?? 'text'] as const), ['idem_key', 'text'], ['idem_hash', 'text'], ['idem_expires_at', 'bigint']]);
  const text = `
    with input as (
      select * from json_to_recordset($1::json) as batch (${batch})
    ), fresh as (
      select * from input i
      -- offset 0 keeps each check a probe of its unique index per request: as an anti-join the
      -- planner may hash the whole idempotency table for a batch of forty (seen: a sequential scan
      -- of thousands of keys, half the statement's time, while the table was young).
      where not exists (select 1 from idempotency_keys k where k.seller_tax_id = i.seller_tax_id and k.key = i.idem_key offset 0)
        and not exists (select 1 from invoices v where v.seller_tax_id = i.seller_tax_id and v.order_no = i.order_no and v.status <> 'rejected' offset 0)
    ), chosen as (
      select * from fresh where ${audited ? '(select count(*) from fresh) = $2' : 'true'}
    ), inv as (
      insert into invoices (${names(columns)})
      select ${names(columns)} from chosen
    ), idem as (
      insert into idempotency_keys (seller_tax_id, key, request_hash, invoice_id, created_at, expires_at)
      select seller_tax_id, idem_key, idem_hash, id, created_at, idem_expires_at from chosen
    )${
      audited
        ? `, audit as (
      insert into audit_log (${names(AUDIT_TYPES.map(([column]) => column))})
      select * from json_to_recordset($3::json) as entry (${definitions(AUDIT_TYPES)})
      where exists (select 1 from chosen)
    ), head as (
      update audit_chains set seq = $4, hash = $5
      where chain = $6 and exists (select 1 from chosen)
    )`
        : ''
    }
    select n from chosen`;
  statementTexts.set(shape, text);
  return text;
}

/**
 * For each input, whether its invoice was created here; false ones wrote nothing. With `audit`,
 * all or nothing: every invoice with its audit entry and the chain's head, or nothing at all when
 * any request is not plain (then every answer is false and the caller asks again without it).
 * The rows travel as one JSON parameter, read by json_to_recordset: the statement's text is the
 * same for every batch (so it is built once), and JSON.stringify, native, does in microseconds
 * what escaping each column's array literal in JavaScript took tens of microseconds a request for
 * (profiled: the invoice's JSON columns are long and full of quotes).
 */
export async function acceptPlainMany(tx: Transaction<Database>, inputs: readonly PlainAccept[], audit?: LinkedAudit): Promise<boolean[]> {
  if (inputs.length === 0) return [];
  const types = await columnTypes(tx);
  const columns = Object.keys(inputs[0]!.row) as Array<keyof InvoiceRow>;
  const batch = JSON.stringify(inputs.map((input, n) => ({ n, ...input.row, idem_key: input.idempotencyKey, idem_hash: input.requestHash, idem_expires_at: input.expiresAt })));
  const parameters: unknown[] = audit ? [batch, inputs.length, JSON.stringify(audit.rows), audit.head.seq, audit.head.hash, audit.head.chain] : [batch];
  const { rows } = await tx.executeQuery<{ n: number }>(CompiledQuery.raw(statementText(columns, types, audit !== undefined), parameters));
  const created = new Set(rows.map((row) => Number(row.n)));
  return inputs.map((_input, n) => created.has(n));
}
