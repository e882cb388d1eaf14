/**
 * Bearer API keys: every /v1 route declares the scope it needs in its config (`config.scope`), and
 * this plugin checks the key before the handler runs. A key acts for its own sellers only;
 * handlers read `request.apiKey.sellers` and never look wider (design.md invariant 6).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Clock } from '../../runtime/clock.js';
import { TtlCache } from '../../runtime/ttl-cache.js';
import { checkApiKey, type ApiKeyInfo, type ApiKeyScope } from '../../store/api-key-store.js';
import type { Database } from '../../store/schema/index.js';
import { ApiProblem } from '../problem.js';

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
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

/**
 * Successful key checks are remembered for one second, which takes two queries off every request;
 * so a revoked or expired key stops working within a second. Failures are never remembered.
 */
export const KEY_CACHE_MS = 1000;

const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, options) => {
  const verified = new TtlCache<ApiKeyInfo>(options.clock, KEY_CACHE_MS, 10_000);
  app.decorateRequest('apiKey', null as unknown as ApiKeyInfo);
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    const header = request.headers.authorization;
    if (!header) throw new ApiProblem('api_key_missing');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiProblem('api_key_missing', 'the Authorization header must read: Bearer <key>');
    const presented = match[1]!;
    let key = verified.get(presented);
    if (!key) {
      const check = await checkApiKey(options.db, presented, options.clock.now());
      if (!check.ok) throw new ApiProblem(check.reason === 'revoked' ? 'api_key_revoked' : check.reason === 'expired' ? 'api_key_expired' : 'api_key_invalid');
      key = check.key;
      verified.set(presented, key);
    }
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
      throw new ApiProblem('scope_missing', `this needs the "${scope}" scope; the key has: ${key.scopes.join(', ')}`);
    }
    request.apiKey = key;
  });
};

export const auth = fp(authPlugin, { name: 'auth' });
