/**
 * Isolating a channel and restoring it: one row per isolated channel, changed together with an
 * entry in the audit chain (`channel:NAME` stands where an invoice id would), so who did it, when
 * and why can be proven later.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from './audit-log.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

export interface Isolation {
  readonly channel: string;
  readonly reason: string;
  readonly by: string;
  readonly at: number;
}

/** Every isolated channel. */
export async function listIsolations(db: Kysely<Database>): Promise<Isolation[]> {
  const rows = await db.selectFrom('channel_isolations').selectAll().orderBy('channel').execute();
  return rows.map((row) => ({ channel: row.channel, reason: row.reason, by: row.isolated_by, at: Number(row.isolated_at) }));
}

/** Isolates a channel; 'already' (and nothing written) when it is. */
export async function isolateChannel(db: Kysely<Database>, capabilities: StoreCapabilities, isolation: Isolation): Promise<'isolated' | 'already'> {
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('channel_isolations')
      .values({ channel: isolation.channel, reason: isolation.reason, isolated_by: isolation.by, isolated_at: isolation.at })
      .onConflict((conflict) => conflict.column('channel').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return 'already';
    await appendAudit(tx, capabilities, isolation.at, [
      { invoiceId: `channel:${isolation.channel}`, event: 'channel_isolated', from: 'open', to: 'isolated', detail: { reason: isolation.reason, by: isolation.by } },
    ]);
    return 'isolated';
  });
}

/** Restores an isolated channel; 'not_isolated' (and nothing written) when it was not. */
export async function restoreChannel(db: Kysely<Database>, capabilities: StoreCapabilities, restore: { readonly channel: string; readonly by: string; readonly at: number }): Promise<'restored' | 'not_isolated'> {
  return db.transaction().execute(async (tx) => {
    const deleted = await tx.deleteFrom('channel_isolations').where('channel', '=', restore.channel).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) return 'not_isolated';
    await appendAudit(tx, capabilities, restore.at, [{ invoiceId: `channel:${restore.channel}`, event: 'channel_restored', from: 'isolated', to: 'open', detail: { by: restore.by } }]);
    return 'restored';
  });
}
