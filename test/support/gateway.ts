// A gateway for integration tests: a fresh database with sellers and keys, listening on a free
// port, with small timeouts so failure paths run in seconds.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { request } from 'undici';
import { resolveConfig, type ConfigInput } from '../../src/runtime/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import type { Clock } from '../../src/runtime/clock.js';
import { createApiKey, revokeApiKey } from '../../src/store/api-key-store.js';
import { openStore, type OpenStoreOptions } from '../../src/store/database.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { OTHER_SELLER, registerSellers, SELLER } from './fixtures.js';

export interface TestGateway {
  readonly gateway: Gateway;
  /** Stops the gateway as SIGTERM would and starts another on the same database (a new port); `between` runs while none is up. */
  restart(between?: () => Promise<void>): Promise<void>;
  readonly database: TestDatabase;
  /** Issue + read for SELLER. */
  readonly key: string;
  /** Issue + read for OTHER_SELLER only. */
  readonly otherKey: string;
  readonly readOnlyKey: string;
  readonly revokedKey: string;
  /** Admin scope for SELLER and OTHER_SELLER: both sellers' administrator. */
  readonly adminKey: string;
  /** The operator scope, bound to no seller: the shared channels. */
  readonly operatorKey: string;
  close(): Promise<void>;
}

/** Options fast enough for tests: failures and retries happen within a second or two. */
export const FAST: ConfigInput = {
  logLevel: 'silent',
  // Documents are rendered where a test asks for it; elsewhere the threads would only cost time.
  renderThreads: 0,
  dispatcher: { leaseMs: 4000, pollIntervalMs: 50, backoffBaseMs: 50, backoffCapMs: 500, concurrency: 16 },
  upstream: { connectTimeoutMs: 500, responseTimeoutMs: 1500, pollAfterMs: 50 },
  breaker: { failuresToOpen: 5, halfOpenAfterMs: 300, pauseMs: 1000 },
  // The test process is the gateway's process: its event loop is busy with the tests themselves,
  // so shedding by the loop's load would refuse the tests' own requests. test/api/overload.test.ts
  // turns it on where it is the subject.
  http: { maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0 },
};

export async function startTestGateway(input: ConfigInput, options: { readonly onQuery?: OpenStoreOptions['onQuery']; readonly clock?: Clock } = {}): Promise<TestGateway> {
  const database = await freshDatabase();
  const setup = await openStore(database.location);
  await registerSellers(setup.db);
  const now = options.clock?.now() ?? Date.now();
  const key = (await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, now)).key;
  const otherKey = (await createApiKey(setup.db, { sellers: [OTHER_SELLER], scopes: ['issue', 'read'], expiresAt: null }, now)).key;
  const readOnlyKey = (await createApiKey(setup.db, { sellers: [SELLER], scopes: ['read'], expiresAt: null }, now)).key;
  const adminKey = (await createApiKey(setup.db, { sellers: [SELLER, OTHER_SELLER], scopes: ['admin'], expiresAt: null }, now)).key;
  const operatorKey = (await createApiKey(setup.db, { sellers: [], scopes: ['operator'], expiresAt: null }, now)).key;
  const revoked = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, now);
  await revokeApiKey(setup.db, revoked.id, now);
  await setup.close();
  const config = resolveConfig({
    ...FAST,
    ...input,
    dataDir: database.dataDir,
    port: 0,
    ...(database.location.kind === 'postgres' && { databaseUrl: database.location.url }),
    dispatcher: { ...FAST.dispatcher, ...input.dispatcher },
    upstream: { ...FAST.upstream, ...input.upstream },
    breaker: { ...FAST.breaker, ...input.breaker },
    http: { ...FAST.http, ...input.http },
  });
  // TEST_LOG=info shows the gateway's log when a test needs it.
  const start = () => startGateway(config, { log: pino({ level: process.env.TEST_LOG ?? 'silent' }), ...(options.onQuery && { onQuery: options.onQuery }), ...(options.clock && { clock: options.clock }) });
  let gateway = await start();
  return {
    get gateway() {
      return gateway;
    },
    async restart(between) {
      await gateway.close();
      await between?.();
      gateway = await start();
    },
    database,
    key,
    otherKey,
    readOnlyKey,
    revokedKey: revoked.key,
    adminKey,
    operatorKey,
    async close() {
      await gateway.close();
      await database.drop();
    },
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  key?: string;
  idempotencyKey?: string;
  json?: unknown;
  raw?: string | Buffer;
  contentType?: string;
}

function prepare(options: CallOptions) {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw;
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  return { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body };
}

function answer(status: number, headers: HttpAnswer['headers'], text: string): HttpAnswer {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (the docs page)
  }
  return { status, headers, body: parsed, text };
}

/** One HTTP call over a real socket, with a JSON body (or raw text) and an optional key and idempotency key. */
export async function http(url: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const { method, headers, body } = prepare(options);
  const response = await request(url, { method, headers, ...(body !== undefined && { body }) });
  return answer(response.statusCode, response.headers, await response.body.text());
}

/**
 * The same call through Fastify's inject: every route, hook and plugin runs, without a socket.
 * For what a route decides; what needs a connection (timeouts, slow bodies, the HTTP parser's own
 * refusals, shedding) goes through `http` or raw sockets.
 */
export async function inject(app: FastifyInstance, path: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const { method, headers, body } = prepare(options);
  const response = await app.inject({ method, url: path, headers, ...(body !== undefined && { payload: body }) });
  const headersAsSent = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, typeof value === 'number' ? String(value) : value]));
  return answer(response.statusCode, headersAsSent, response.body);
}
