/**
 * The backlog: pending invoices per bound channel (null: not yet bound to one), how many and since
 * when. GET /v1/channels, the metrics and `fapiao doctor` all read it here, the same way.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema/index.js';

export interface BacklogRow {
  readonly channel: string | null;
  readonly count: number;
  /** created_at of the oldest pending invoice, epoch ms. */
  readonly oldestCreatedAt: number;
}

/** Pending invoices per channel; of `sellers` only, when given (a tenant sees only its own). */
export async function pendingBacklog(db: Kysely<Database>, sellers?: readonly string[]): Promise<BacklogRow[]> {
  if (sellers?.length === 0) return [];
  let query = db
    .selectFrom('invoices')
    .select(['channel', (eb) => eb.fn.countAll<number>().as('count'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('status', '=', 'pending');
  if (sellers) query = query.where('seller_tax_id', 'in', [...sellers]);
  const rows = await query.groupBy('channel').execute();
  return rows.map((row) => ({ channel: row.channel, count: Number(row.count), oldestCreatedAt: Number(row.oldest) }));
}

/** The whole backlog: how many pending invoices, and the oldest one's created_at (null when none). */
export function backlogTotal(rows: readonly BacklogRow[]): { count: number; oldestCreatedAt: number | null } {
  const count = rows.reduce((sum, row) => sum + row.count, 0);
  return { count, oldestCreatedAt: count === 0 ? null : Math.min(...rows.map((row) => row.oldestCreatedAt)) };
}
