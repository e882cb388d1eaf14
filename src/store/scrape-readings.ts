/**
 * What the metrics read from the database at scrape time, so every process sharing a database
 * reports the same truth: invoices by status and stage, the oldest pending one, whether it answers.
 */
import { sql, type Kysely } from 'kysely';
import { backlogTotal, pendingBacklog } from './backlog.js';
import type { ScrapeSources } from '../runtime/metrics.js';
import type { Database } from './schema/index.js';
import { webhookReadings } from './webhook-deliveries.js';

export function scrapeReadings(db: Kysely<Database>): ScrapeSources {
  return {
    async invoiceCounts() {
      const rows = await db
        .selectFrom('invoices')
        .select(['status', 'stage', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy(['status', 'stage'])
        .execute();
      return rows.map((row) => ({ status: row.status, stage: row.stage, count: Number(row.count) }));
    },
    async oldestPendingCreatedAt() {
      return backlogTotal(await pendingBacklog(db)).oldestCreatedAt;
    },
    webhookReadings() {
      return webhookReadings(db);
    },
    databaseUp() {
      return sql`select 1`.execute(db).then(
        () => true,
        () => false,
      );
    },
  };
}
