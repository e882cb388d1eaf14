/**
 * Documents: each issued invoice's PDF and XML, rendered after issue by src/documents, kept in
 * the database on both dialects (one backup holds invoices and documents together, and every
 * gateway process sharing a PostgreSQL database can serve every document). Frozen.
 */
import { sql, SqliteAdapter, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema.alterTable('invoices').addColumn('simulated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // null until issued; then pending until both documents are stored, then rendered.
  await db.schema.alterTable('invoices').addColumn('documents_status', 'varchar(16)').execute();
  await db.schema.alterTable('invoices').addColumn('documents_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('invoices').addColumn('documents_error', 'text').execute();
  await db.schema.alterTable('invoices').addColumn('documents_next_at', 'bigint').execute();
  await db.schema.alterTable('invoices').addColumn('documents_lease_until', 'bigint').execute();
  await sql`create index invoices_documents_due_idx on invoices (documents_next_at) where documents_status = 'pending'`.execute(db);

  await db.schema
    .createTable('invoice_documents')
    .addColumn('invoice_id', 'varchar(40)', (c) => c.notNull().references('invoices.id'))
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('content', sqlite ? 'blob' : 'bytea', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('invoice_documents_pk', ['invoice_id', 'kind'])
    .execute();
}
