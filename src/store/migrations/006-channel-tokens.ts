/**
 * Access tokens of upstream channels (诺诺 allows 50 token calls in 30 days): kept here so that a
 * restart, and every other gateway process sharing the database, uses the token already fetched.
 * Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_tokens')
    .addColumn('channel', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
