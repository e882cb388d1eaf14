/**
 * The audit trail in several chains, so that writers stop queueing on one head row: each entry
 * belongs to a chain (`chain`, with its own `seq`), each chain's head is a row of `audit_chains`,
 * and `audit_head` now heads the registry of chains (how many, and the last creation link). The
 * existing single chain becomes chain 1 as it is: its hashes do not change. Frozen.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

// Written out here, not imported: a migration must not change when the code around it does.
const GENESIS = '0'.repeat(64);
const link = (previous: string, chain: number, createdAt: number) =>
  createHash('sha256').update(previous).update('\n').update(JSON.stringify([chain, createdAt])).digest('hex');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_chains')
    .addColumn('chain', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // This chain's creation, chained to the creation of the chain before (the registry).
    .addColumn('link', 'varchar(64)', (c) => c.notNull())
    .execute();
  const head = (await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst()) as { seq: number | string; hash: string } | undefined;
  const createdAt = Date.now();
  const first = link(GENESIS, 1, createdAt);
  await db.insertInto('audit_chains').values({ chain: 1, seq: Number(head?.seq ?? 0), hash: head?.hash ?? GENESIS, created_at: createdAt, link: first }).execute();
  await db.updateTable('audit_head').set({ seq: 1, hash: first }).where('id', '=', 1).execute();

  // The key becomes (chain, seq): SQLite cannot change a primary key, so the table is rebuilt.
  await db.schema
    .createTable('audit_log_chained')
    .addColumn('chain', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('invoice_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('event', 'varchar(32)', (c) => c.notNull())
    .addColumn('from_state', 'varchar(32)')
    .addColumn('to_state', 'varchar(32)', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_chained_pk', ['chain', 'seq'])
    .execute();
  await sql`insert into audit_log_chained (chain, seq, at, invoice_id, event, from_state, to_state, detail, prev_hash, hash)
            select 1, seq, at, invoice_id, event, from_state, to_state, detail, prev_hash, hash from audit_log`.execute(db);
  await db.schema.dropTable('audit_log').execute();
  await db.schema.alterTable('audit_log_chained').renameTo('audit_log').execute();
  await db.schema.createIndex('audit_log_invoice_idx').on('audit_log').column('invoice_id').execute();
}
