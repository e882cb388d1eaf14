/**
 * How many times a seller's quota read was asked for (POST …/quota/read): a read that settles
 * after an ask made while it was on its way keeps the seller due, rather than scheduling the next
 * turn over the ask (the read may have been answered before the raise the ask was about). Only adds
 * a column with a default: safe for a rolling upgrade. Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('seller_quotas').addColumn('read_asks', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
