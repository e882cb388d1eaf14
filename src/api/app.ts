/**
 * The HTTP application: every plugin registered explicitly, so this page is the map of the API
 * (bodies: plugins/json-body.ts; failures as problem documents: plugins/problem-answers.ts).
 * `buildApp` makes the instance; `fapiao serve` listens.
 */
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChannelHealth } from '../dispatch/channel-health.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { Metrics } from '../runtime/metrics.js';
import type { StorageHealth } from '../store/storage-health.js';
import type { Database } from '../store/schema/index.js';
import { auth } from './plugins/auth.js';
import { loadSheddingPlugin } from './plugins/load-shedding.js';
import type { Lifecycle } from '../runtime/lifecycle.js';
import type { GatewayConfig } from '../runtime/config.js';
import { ApiProblem, sendProblem } from './problem.js';
import { jsonBodyPlugin } from './plugins/json-body.js';
import { frameworkProblem, problemAnswersPlugin } from './plugins/problem-answers.js';
import { answerClientError } from './client-errors.js';
import { channelRoutes } from './routes/channels.js';
import { healthRoutes } from './routes/health.js';
import { invoiceRoutes } from './routes/invoices.js';
import { webhookRoutes } from './routes/webhooks.js';
import { consoleSessionRoutes } from './routes/console-session.js';
import { consolePlugin } from './console-plugin.js';
import fastifyCookie from '@fastify/cookie';
import type { DoctorReport } from '../doctor/check.js';
import type { SignInDeps } from '../access/sign-in.js';
import type { Invoicing } from '../invoicing/invoicing.js';
import type { InvoiceReading } from '../invoicing/invoice-reading.js';
import type { WebhookSubscriptions } from '../invoicing/webhook-subscriptions.js';
import type { ChannelControl } from '../operating/channel-control.js';
import type { InvoiceRoutesOptions } from './routes/invoices.js';
import { TUNING } from '../runtime/config.js';
import type { BatchImport } from '../invoicing/batch-import.js';
import type { BatchReading } from '../invoicing/batch-reading.js';
import { batchRoutes } from './routes/batches.js';
import { quotaRoutes } from './routes/quota.js';
import type { SellerQuotas } from '../invoicing/seller-quota.js';
import type { RedWithdrawal } from '../invoicing/red-withdrawal.js';

/** The use cases the routes translate HTTP to, built once in the composition root (src/gateway.ts). */
export interface UseCases {
  readonly invoicing: Invoicing;
  readonly reading: InvoiceReading;
  readonly emailAgain: InvoiceRoutesOptions['emailAgain'];
  readonly webhooks: WebhookSubscriptions;
  readonly channels: ChannelControl<DoctorReport>;
  readonly signIn: SignInDeps;
  readonly batches: BatchImport;
  readonly batchReading: BatchReading;
  readonly quotas: SellerQuotas;
  readonly withdrawals: RedWithdrawal;
}

export interface AppDeps {
  /** The writer, for the readiness probe's write check. */
  readonly db: Kysely<Database>;
  /** For reads of committed data; see Store.reader. */
  readonly reader: Kysely<Database>;
  readonly clock: Clock;
  readonly health: ChannelHealth;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  readonly http: GatewayConfig['http'];
  readonly signIn: GatewayConfig['signIn'];
  /** Whether the database takes writes; see StorageHealth. */
  readonly storage: StorageHealth;
  readonly workersRunning: () => boolean;
  /** Where the process is in its life: the probes read it, and a closing process refuses new requests. */
  readonly lifecycle: Lifecycle;
  readonly events: GatewayEvents;
  readonly metrics: Metrics;
  readonly useCases: UseCases;
}

/**
 * Fastify's request lines carry the URL with its query, and search terms (a buyer's name, a total)
 * are personal data: one line per answer instead, naming the route pattern. Error lines stay.
 */
class RouteLogs extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { req: routeOf(request), res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ req: routeOf(request), res: { statusCode: reply.statusCode }, err: error }, error.message);
    else reply.log.info({ res: { statusCode: reply.statusCode }, err: error }, error.message);
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info(`Route ${request.method}:${request.url.split('?')[0] ?? ''} not found`);
  }
}

const routeOf = (request: FastifyRequest) => ({ method: request.method, url: request.routeOptions.url ?? 'unmatched', remoteAddress: request.ip });

/** Fastify's form of FAPIAO_TRUST_PROXY; a hop count trusts that many proxies nearest to us. */
function trustedProxies(setting: GatewayConfig['http']['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return [...setting];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

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
    // The client's address (sign-in throttles, logs) from X-Forwarded-For only through proxies we trust.
    trustProxy: trustedProxies(deps.http.trustProxy),
    requestIdHeader: false,
    logController: new RouteLogs(),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: true, removeAdditional: false } },
    clientErrorHandler: answerClientError,
    // Requests that arrive while the server closes get our own 503 (with Retry-After, below), not Fastify's bare one.
    return503OnClosing: false,
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, frameworkProblem(error));
    },
  });

  // First of all hooks: a closing process takes no new work (before a key is checked or a body read).
  app.addHook('onRequest', async (_request, reply) => {
    if (deps.lifecycle.phase !== 'closing') return;
    void reply.header('connection', 'close');
    return sendProblem(reply, new ApiProblem('shutting_down', 'this process is stopping; send the request again (with the same Idempotency-Key): another process takes it', { headers: { 'retry-after': '1' } }));
  });
  await app.register(jsonBodyPlugin, { bodyLimitBytes: deps.bodyLimitBytes });
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

  await app.register(problemAnswersPlugin, { storage: deps.storage });

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
        summary: "Prometheus metrics (text format); no key needed; no invoice's figures, but each seller's quota left (keep it to the operators' network)",
        tags: ['operations'],
        security: [],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      },
    },
    async (_request, reply) =>
      reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  await app.register(fastifyCookie);
  await app.register(auth, { reader: deps.reader, clock: deps.clock, secondFactorPolicy: deps.signIn.require2fa });
  await app.register(consoleSessionRoutes, { prefix: '/console/api', signIn: deps.useCases.signIn });
  await app.register(consolePlugin);
  const { invoicing, reading, emailAgain, webhooks, channels, withdrawals } = deps.useCases;
  await app.register(invoiceRoutes, { prefix: '/v1', invoicing, reading, emailAgain, withdrawals, onShed: () => deps.events.requestShed({ reason: 'commit_queue' }) });
  await app.register(webhookRoutes, { prefix: '/v1', webhooks });
  await app.register(batchRoutes, { prefix: '/v1', batches: deps.useCases.batches, reading: deps.useCases.batchReading, maxUploadBytes: TUNING.batches.maxUploadBytes });
  await app.register(channelRoutes, { prefix: '/v1', reader: deps.reader, health: deps.health, control: channels });
  await app.register(quotaRoutes, { prefix: '/v1', quotas: deps.useCases.quotas });
  await app.register(healthRoutes, { reader: deps.reader, writer: deps.db, storage: deps.storage, workersRunning: deps.workersRunning, lifecycle: deps.lifecycle });
  return app;
}
