/**
 * A console user's session as an actor: who the cookie's token names, within the scopes of their
 * role; a write only with the session's CSRF token (the browser sends the cookie whoever asks, the
 * token only our pages do); a user who must enrol a second factor may do nothing else first.
 * Signing out is a write like any other.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConsoleRole } from '../domain/console-user-rules.js';
import type { Refusal } from '../domain/refusal.js';
import type { Clock } from '../runtime/clock.js';
import type { ApiKeyInfo, ApiKeyScope } from '../store/api-key-store.js';
import { closeSession, findSession, type SessionInfo } from '../store/console-users.js';
import type { Database } from '../store/schema/index.js';
import { secondFactorRequired, type SecondFactorPolicy } from './second-factor.js';

export interface SessionDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly secondFactorPolicy: SecondFactorPolicy;
}

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

/** Whether a request's X-CSRF-Token is its session's, compared in constant time. */
export const csrfTokenMatches = (given: string | string[] | undefined, expected: string) =>
  typeof given === 'string' && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

type SessionRefusal = Extract<Refusal, { kind: 'session_invalid' | 'csrf_token_invalid' | 'second_factor_enrolment_required' }>;

/** What a request carries of a session: the cookie's token, and for a write the X-CSRF-Token header. */
export interface SessionCredentials {
  readonly token: string | undefined;
  readonly write: boolean;
  readonly csrfToken?: string | string[] | undefined;
}

/** The live session of the credentials, its CSRF token checked for a write. */
export async function openSessionOf(deps: SessionDeps, credentials: SessionCredentials): Promise<{ readonly kind: 'session'; readonly session: SessionInfo } | Extract<SessionRefusal, { kind: 'session_invalid' | 'csrf_token_invalid' }>> {
  const session = credentials.token ? await findSession(deps.db, credentials.token, deps.clock.now()) : undefined;
  if (!session) return { kind: 'session_invalid' };
  if (credentials.write && !csrfTokenMatches(credentials.csrfToken, session.csrfToken)) return { kind: 'csrf_token_invalid' };
  return { kind: 'session', session };
}

/** The session as an actor on /v1: the user's sellers, the scopes of their role. */
export async function sessionActor(deps: SessionDeps, credentials: SessionCredentials): Promise<{ readonly kind: 'actor'; readonly actor: ApiKeyInfo } | SessionRefusal> {
  const found = await openSessionOf(deps, { token: credentials.token, write: false });
  if (found.kind !== 'session') return found;
  const { session } = found;
  if (!session.user.secondFactor && secondFactorRequired(deps.secondFactorPolicy, session.user.role)) return { kind: 'second_factor_enrolment_required' };
  if (credentials.write && !csrfTokenMatches(credentials.csrfToken, session.csrfToken)) return { kind: 'csrf_token_invalid' };
  const { user } = session;
  return { kind: 'actor', actor: { id: `user:${user.username}`, sellers: user.sellers, scopes: ROLE_SCOPES[user.role], createdAt: user.createdAt, expiresAt: session.expiresAt, revokedAt: null } };
}

/** Ends the session of the token, if it is live; a write, so only with its CSRF token. No session is no refusal: the user is out either way. */
export async function signOut(deps: SessionDeps, credentials: Omit<SessionCredentials, 'write'>): Promise<{ readonly kind: 'signed_out' } | Extract<SessionRefusal, { kind: 'csrf_token_invalid' }>> {
  const found = await openSessionOf(deps, { ...credentials, write: true });
  if (found.kind === 'csrf_token_invalid') return found;
  if (found.kind === 'session') await closeSession(deps.db, credentials.token!);
  return { kind: 'signed_out' };
}
