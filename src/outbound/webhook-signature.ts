/**
 * Standard Webhooks 1.0 signing (docs/api.md "Webhooks"): secrets are `whsec_` and base64 of 32
 * random bytes; a signature is `v1,` and base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`
 * keyed with the secret's decoded bytes. Pure: the same inputs give the same signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret, shown once to whoever subscribes. */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new RangeError('a webhook secret starts with whsec_');
  return Buffer.from(secret.slice(PREFIX.length), 'base64');
}

/** The `webhook-signature` header's value for one attempt. */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}

/**
 * What a receiver checks: one of the space-separated `v1,` signatures matches, and the timestamp is
 * within `toleranceSeconds` of `nowSeconds` (a replayed old request is refused).
 */
export function verifyWebhook(secret: string, headers: { readonly id: string; readonly timestamp: string; readonly signature: string }, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(webhookSignature(secret, headers.id, timestamp, body));
  return headers.signature.split(' ').some((given) => {
    const candidate = Buffer.from(given);
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
}
