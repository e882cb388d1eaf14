/**
 * The statements of one accept (the idempotency record, the order number, the invoice row) written
 * once as SQL text. Building each with Kysely cost more CPU than SQLite spent running it (profiled:
 * compiling, parsing and freezing the query tree took ~80 µs of every accept on SQLite, which runs
 * the statements themselves in microseconds).
 */
import type { StoreCapabilities } from './capabilities.js';
import type { Database, InvoiceRow } from './schema/index.js';
import { textRows as rows } from './sql-text.js';
import type { Transaction } from 'kysely';

const KEY_TEXT = 'select invoice_id, request_hash, expires_at from idempotency_keys where seller_tax_id = ? and key = ?';
const ORDER_TEXT = "select id, status from invoices where seller_tax_id = ? and order_no = ? and status <> 'rejected' limit 1";
const DROP_KEY_TEXT = 'delete from idempotency_keys where seller_tax_id = ? and key = ?';
const RECORD_KEY_TEXT = 'insert into idempotency_keys (seller_tax_id, key, request_hash, invoice_id, created_at, expires_at) values (?, ?, ?, ?, ?, ?)';

export interface StoredKey {
  readonly invoice_id: string;
  readonly request_hash: string;
  readonly expires_at: number;
}

export async function storedKey(tx: Transaction<Database>, capabilities: StoreCapabilities, sellerTaxId: string, key: string): Promise<StoredKey | undefined> {
  return (await rows<StoredKey>(tx, capabilities, KEY_TEXT, [sellerTaxId, key]))[0];
}

export async function liveOrder(tx: Transaction<Database>, capabilities: StoreCapabilities, sellerTaxId: string, orderNo: string): Promise<{ id: string; status: string } | undefined> {
  return (await rows<{ id: string; status: string }>(tx, capabilities, ORDER_TEXT, [sellerTaxId, orderNo]))[0];
}

export async function recordKey(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  record: { readonly sellerTaxId: string; readonly key: string; readonly requestHash: string; readonly invoiceId: string; readonly now: number; readonly expiresAt: number; readonly replacesExpired: boolean },
): Promise<void> {
  if (record.replacesExpired) await rows(tx, capabilities, DROP_KEY_TEXT, [record.sellerTaxId, record.key]);
  await rows(tx, capabilities, RECORD_KEY_TEXT, [record.sellerTaxId, record.key, record.requestHash, record.invoiceId, record.now, record.expiresAt]);
}

/** The insert's text for a row's columns; a new invoice row always has the same ones, so this holds one entry. */
const insertTexts = new Map<string, string>();

export async function insertInvoice(tx: Transaction<Database>, capabilities: StoreCapabilities, row: InvoiceRow): Promise<void> {
  const columns = Object.keys(row) as Array<keyof InvoiceRow>;
  const shape = columns.join(',');
  let text = insertTexts.get(shape);
  if (text === undefined) {
    text = `insert into invoices (${columns.map((column) => `"${column}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
    insertTexts.set(shape, text);
  }
  await rows(tx, capabilities, text, columns.map((column) => row[column]));
}
