/** /healthz (the process answers) and /readyz (database reachable, migrated and taking writes, workers running). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { isMigrated, pingDatabase } from '../../store/database.js';
import type { Database } from '../../store/schema/index.js';
import type { StorageHealth } from '../../store/storage-health.js';
import { Type } from 'typebox';
import { ApiProblem } from '../problem.js';
import { ProblemSchema } from '../schemas/invoice.js';
import { errorMessage } from '../../domain/error-message.js';

const Status = Type.Object({ status: Type.String() });

export interface HealthRoutesOptions {
  readonly reader: Kysely<Database>;
  /** The connection writes go through, for the storage probe. */
  readonly writer: Kysely<Database>;
  readonly storage: StorageHealth;
  /** Whether the dispatcher is running (false while starting or stopping). */
  readonly workersRunning: () => boolean;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, options) => {
  app.get(
    '/healthz',
    { schema: { operationId: 'healthz', summary: 'Liveness: the process answers', tags: ['operations'], security: [], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'readyz',
        summary: 'Readiness: database reachable, migrated and taking writes; workers running',
        tags: ['operations'],
        security: [],
        response: { 200: Status, 503: ProblemSchema },
      },
    },
    async () => {
    try {
      await pingDatabase(options.reader);
      if (!(await isMigrated(options.reader))) throw new ApiProblem('not_ready', 'migrations have not all run');
    } catch (error) {
      if (error instanceof ApiProblem) throw error;
      throw new ApiProblem('not_ready', `database unreachable: ${errorMessage(error)}`);
    }
    const storage = await options.storage.probe(options.writer);
    if (!storage.ok) {
      throw new ApiProblem('not_ready', `the database refuses writes since ${new Date(storage.since ?? 0).toISOString()}: ${storage.cause ?? storage.fault ?? ''}`, {
        headers: { 'retry-after': '5' },
      });
    }
    if (!options.workersRunning()) throw new ApiProblem('not_ready', 'the dispatcher is not running');
    return { status: 'ready' };
    },
  );
};
