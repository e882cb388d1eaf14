/**
 * Bearer API keys: every /v1 route declares the scope it needs in its config (`config.scope`), and
 * this plugin checks the key before the handler runs. A key acts for its own sellers only;
 * handlers read `request.apiKey.sellers` and never look wider (design.md invariant 6).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Clock } from '../../ops/clock.js';
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

const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, options) => {
  app.decorateRequest('apiKey', null as unknown as ApiKeyInfo);
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    const header = request.headers.authorization;
    if (!header) throw new ApiProblem('api_key_missing');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiProblem('api_key_missing', 'the Authorization header must read: Bearer <key>');
    const check = await checkApiKey(options.db, match[1]!, options.clock.now());
    if (!check.ok) throw new ApiProblem(check.reason === 'revoked' ? 'api_key_revoked' : check.reason === 'expired' ? 'api_key_expired' : 'api_key_invalid');
    if (!check.key.scopes.includes(scope) && !check.key.scopes.includes('admin')) {
      throw new ApiProblem('scope_missing', `this needs the "${scope}" scope; the key has: ${check.key.scopes.join(', ')}`);
    }
    request.apiKey = check.key;
  });
};

export const auth = fp(authPlugin, { name: 'auth' });
