/**
 * Statements of the hot paths written once as SQL text with `?` placeholders, numbered for
 * PostgreSQL once, and run through the transaction's connection (and its statement cache on
 * SQLite) without building a Kysely query tree each time.
 */
import { CompiledQuery, type Transaction } from 'kysely';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

const numbered = new Map<string, string>();

/** `?` placeholders as PostgreSQL writes them ($1, $2 …); the texts here hold no other `?`. */
function dialectText(capabilities: StoreCapabilities, text: string): string {
  if (capabilities.dialect === 'sqlite') return text;
  let out = numbered.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    numbered.set(text, out);
  }
  return out;
}

/** A statement's text with its parameters, through the connection (and its statement cache on SQLite). */
export async function textRows<R>(tx: Transaction<Database>, capabilities: StoreCapabilities, text: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await tx.executeQuery<R>(CompiledQuery.raw(dialectText(capabilities, text), parameters as unknown[]))).rows;
}

