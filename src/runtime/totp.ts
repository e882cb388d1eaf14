/**
 * Time-based one-time passwords (RFC 6238, through the maintained `otpauth`): six digits every 30
 * seconds, SHA-1, as every authenticator app reads them, one step of clock drift either way; and
 * one-time recovery codes, stored only as hashes.
 */
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;
const ISSUER = '发票网关';

const totp = (secret: string, label = 'user') => new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

/** A new secret, base32 (160 bits, as RFC 4226 recommends). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans from a QR code. */
export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/** The current code (for tests and the CLI's own check). */
export function totpCode(secret: string, nowMs: number): string {
  return totp(secret).generate({ timestamp: nowMs });
}

/** The time step a code belongs to, if it is the code of this step or one either side; else undefined. */
export function totpStep(secret: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: 1 });
  return delta === null ? undefined : Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const RECOVERY_FORM = /^[a-z0-9]{4}-?[a-z0-9]{4}$/;

/** Ten codes like `k7mq-2xpa`, each good once, shown to the user once. */
export function newRecoveryCodes(count = 10): string[] {
  const part = () => Array.from({ length: 4 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return Array.from({ length: count }, () => `${part()}-${part()}`);
}

/** What is stored of a recovery code: the hash of its canonical form (lower case, no dash). */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.trim().toLowerCase().replace(/-/g, '')).digest('hex');
}
