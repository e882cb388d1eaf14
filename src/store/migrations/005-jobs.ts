/**
 * Background work that is not the invoice's own state gets its own table: one row per job
 * (rendering an invoice's documents now; deliveries and webhook events next), leased and settled
 * the same way by every worker. The documents' five columns move out of the invoice row. Frozen.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('queue', 'varchar(32)', (c) => c.notNull())
    // What the job works on: an invoice id for `documents`.
    .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
    // pending until its work is stored, then done.
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    // Raised by every claim; a settle lands only with the version its claim read.
    .addColumn('lease_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('jobs_pk', ['queue', 'subject_id'])
    .execute();
  await sql`create index jobs_due_idx on jobs (queue, next_at) where status = 'pending'`.execute(db);

  await sql`
    insert into jobs (queue, subject_id, status, attempts, next_at, lease_until, lease_version, last_error, created_at, updated_at)
    select 'documents', id, case when documents_status = 'rendered' then 'done' else 'pending' end, documents_attempts,
           coalesce(documents_next_at, updated_at), null, 0, documents_error, coalesce(issued_at, updated_at), updated_at
    from invoices where documents_status is not null`.execute(db);
  // SQLite drops a column only once no index names it.
  await sql`drop index invoices_documents_due_idx`.execute(db);
  for (const column of ['documents_status', 'documents_attempts', 'documents_error', 'documents_next_at', 'documents_lease_until']) {
    await db.schema.alterTable('invoices').dropColumn(column).execute();
  }
}
