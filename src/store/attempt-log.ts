/** The record of upstream calls, as operators read it: the outcomes of the latest ones. */
import type { Kysely } from 'kysely';
import type { Database } from './schema/index.js';

/** The newest `limit` calls, newest first: how each ended and its error code, if any. */
export function recentAttemptOutcomes(db: Kysely<Database>, limit: number): Promise<Array<{ outcome: string; error_code: string | null }>> {
  return db.selectFrom('attempts').select(['outcome', 'error_code']).orderBy('id', 'desc').limit(limit).execute();
}
