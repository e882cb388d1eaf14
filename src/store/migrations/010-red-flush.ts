/**
 * Red invoices (红字发票) live beside blue ones in `invoices`: `kind` tells them apart, a red one
 * names the blue invoice it flushes and the reason (a contract word: sales_return …). Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').addColumn('kind', 'varchar(8)', (c) => c.notNull().defaultTo('blue')).execute();
  await db.schema.alterTable('invoices').addColumn('blue_invoice_id', 'varchar(40)', (c) => c.references('invoices.id')).execute();
  await db.schema.alterTable('invoices').addColumn('red_reason', 'varchar(32)').execute();
  await db.schema.createIndex('invoices_blue_idx').on('invoices').column('blue_invoice_id').where('blue_invoice_id', 'is not', null).execute();
}
