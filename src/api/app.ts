/**
 * The HTTP application: every plugin registered explicitly, so this page is the map of the API.
 * Every failure leaves as a problem document with a stable code; nothing a client sends can cause
 * a 5xx (invariant 4). `buildApp` makes the instance; `fapiao serve` listens.
 */
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChannelHealth } from '../dispatch/channel-health.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { Metrics } from '../runtime/metrics.js';
import type { StoreCapabilities } from '../store/database.js';
import { describeDatabaseError, storageFault } from '../store/db-errors.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { StorageHealth } from '../store/storage-health.js';
import type { Database } from '../store/schema/index.js';
import { auth } from './plugins/auth.js';
import { loadSheddingPlugin } from './plugins/load-shedding.js';
import type { GatewayConfig } from '../runtime/config.js';
import { parseJsonBody } from '../domain/parse-json-body.js';
import { ApiProblem, problemBody, sendProblem } from './problem.js';
import { queryProblems } from './query-problems.js';
import { answerClientError } from './client-errors.js';
import { channelRoutes } from './routes/channels.js';
import { healthRoutes } from './routes/health.js';
import { invoiceRoutes } from './routes/invoices.js';

export interface AppDeps {
  readonly db: Kysely<Database>;
  /** For reads of committed data; see Store.reader. */
  readonly reader: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly commit: GroupCommit;
  readonly clock: Clock;
  readonly health: ChannelHealth;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  readonly http: GatewayConfig['http'];
  /** Whether the database takes writes; see StorageHealth. */
  readonly storage: StorageHealth;
  readonly idempotencyTtlMs: number;
  readonly maxAgeMs: number;
  readonly workersRunning: () => boolean;
  readonly events: GatewayEvents;
  readonly metrics: Metrics;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Fastify's own client-error codes, as our problems. */
const FASTIFY_CODES: Readonly<Record<string, ConstructorParameters<typeof ApiProblem>[0]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content_type_unsupported',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body_empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'json_malformed',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'json_malformed',
};

const STORAGE_DETAIL = {
  disk_full: 'the database disk is full; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  read_only: 'the database is read-only; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  io_error: 'the database reported an I/O error; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  unavailable: 'the database cannot be reached; nothing was stored; retry after Retry-After with the same Idempotency-Key',
} as const;

/** A client error by its HTTP status, with the code that says the most about it. */
function clientProblem(status: number, message: string, url: string): ApiProblem {
  const path = url.split('?')[0];
  // A path a static handler refuses (../, an encoded traversal) names nothing that exists here.
  if (status === 403 || status === 404) return new ApiProblem('not_found', `no such resource: ${path}`);
  if (status === 413) return new ApiProblem('body_too_large', message);
  if (status === 414) return new ApiProblem('url_too_long', message);
  if (status === 415) return new ApiProblem('content_type_unsupported', message);
  if (status === 431) return new ApiProblem('headers_too_large', message);
  return new ApiProblem('request_invalid', message);
}

/** Errors the router raises before any route runs. */
function frameworkProblem(error: FastifyError): ApiProblem {
  if (error.code === 'FST_ERR_BAD_URL') return new ApiProblem('url_invalid', error.message);
  // An id longer than any id we make: there is no such invoice.
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return new ApiProblem('not_found', 'no such resource: a path segment is longer than 100 characters, longer than any id');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && !/JSON/i.test(error.message)) {
    return clientProblem(error.statusCode, error.message, '');
  }
  return new ApiProblem('json_malformed', error.message);
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance has the default generics the routes are typed with.
  const logger: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.bodyLimitBytes,
    // Slow clients must not hold connections for ever (a byte every few seconds, without a key):
    // the whole request has a deadline, the headers a shorter one, a silent socket is closed.
    requestTimeout: deps.http.requestTimeoutMs,
    connectionTimeout: deps.http.idleTimeoutMs,
    keepAliveTimeout: deps.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: deps.http.headersTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default): check each second.
      connectionsCheckingInterval: 1000,
    },
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: true, removeAdditional: false } },
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, frameworkProblem(error));
    },
  });

  // JSON bodies are parsed as fapiao preview parses files: strict UTF-8, so a GBK body is refused
  // rather than stored as mojibake on an invoice, and no charset but UTF-8 is accepted.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const charset = /charset=([^;\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      return done(new ApiProblem('content_type_unsupported', `charset ${charset}: send the body as UTF-8 JSON`), undefined);
    }
    if (body.length === 0) return done(new ApiProblem('body_empty'), undefined);
    const parsed = parseJsonBody(body, deps.bodyLimitBytes);
    if (parsed.ok) return done(null, parsed.value);
    const code = parsed.problem.code === 'encoding_invalid' ? 'encoding_invalid' : parsed.problem.code === 'body_too_large' ? 'body_too_large' : 'json_malformed';
    return done(new ApiProblem(code, parsed.problem.message), undefined);
  });

  // Only JSON bodies: text/plain would otherwise arrive as a string and be judged as an invoice.
  app.removeContentTypeParser('text/plain');
  // Serialise exactly what handlers return; the response schemas document, they do not filter.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.server.maxConnections = deps.http.maxConnections;
  await app.register(loadSheddingPlugin, {
    maxEventLoopDelayMs: deps.http.maxEventLoopDelayMs,
    maxEventLoopUtilization: deps.http.maxEventLoopUtilization,
    maxInFlight: deps.http.maxInFlight,
    onShed: (reason) => deps.events.requestShed({ reason }),
  });

  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in paths would make the label set unbounded.
    deps.events.httpAnswered({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiProblem) return sendProblem(reply, error);
    if (error.validation) {
      const schema = error.validationContext === 'querystring' ? request.routeOptions.schema?.querystring : request.routeOptions.schema?.params;
      const errors = queryProblems(error.validation, schema);
      const detail = errors.map((item) => item.message).join('; ');
      return reply.code(400).type('application/problem+json; charset=utf-8').send({ ...problemBody('query_invalid', detail), errors });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(reply, new ApiProblem(mapped, error.message));
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return sendProblem(reply, new ApiProblem('json_malformed', error.message));
    }
    // An error that carries its own 4xx (a plugin refusing a path, say) is the client's: answer as
    // a problem with that meaning, never as a 500.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, clientProblem(error.statusCode, error.message, request.url));
    }
    const fault = storageFault(error);
    if (fault) {
      // Not the client's doing and not a bug: the database cannot take writes. Say so with its own
      // words in the log, and let the client retry with the same key (nothing was written).
      deps.storage.recordFailure(error);
      request.log.error({ fault, cause: describeDatabaseError(error) }, 'the database refused a write');
      return sendProblem(reply, new ApiProblem('storage_unavailable', STORAGE_DETAIL[fault], { headers: { 'retry-after': '5' } }));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, new ApiProblem('internal_error'));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new ApiProblem('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Fapiao Gateway',
        version: '0.1.0',
        description: 'Issue Chinese e-invoices (数电票) exactly once, through upstream failures. Errors: RFC 9457 problem documents with stable codes (docs/errors.md).',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'this gateway (paths are relative to where this document is served)' }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Registered after the swagger plugin, so that the OpenAPI document describes it.
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text format); no per-seller figures, no key needed',
        tags: ['operations'],
        security: [],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      },
    },
    async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  await app.register(auth, { db: deps.reader, clock: deps.clock });
  await app.register(invoiceRoutes, {
    prefix: '/v1',
    db: deps.db,
    reader: deps.reader,
    capabilities: deps.capabilities,
    commit: deps.commit,
    clock: deps.clock,
    idempotencyTtlMs: deps.idempotencyTtlMs,
    maxAgeMs: deps.maxAgeMs,
    onShed: () => deps.events.requestShed({ reason: 'commit_queue' }),
  });
  await app.register(channelRoutes, { prefix: '/v1', db: deps.reader, health: deps.health, clock: deps.clock });
  await app.register(healthRoutes, { db: deps.reader, writer: deps.db, storage: deps.storage, workersRunning: deps.workersRunning });
  return app;
}
