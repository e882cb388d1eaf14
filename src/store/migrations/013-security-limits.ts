/**
 * Limits on what a stranger or a tenant can set off. Console sign-in throttles: failures counted
 * per client address, per address and name, and per name, each with the time until which attempts
 * are held back (src/domain/sign-in-throttle.ts); they replace the per-user lock of 012, which any
 * stranger could set off. And an index to count the emails each key asked for. Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_throttles')
    .addColumn('key', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked_until', 'bigint')
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_throttles_age_idx').on('sign_in_throttles').column('last_failure_at').execute();
  await db.schema.createIndex('email_deliveries_requester_idx').on('email_deliveries').columns(['requested_by', 'created_at']).execute();
}
