/**
 * Batches: many invoices submitted at once (a 电子税务局 template or JSON rows), each row with its
 * invoice request, its outcome, and the invoice it became. The rows are issued by the `batch` job
 * queue; the invoices themselves are ordinary invoices. New tables only: the version before never
 * reads them (an expanding migration, safe for a rolling upgrade). Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('batches')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('seller_tax_id', 'varchar(32)', (c) => c.notNull())
    // each: every valid row issued; all: one refused row refuses the batch before anything is issued.
    .addColumn('mode', 'varchar(8)', (c) => c.notNull())
    // checking (its file being read), refused (nothing issued) or accepted (rows being issued);
    // done is read off its rows and invoices.
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('source', 'varchar(8)', (c) => c.notNull())
    .addColumn('file_name', 'text')
    .addColumn('total', 'integer', (c) => c.notNull())
    // Problems of the whole file (a missing sheet or column), JSON; the rows carry their own.
    .addColumn('problems', 'text')
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('batches_seller').on('batches').columns(['seller_tax_id', 'created_at']).execute();

  await db.schema
    .createTable('batch_rows')
    .addColumn('batch_id', 'varchar(40)', (c) => c.notNull().references('batches.id').onDelete('cascade'))
    // The row of 1-发票基本信息, or the 1-based index of a JSON batch.
    .addColumn('row_no', 'integer', (c) => c.notNull())
    .addColumn('serial_no', 'varchar(32)', (c) => c.notNull())
    // waiting (to be issued), accepted (an invoice exists), refused (its errors say why).
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('request_json', 'text')
    .addColumn('invoice_id', 'varchar(40)')
    .addColumn('errors', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_rows_pk', ['batch_id', 'row_no'])
    .execute();
  await db.schema.createIndex('batch_rows_status').on('batch_rows').columns(['batch_id', 'status']).execute();

  // The rows of an uploaded template while it is checked: streamed in as the file is read, then
  // joined a page of invoices at a time, so memory does not grow with the file. Emptied once checked.
  await db.schema
    .createTable('batch_staging')
    .addColumn('batch_id', 'varchar(40)', (c) => c.notNull().references('batches.id').onDelete('cascade'))
    // 1 发票基本信息, 2 发票明细信息, 3 特定业务信息
    .addColumn('sheet', 'integer', (c) => c.notNull())
    .addColumn('row_no', 'integer', (c) => c.notNull())
    .addColumn('serial_no', 'varchar(64)')
    .addColumn('cells', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_staging_pk', ['batch_id', 'sheet', 'row_no'])
    .execute();
  await db.schema.createIndex('batch_staging_serial').on('batch_staging').columns(['batch_id', 'sheet', 'serial_no']).execute();
}
