/** /healthz (the process answers) and /readyz (database reachable and migrated, workers running). */
import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { isMigrated } from '../../store/database.js';
import type { Database } from '../../store/schema/index.js';
import { ApiProblem } from '../problem.js';

export interface HealthRoutesOptions {
  readonly db: Kysely<Database>;
  /** Whether the dispatcher is running (false while starting or stopping). */
  readonly workersRunning: () => boolean;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get('/healthz', { schema: { tags: ['health'], hide: false } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'] } }, async () => {
    try {
      await sql`select 1`.execute(options.db);
      if (!(await isMigrated(options.db))) throw new ApiProblem('not_ready', 'migrations have not all run');
    } catch (error) {
      if (error instanceof ApiProblem) throw error;
      throw new ApiProblem('not_ready', `database unreachable: ${(error as Error).message}`);
    }
    if (!options.workersRunning()) throw new ApiProblem('not_ready', 'the dispatcher is not running');
    return { status: 'ready' };
  });
};
