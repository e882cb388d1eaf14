/**
 * When an invoice was last claimed to be sent: a channel whose "not found" is not proof at once
 * (诺诺 says E9500 for a while after taking an order) declares a settle window, counted from here.
 * Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').addColumn('last_sent_at', 'bigint').execute();
}
