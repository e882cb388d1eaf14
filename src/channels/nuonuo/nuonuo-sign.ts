/**
 * 诺诺's request signature (X-Nuonuo-Sign) and the envelope's query string (domain.md §6.1,
 * field-notes §2): base64(HMAC-SHA1(appSecret, "a=services&l=v1&p=open&k=…&i=…&n=…&t=…&f=BODY")).
 * The body signed must be byte-identical to the body sent, so callers sign the exact string they post.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';

export interface Envelope {
  /** 32 random characters, new for each request. */
  readonly senid: string;
  /** An 8-digit positive integer, as text. */
  readonly nonce: string;
  /** Unix seconds, as text (诺诺 checks it against its own clock). */
  readonly timestamp: string;
}

/** The signature of one request. */
export function nuonuoSign(appSecret: string, appKey: string, envelope: Envelope, body: string): string {
  const signed = `a=services&l=v1&p=open&k=${appKey}&i=${envelope.senid}&n=${envelope.nonce}&t=${envelope.timestamp}&f=${body}`;
  return createHmac('sha1', appSecret).update(signed, 'utf8').digest('base64');
}

/** A fresh envelope for a request sent at `nowMs`. */
export function newEnvelope(nowMs: number): Envelope {
  return {
    senid: randomBytes(16).toString('hex'),
    nonce: String(randomInt(10_000_000, 100_000_000)),
    timestamp: String(Math.floor(nowMs / 1000)),
  };
}

/** The query string of the business gateway's URL for one request. */
export function envelopeQuery(appKey: string, envelope: Envelope): string {
  return new URLSearchParams({ senid: envelope.senid, nonce: envelope.nonce, timestamp: envelope.timestamp, appkey: appKey }).toString();
}
