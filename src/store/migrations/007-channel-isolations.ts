/**
 * Channels an operator has isolated (no new work; what they hold is still resolved there), shared
 * by every gateway process on the database. Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('channel_isolations')
    .addColumn('channel', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('isolated_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('isolated_at', 'bigint', (c) => c.notNull())
    .execute();
}
