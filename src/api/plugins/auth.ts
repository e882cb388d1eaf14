/**
 * Bearer API keys, or a console user's session cookie: every /v1 route declares the scope it needs
 * in its config (`config.scope`), and this plugin checks the key (or the session) before the
 * handler runs. A key acts for its own sellers only; a console user for theirs, within their role
 * (operator: operator, bound to no seller; admin: admin; clerk: issue and read; viewer: read); handlers read `request.apiKey.sellers` and
 * never look wider (design.md invariant 6). A write by session must carry the session's CSRF token
 * in `X-CSRF-Token`: a cookie is sent by the browser whoever asks, the token only by our pages.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Clock } from '../../runtime/clock.js';
import { TtlCache } from '../../runtime/ttl-cache.js';
import { checkApiKey, type ApiKeyInfo, type ApiKeyScope } from '../../store/api-key-store.js';
import type { ConsoleRole } from '../../domain/console-user-rules.js';
import { findSession } from '../../store/console-users.js';
import { timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { Database } from '../../store/schema/index.js';
import { ApiProblem } from '../problem.js';
import { secondFactorRequired, type SecondFactorPolicy } from '../../access/second-factor.js';

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

export const ROLE_SCOPES: Readonly<Record<ConsoleRole, readonly ApiKeyScope[]>> = { operator: ['operator'], admin: ['admin'], clerk: ['issue', 'read'], viewer: ['read'] };

/**
 * Whether scopes grant what a route needs. `admin` grants everything done for its sellers; only
 * `operator` grants the operator's routes (what every seller shares), and it reads as `read` does,
 * which for an operator bound to no seller shows the channels and nothing of any seller's.
 */
export function scopesGrant(scopes: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  if (needed === 'operator') return scopes.includes('operator');
  return scopes.includes(needed) || scopes.includes('admin') || (needed === 'read' && scopes.includes('operator'));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request's X-CSRF-Token is its session's, compared in constant time. */
export const csrfTokenMatches = (given: string | string[] | undefined, expected: string) =>
  typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, options) => {
  const verified = new TtlCache<ApiKeyInfo>(options.clock, KEY_CACHE_MS, 10_000);
  app.decorateRequest('apiKey', null as unknown as ApiKeyInfo);

  /** A console user's session as if it were a key: their sellers, the scopes of their role. */
  async function sessionKey(request: FastifyRequest, token: string): Promise<ApiKeyInfo> {
    const session = await findSession(options.reader, token, options.clock.now());
    if (!session) throw new ApiProblem('session_invalid');
    if (!session.user.secondFactor && secondFactorRequired(options.secondFactorPolicy, session.user.role)) throw new ApiProblem('second_factor_enrolment_required');
    if (!SAFE_METHODS.has(request.method)) {
      if (!csrfTokenMatches(request.headers['x-csrf-token'], session.csrfToken)) throw new ApiProblem('csrf_token_invalid');
    }
    return { id: `user:${session.user.username}`, sellers: session.user.sellers, scopes: ROLE_SCOPES[session.user.role], createdAt: session.user.createdAt, expiresAt: session.expiresAt, revokedAt: null };
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
