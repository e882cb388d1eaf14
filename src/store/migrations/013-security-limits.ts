/**
 * Limits on what a stranger or a tenant can set off. Console sign-in throttles: failures counted
 * per client address, per address and name, and per name, each with the time until which attempts
 * are held back (src/domain/sign-in-throttle.ts); they replace the per-user lock of 012, which any
 * stranger could set off. A console user's second factor: the TOTP secret (sealed; pending
 * until the first code confirms it), the last time step used (a code is good once), and the
 * hashes of unused recovery codes. And an index to count the emails each key asked for. Frozen.
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
  // One column a statement: SQLite adds one at a time.
  await db.schema.alterTable('console_users').addColumn('totp_secret_sealed', 'text').execute();
  await db.schema.alterTable('console_users').addColumn('totp_pending_sealed', 'text').execute();
  await db.schema.alterTable('console_users').addColumn('totp_last_step', 'bigint').execute();
  // JSON array of the SHA-256 (hex) of each unused recovery code.
  await db.schema.alterTable('console_users').addColumn('recovery_codes', 'text').execute();
  await db.schema.createIndex('email_deliveries_requester_idx').on('email_deliveries').columns(['requested_by', 'created_at']).execute();
}
