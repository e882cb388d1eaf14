/**
 * Red invoices (红字发票) live beside blue ones in `invoices`: `kind` tells them apart, a red one
 * names the blue invoice it flushes, the reason (a contract word: sales_return …), and the
 * 红字确认单 the upstream filed for it while one is involved (its number and state). Frozen.
 */
import { SqliteAdapter, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').addColumn('kind', 'varchar(8)', (c) => c.notNull().defaultTo('blue')).execute();
  await db.schema.alterTable('invoices').addColumn('blue_invoice_id', 'varchar(40)', (c) => c.references('invoices.id')).execute();
  await db.schema.alterTable('invoices').addColumn('red_reason', 'varchar(32)').execute();
  await db.schema.alterTable('invoices').addColumn('confirmation_bill_no', 'varchar(64)').execute();
  await db.schema.alterTable('invoices').addColumn('confirmation_status', 'varchar(4)').execute();
  // The stage and attempt outcome awaiting_confirmation is longer than the 16 characters they had;
  // SQLite does not enforce a varchar's length (nor can it alter a column's type).
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await db.schema.alterTable('invoices').alterColumn('stage', (column) => column.setDataType('varchar(32)')).execute();
    await db.schema.alterTable('attempts').alterColumn('outcome', (column) => column.setDataType('varchar(32)')).execute();
  }
  await db.schema.createIndex('invoices_blue_idx').on('invoices').column('blue_invoice_id').where('blue_invoice_id', 'is not', null).execute();
}
