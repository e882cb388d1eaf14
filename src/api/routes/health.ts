/**
 * The probes: /livez and /healthz (the process answers; never the database or a channel, so a slow
 * database cannot get a healthy process restarted), /startupz (started once), /readyz (database
 * reachable, migrated and taking writes, workers running; 503 at once when the process is stopping).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { isMigrated, pingDatabase } from '../../store/database.js';
import type { Database } from '../../store/schema/index.js';
import type { StorageHealth } from '../../store/storage-health.js';
import { Type } from 'typebox';
import { ApiProblem } from '../problem.js';
import { ProblemSchema } from '../schemas/invoice.js';
import { errorMessage } from '../../domain/error-message.js';
import type { Lifecycle } from '../../runtime/lifecycle.js';

const Status = Type.Object({ status: Type.String() });

export interface HealthRoutesOptions {
  readonly reader: Kysely<Database>;
  /** The connection writes go through, for the storage probe. */
  readonly writer: Kysely<Database>;
  readonly storage: StorageHealth;
  /** Whether the dispatcher is running (false while starting or stopping). */
  readonly workersRunning: () => boolean;
  readonly lifecycle: Lifecycle;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, options) => {
  let migrated = false;
  app.get(
    '/healthz',
    { schema: { operationId: 'healthz', summary: 'Liveness: the process answers (the same as /livez)', tags: ['operations'], security: [], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/livez',
    { schema: { operationId: 'livez', summary: 'Liveness: the process answers; never looks at the database or the channels', tags: ['operations'], security: [], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/startupz',
    { schema: { operationId: 'startupz', summary: 'Startup: the store is open and migrated and the API listens (once true, stays true)', tags: ['operations'], security: [], response: { 200: Status, 503: ProblemSchema } } },
    async () => {
      if (!options.lifecycle.started) throw new ApiProblem('not_ready', 'still starting');
      return { status: 'started' };
    },
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
    // A stopping process says so before anything else: the load balancer must stop sending at once.
    if (options.lifecycle.phase === 'draining' || options.lifecycle.phase === 'closing') {
      throw new ApiProblem('shutting_down', `this process is stopping (since ${new Date(options.lifecycle.stoppingSince ?? 0).toISOString()}); it still finishes what it has`, { headers: { 'retry-after': '1' } });
    }
    try {
      await pingDatabase(options.reader);
      // Once every migration this process knows has run, they stay run (migrations only add): asked
      // again at every probe, Kysely's check is half a dozen catalog queries — a balancer probing
      // every 200 ms made them a share of a loaded database's work.
      migrated ||= await isMigrated(options.reader);
      if (!migrated) throw new ApiProblem('not_ready', 'migrations have not all run');
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
