/**
 * The trace an invoice belongs to (W3C `traceparent` of the request that accepted it), so that
 * every later attempt, render and webhook delivery — in any process, after any restart — is a span
 * of that one trace. Nullable: written only while tracing is on, and the version before ignores it
 * (an expanding migration, safe for a rolling upgrade). Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').addColumn('trace_parent', 'varchar(64)').execute();
}
