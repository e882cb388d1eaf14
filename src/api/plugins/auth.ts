/**
 * Bearer API keys, or a console user's session cookie: every /v1 route declares the scope it needs
 * in its config (`config.scope`), and this plugin checks the key (or the session) before the
 * handler runs. A key acts for its own sellers only; a console user for theirs, within their role
 * (operator: operator, bound to no seller; admin: admin; clerk: issue and read; viewer: read); handlers read `request.apiKey.sellers` and
 * never look wider (design.md invariant 6). A session's own rules (its CSRF token on writes, a
 * second factor to enrol first, the scopes of a role) are src/access/console-sessions.ts.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Clock } from '../../runtime/clock.js';
import { TtlCache } from '../../runtime/ttl-cache.js';
import { checkApiKey, type ApiKeyInfo, type ApiKeyScope } from '../../store/api-key-store.js';
import type {} from '@fastify/cookie';
import type { Database } from '../../store/schema/index.js';
import { ApiProblem } from '../problem.js';
import { unlessRefused } from '../refusal-problems.js';
import type { SecondFactorPolicy } from '../../access/second-factor.js';
import { scopesGrant, sessionActor } from '../../access/console-sessions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public (health, docs). */
    scope?: ApiKeyScope;
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo;
  }
}

export interface AuthOptions {
  readonly reader: Kysely<Database>;
  readonly clock: Clock;
  /** FAPIAO_CONSOLE_REQUIRE_2FA: a session of a user who must have a second factor and has none may only enrol. */
  readonly secondFactorPolicy: SecondFactorPolicy;
}

/**
 * Successful key checks are remembered for one second, which takes two queries off every request;
 * so a revoked or expired key stops working within a second. Failures are never remembered.
 */
const KEY_CACHE_MS = 1000;

/** The console session cookie's name. */
export const SESSION_COOKIE = 'fapiao_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, options) => {
  const verified = new TtlCache<ApiKeyInfo>(options.clock, KEY_CACHE_MS, 10_000);
  app.decorateRequest('apiKey', null as unknown as ApiKeyInfo);

  /** A console user's session as if it were a key: their sellers, the scopes of their role. */
  async function sessionKey(request: FastifyRequest, token: string): Promise<ApiKeyInfo> {
    const deps = { db: options.reader, clock: options.clock, secondFactorPolicy: options.secondFactorPolicy };
    return unlessRefused(await sessionActor(deps, { token, write: !SAFE_METHODS.has(request.method), csrfToken: request.headers['x-csrf-token'] })).actor;
  }

  // onRequest: before the body is read. A stranger's megabyte is refused from its headers, not
  // buffered and parsed first (ten keyless senders of 1 MiB bodies had slowed every answer).
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    // A refused request's body is never read: the connection closes rather than drain it.
    if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined) void reply.header('connection', 'close');
    await authenticate(request, scope);
    reply.removeHeader('connection');
  });

  async function authenticate(request: FastifyRequest, scope: ApiKeyScope): Promise<void> {
    const header = request.headers.authorization;
    const cookie = request.cookies[SESSION_COOKIE];
    if (!header && cookie) {
      const key = await sessionKey(request, cookie);
      if (!scopesGrant(key.scopes, scope)) throw new ApiProblem('scope_missing', `this needs the "${scope}" permission, which your role does not have`);
      request.apiKey = key;
      return;
    }
    if (!header) throw new ApiProblem('api_key_missing');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiProblem('api_key_missing', 'the Authorization header must read: Bearer <key>');
    const presented = match[1]!;
    let key = verified.get(presented);
    if (!key) {
      const check = await checkApiKey(options.reader, presented, options.clock.now());
      if (!check.ok) throw new ApiProblem(check.reason === 'revoked' ? 'api_key_revoked' : check.reason === 'expired' ? 'api_key_expired' : 'api_key_invalid');
      key = check.key;
      verified.set(presented, key);
    }
    if (!scopesGrant(key.scopes, scope)) {
      throw new ApiProblem('scope_missing', `this needs the "${scope}" scope; the key has: ${key.scopes.join(', ')}`);
    }
    request.apiKey = key;
  }
};

export const auth = fp(authPlugin, { name: 'auth' });
