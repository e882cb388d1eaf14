/**
 * Console sign-in: POST /console/api/session runs the sign-in use case (src/access/sign-in.ts) and
 * opens a session in an HttpOnly, SameSite=Strict cookie (Secure when served over HTTPS), answering
 * the CSRF token the pages send with every write; GET says who is signed in; DELETE signs out.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { addressHeldUntil, signIn, type SignInDeps } from '../../access/sign-in.js';
import { beginEnrolment, confirmEnrolment, secondFactorRequired } from '../../access/second-factor.js';
import type { ConsoleUser } from '../../store/console-users.js';
import { openSessionOf, ROLE_SCOPES, signOut } from '../../access/console-sessions.js';
import { SESSION_COOKIE } from '../plugins/auth.js';
import { ApiProblem } from '../problem.js';
import { unlessRefused } from '../refusal-problems.js';
import { ProblemSchema } from '../schemas/invoice.js';
import { Me } from '../schemas/console.js';

export interface ConsoleSessionOptions {
  readonly signIn: SignInDeps;
}


const CodeBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false });

/** Over HTTPS (directly, or behind a proxy that says so) the cookie is Secure. */
const isHttps = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

export const consoleSessionRoutes: FastifyPluginAsyncTypebox<ConsoleSessionOptions> = async (app, options) => {
  const { db, clock } = options.signIn;
  const meJson = (user: ConsoleUser, csrfToken: string, expiresAt: number) => ({
    username: user.username,
    role: user.role,
    sellers: [...user.sellers],
    scopes: [...ROLE_SCOPES[user.role]],
    csrfToken,
    expiresAt: new Date(expiresAt).toISOString(),
    secondFactor: { enrolled: user.secondFactor, required: secondFactorRequired(options.signIn.secondFactorPolicy, user.role) },
  });

  const sessions = { db, clock, secondFactorPolicy: options.signIn.secondFactorPolicy };
  /** The session of a write (its CSRF token checked), or 401/403. */
  async function writingSession(request: FastifyRequest) {
    return unlessRefused(await openSessionOf(sessions, { token: request.cookies[SESSION_COOKIE], write: true, csrfToken: request.headers['x-csrf-token'] })).session;
  }

  app.post(
    '/session',
    {
      // An address held back as a whole is answered from its headers: its flood costs no parse.
      onRequest: async (request) => {
        const until = addressHeldUntil(options.signIn, request.ip);
        if (until !== undefined) throw new ApiProblem('sign_in_throttled', undefined, { headers: { 'retry-after': String(Math.max(1, Math.ceil((until - clock.now()) / 1000))) } });
      },
      schema: {
        operationId: 'signIn',
        summary: 'Console sign-in: a session cookie and the CSRF token',
        tags: ['console'],
        body: Type.Object(
          { username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 256 }), totp: Type.Optional(Type.String({ maxLength: 16, description: "the authenticator app's code, or a recovery code" })) },
          { additionalProperties: false },
        ),
        response: { 200: Me, 400: ProblemSchema, 401: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const outcome = unlessRefused(await signIn(options.signIn, { username: request.body.username, password: request.body.password, ...(request.body.totp !== undefined && { totp: request.body.totp }), address: request.ip }));
      const { session, user } = outcome;
      void reply.setCookie(SESSION_COOKIE, session.token, { path: '/', httpOnly: true, sameSite: 'strict', secure: isHttps(request), expires: new Date(session.expiresAt) });
      return meJson(user, session.csrfToken, session.expiresAt);
    },
  );

  app.get(
    '/session',
    { schema: { operationId: 'whoAmI', summary: 'Who is signed in to the console', tags: ['console'], response: { 200: Me, 401: ProblemSchema } } },
    async (request) => {
      const { session } = unlessRefused(await openSessionOf(sessions, { token: request.cookies[SESSION_COOKIE], write: false }));
      return meJson(session.user, session.csrfToken, session.expiresAt);
    },
  );

  app.delete(
    '/session',
    { schema: { operationId: 'signOut', summary: 'Console sign-out', tags: ['console'], response: { 204: Type.Null(), 401: ProblemSchema, 403: ProblemSchema } } },
    async (request, reply) => {
      // Signing out is a write: a page of another site must not sign a user out (login CSRF's twin).
      unlessRefused(await signOut(sessions, { token: request.cookies[SESSION_COOKIE], csrfToken: request.headers['x-csrf-token'] }));
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/second-factor/setup',
    {
      schema: {
        operationId: 'offerSecondFactor',
        summary: 'A new TOTP secret for the signed-in user, as an otpauth:// URI and a QR code (SVG); it guards nothing until confirmed',
        tags: ['console'],
        response: { 200: Type.Object({ secret: Type.String(), uri: Type.String(), qrSvg: Type.String() }), 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const session = await writingSession(request);
      return beginEnrolment(options.signIn, session.user.username);
    },
  );

  app.post(
    '/second-factor/confirm',
    {
      schema: {
        operationId: 'confirmSecondFactor',
        summary: 'Confirm the offered secret with its first code: the second factor is on, and ten recovery codes are shown, once',
        tags: ['console'],
        body: CodeBody,
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request) => {
      const session = await writingSession(request);
      const confirmed = unlessRefused(await confirmEnrolment(options.signIn, session.user.username, request.body.code));
      return { recoveryCodes: confirmed.recoveryCodes };
    },
  );
};
