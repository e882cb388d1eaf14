/**
 * Console sign-in as one use case: the attempt is throttled and counted before any password is
 * hashed, the hash runs within a bound on checks in flight, a user with a second factor must give
 * its code, and only then is a session opened. Every failure is audited; no answer differs between
 * a name that exists and one that does not until the password itself was right.
 */
import { throttleAddress, throttleKeys, type ThrottleRules } from '../domain/sign-in-throttle.js';
import { TtlCache } from '../runtime/ttl-cache.js';
import { PasswordCheckGate } from '../runtime/password-check-gate.js';
import { DECOY_HASH, passwordMatches } from '../runtime/password-hash.js';
import { USERNAME_FORM } from '../domain/console-user-rules.js';
import { auditLoginFailure, findUser, openSession, type ConsoleUser } from '../store/console-users.js';
import { admitSignInAttempt, forgetSignInAttempt } from '../store/sign-in-throttle.js';
import { secondFactorMatches, type SecondFactorDeps, type SecondFactorPolicy } from './second-factor.js';

/** The store, clock and secrets key (SecondFactorDeps), and what holds sign-ins back. */
export interface SignInDeps extends SecondFactorDeps {
  readonly secondFactorPolicy: SecondFactorPolicy;
  readonly gate: PasswordCheckGate;
  readonly rules: ThrottleRules;
  /**
   * Holds this process saw lately, by key: a flood of attempts that are held back is answered
   * from memory, without a database transaction each (a hold lifted by reset-password is seen
   * within the cache's second).
   */
  readonly holds: TtlCache<number>;
  /** Told of each password actually checked, and of each attempt held back (metrics). */
  readonly onAttempt?: (outcome: SignInOutcome['kind']) => void;
}

/** The sign-in use case's dependencies, with its gate and its memory of holds made here, once per process. */
export function signInDeps(
  base: SecondFactorDeps & {
    readonly config: { readonly checksInFlight: number; readonly checksPerName: number; readonly require2fa: SecondFactorPolicy; readonly rules: ThrottleRules };
    readonly holds: { readonly ttlMs: number; readonly entries: number };
    readonly onAttempt?: (outcome: SignInOutcome['kind']) => void;
  },
): SignInDeps {
  const { config, holds, onAttempt, ...deps } = base;
  return {
    ...deps,
    gate: new PasswordCheckGate({ total: config.checksInFlight, perName: config.checksPerName }),
    holds: new TtlCache<number>(deps.clock, holds.ttlMs, holds.entries),
    rules: config.rules,
    secondFactorPolicy: config.require2fa,
    ...(onAttempt && { onAttempt }),
  };
}

export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** The second factor's code (or a recovery code), for a user who has one. */
  readonly totp?: string;
  /** The client's address as the HTTP layer decided it (FAPIAO_TRUST_PROXY). */
  readonly address: string;
}

export type SignInOutcome =
  | { readonly kind: 'signed_in'; readonly user: ConsoleUser; readonly session: { readonly token: string; readonly csrfToken: string; readonly expiresAt: number } }
  | { readonly kind: 'refused' }
  /** The password was right; the user has a second factor and gave no code. */
  | { readonly kind: 'second_factor_required' }
  | { readonly kind: 'second_factor_invalid' }
  | { readonly kind: 'throttled'; readonly retryAfterSeconds: number }
  | { readonly kind: 'busy'; readonly retryAfterSeconds: number; readonly detail: string };

const throttled = (ms: number): SignInOutcome => ({ kind: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

/** The latest hold this process remembers on any of the keys, if one is still running. */
function heldUntil(deps: SignInDeps, keys: ReadonlyArray<{ readonly key: string }>): number | undefined {
  const now = deps.clock.now();
  const until = Math.max(0, ...keys.map(({ key }) => deps.holds.get(key) ?? 0));
  return until > now ? until : undefined;
}

/** Whether a client's address is held back as a whole: its attempts are refused before their body is read. */
export function addressHeldUntil(deps: SignInDeps, address: string): number | undefined {
  return heldUntil(deps, [{ key: `address:${throttleAddress(address)}` }]);
}

export async function signIn(deps: SignInDeps, attempt: SignInAttempt): Promise<SignInOutcome> {
  const username = attempt.username.trim().toLowerCase();
  const outcome = await decide(deps, { ...attempt, username });
  deps.onAttempt?.(outcome.kind);
  return outcome;
}

async function decide(deps: SignInDeps, attempt: SignInAttempt): Promise<SignInOutcome> {
  const { username, address } = attempt;
  // Counted first, whatever follows: guesses sent at once are each a turn at the counter, so a
  // batch cannot slip past it while earlier guesses are still being hashed.
  const keys = throttleKeys(throttleAddress(address), username);
  const remembered = heldUntil(deps, keys);
  if (remembered !== undefined) return throttled(remembered - deps.clock.now());
  const admission = await admitSignInAttempt(deps.db, deps.capabilities, { keys, rules: deps.rules, now: deps.clock.now() });
  if (!admission.admitted) {
    deps.holds.set(admission.key, admission.until);
    return throttled(admission.retryAfterMs);
  }
  const pass = deps.gate.enter(username, !admission.addressTrusted);
  if (!pass.ok) return pass.reason === 'busy' ? { kind: 'busy', retryAfterSeconds: 1, detail: 'too many sign-ins are being checked at once' } : { kind: 'throttled', retryAfterSeconds: 1 };
  try {
    const user = USERNAME_FORM.test(username) ? await findUser(deps.db, username) : undefined;
    // An unknown name costs as long as a known one: timing tells nobody which names exist.
    const matches = await passwordMatches(attempt.password, user?.passwordHash ?? DECOY_HASH);
    const now = deps.clock.now();
    if (!user || user.disabled || !matches) {
      const reason = !user ? 'unknown_user' : user.disabled ? 'user_disabled' : 'wrong_password';
      await auditLoginFailure(deps.db, deps.capabilities, { username, from: address, reason, holds: admission.holdsBegun, now });
      return { kind: 'refused' };
    }
    if (user.totpSealed) {
      if (attempt.totp === undefined || attempt.totp.trim() === '') return { kind: 'second_factor_required' };
      if (!(await secondFactorMatches(deps, username, user, attempt.totp))) {
        await auditLoginFailure(deps.db, deps.capabilities, { username, from: address, reason: 'wrong_second_factor', holds: admission.holdsBegun, now: deps.clock.now() });
        return { kind: 'second_factor_invalid' };
      }
    }
    await forgetSignInAttempt(deps.db, { keys, rules: deps.rules });
    const session = await openSession(deps.db, deps.capabilities, { username, from: address, now });
    return { kind: 'signed_in', user, session };
  } finally {
    pass.release();
  }
}
