/**
 * The console's second factor as use cases: checking a code (or a recovery code) at sign-in, a
 * code good once; enrolling (a secret offered as a QR code, confirmed by its first code, recovery
 * codes shown once); and whether a user must have one (FAPIAO_CONSOLE_REQUIRE_2FA).
 */
import type { Kysely } from 'kysely';
import QRCode from 'qrcode';
import type { Clock } from '../runtime/clock.js';
import type { SecretBox } from '../runtime/secret-box.js';
import { newRecoveryCodes, newTotpSecret, RECOVERY_FORM, recoveryCodeHash, totpStep, totpUri } from '../runtime/totp.js';
import { enrolSecondFactor, offerSecondFactor, spendRecoveryCode, takeTotpStep } from '../store/console-second-factor.js';
import type { ConsoleRole } from '../domain/console-user-rules.js';
import { findUser, type ConsoleUserSecrets } from '../store/console-users.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { Database } from '../store/schema/index.js';

/** Who must have a second factor: nobody, those who administer (admin, operator), or everyone. */
export type SecondFactorPolicy = 'none' | 'admin' | 'all';

export function secondFactorRequired(policy: SecondFactorPolicy, role: ConsoleRole): boolean {
  return policy === 'all' || (policy === 'admin' && (role === 'admin' || role === 'operator'));
}

export interface SecondFactorDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly clock: Clock;
  readonly secrets: SecretBox;
}

/** Whether `code` is the user's current TOTP code not used before, or one of their unused recovery codes. */
export async function secondFactorMatches(deps: SecondFactorDeps, username: string, user: ConsoleUserSecrets, code: string): Promise<boolean> {
  if (!user.totpSealed) return false;
  const given = code.trim();
  const now = deps.clock.now();
  if (/^\d{6}$/.test(given)) {
    let secret: string;
    try {
      secret = deps.secrets.open(user.totpSealed);
    } catch {
      return false;
    }
    const step = totpStep(secret, given, now);
    return step !== undefined && (await takeTotpStep(deps.db, { username, step }));
  }
  if (RECOVERY_FORM.test(given.toLowerCase())) return spendRecoveryCode(deps.db, deps.capabilities, { username, hash: recoveryCodeHash(given), now });
  return false;
}

/** Offers a new secret to a signed-in user: what their authenticator app scans. */
export async function beginEnrolment(deps: SecondFactorDeps, username: string): Promise<{ secret: string; uri: string; qrSvg: string }> {
  const secret = newTotpSecret();
  await offerSecondFactor(deps.db, { username, sealed: deps.secrets.seal(secret), now: deps.clock.now() });
  const uri = totpUri(secret, username);
  return { secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }) };
}

/** The first code confirms the offered secret; the recovery codes are returned once. */
export async function confirmEnrolment(deps: SecondFactorDeps, username: string, code: string): Promise<{ kind: 'enrolled'; recoveryCodes: string[] } | { kind: 'second_factor_not_offered' } | { kind: 'second_factor_invalid' }> {
  const user = await findUser(deps.db, username);
  if (!user?.totpPendingSealed) return { kind: 'second_factor_not_offered' };
  const secret = deps.secrets.open(user.totpPendingSealed);
  const step = totpStep(secret, code.trim(), deps.clock.now());
  if (step === undefined) return { kind: 'second_factor_invalid' };
  const recoveryCodes = newRecoveryCodes();
  await enrolSecondFactor(deps.db, deps.capabilities, { username, sealed: user.totpPendingSealed, step, recoveryHashes: recoveryCodes.map(recoveryCodeHash), by: username, now: deps.clock.now() });
  return { kind: 'enrolled', recoveryCodes };
}

/** Enrols a secret made elsewhere (fapiao users add --totp), with its recovery codes. */
export async function enrolGivenSecret(deps: SecondFactorDeps, username: string, by: string): Promise<{ secret: string; uri: string; recoveryCodes: string[] }> {
  const secret = newTotpSecret();
  const recoveryCodes = newRecoveryCodes();
  await enrolSecondFactor(deps.db, deps.capabilities, { username, sealed: deps.secrets.seal(secret), step: null, recoveryHashes: recoveryCodes.map(recoveryCodeHash), by, now: deps.clock.now() });
  return { secret, uri: totpUri(secret, username), recoveryCodes };
}
