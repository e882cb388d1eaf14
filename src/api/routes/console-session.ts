/**
 * Console sign-in: POST /console/api/session checks a user's password (scrypt) and opens a session
 * in an HttpOnly, SameSite=Strict cookie (Secure when served over HTTPS), answering the CSRF token
 * the pages send with every write; GET says who is signed in; DELETE signs out. Wrong passwords are
 * counted and lock the user for a while; every login and failure is in the audit chain.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Clock } from '../../runtime/clock.js';
import { DECOY_HASH, passwordMatches } from '../../runtime/password-hash.js';
import { closeSession, findSession, findUser, openSession, recordLoginFailure, USERNAME_FORM, type ConsoleUser } from '../../store/console-users.js';
import type { StoreCapabilities } from '../../store/database.js';
import type { Database } from '../../store/schema/index.js';
import { ROLE_SCOPES, SESSION_COOKIE } from '../plugins/auth.js';
import { ApiProblem } from '../problem.js';
import { ProblemSchema } from '../schemas/invoice.js';

export interface ConsoleSessionOptions {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly clock: Clock;
}

const Me = Type.Object({
  username: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('clerk'), Type.Literal('viewer')]),
  sellers: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  csrfToken: Type.String({ description: 'send as X-CSRF-Token with every write' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

const meJson = (user: ConsoleUser, csrfToken: string, expiresAt: number) => ({
  username: user.username,
  role: user.role,
  sellers: [...user.sellers],
  scopes: [...ROLE_SCOPES[user.role]],
  csrfToken,
  expiresAt: new Date(expiresAt).toISOString(),
});

/** Over HTTPS (directly, or behind a proxy that says so) the cookie is Secure. */
const isHttps = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

export const consoleSessionRoutes: FastifyPluginAsyncTypebox<ConsoleSessionOptions> = async (app, options) => {
  const { db, clock } = options;

  app.post(
    '/session',
    {
      schema: {
        operationId: 'signIn',
        summary: 'Console sign-in: a session cookie and the CSRF token',
        tags: ['console'],
        body: Type.Object({ username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
        response: { 200: Me, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      const username = request.body.username.trim().toLowerCase();
      const now = clock.now();
      const user = USERNAME_FORM.test(username) ? await findUser(db, username) : undefined;
      // An unknown name costs as long as a known one: timing tells nobody which names exist.
      const matches = await passwordMatches(request.body.password, user?.passwordHash ?? DECOY_HASH);
      if (user?.lockedUntil && user.lockedUntil > now) throw new ApiProblem('user_locked', `locked until ${new Date(user.lockedUntil).toISOString()}`);
      if (!user || user.disabled || !matches) {
        if (user) {
          const counted = await recordLoginFailure(db, options.capabilities, { username, from: request.ip, now });
          if (counted === 'locked') throw new ApiProblem('user_locked', 'too many wrong passwords in a row');
        }
        throw new ApiProblem('login_failed');
      }
      const session = await openSession(db, options.capabilities, { username, from: request.ip, now });
      void reply.setCookie(SESSION_COOKIE, session.token, { path: '/', httpOnly: true, sameSite: 'strict', secure: isHttps(request), expires: new Date(session.expiresAt) });
      return meJson(user, session.csrfToken, session.expiresAt);
    },
  );

  app.get(
    '/session',
    { schema: { operationId: 'whoAmI', summary: 'Who is signed in to the console', tags: ['console'], response: { 200: Me, 401: ProblemSchema } } },
    async (request) => {
      const token = request.cookies[SESSION_COOKIE];
      const session = token ? await findSession(db, token, clock.now()) : undefined;
      if (!session) throw new ApiProblem('session_invalid');
      return meJson(session.user, session.csrfToken, session.expiresAt);
    },
  );

  app.delete(
    '/session',
    { schema: { operationId: 'signOut', summary: 'Console sign-out', tags: ['console'], response: { 204: Type.Null(), 401: ProblemSchema } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await closeSession(db, token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );
};
