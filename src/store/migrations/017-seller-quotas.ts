/**
 * Each seller's monthly 发票额度 as this gateway knows it: the last reading from an upstream (yuan
 * as decimal text: 按需开票 taxpayers are told 9999999999999999, past a double's integers), when it
 * was current and when we last asked (a day's reads are limited upstream), what was found used
 * elsewhere this month, the reserve kept for high-priority invoices, the month whose `quota.low`
 * was sent, and the lease of the read (leased work, like every job). Only adds a table: safe for a
 * rolling upgrade. Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seller_quotas')
    .ifNotExists()
    .addColumn('seller_tax_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('channel', 'varchar(64)')
    .addColumn('month', 'varchar(7)')
    .addColumn('total', 'varchar(24)')
    .addColumn('used', 'varchar(24)')
    .addColumn('remaining', 'varchar(24)')
    .addColumn('as_of', 'bigint')
    .addColumn('used_elsewhere', 'varchar(24)', (c) => c.notNull().defaultTo('0.00'))
    .addColumn('reserve', 'varchar(24)', (c) => c.notNull().defaultTo('0.00'))
    .addColumn('low_reported_month', 'varchar(7)')
    .addColumn('read_at', 'bigint')
    .addColumn('read_error', 'text')
    .addColumn('reads_day', 'varchar(10)')
    .addColumn('reads_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_read_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('lease_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
