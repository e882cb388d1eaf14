/**
 * 百望's request signing and body text (shared/baiwang.md; odoo's API_REFERENCE §2): the signature
 * covers the sorted URL parameters and the exact body bytes, so the body is written once, compact,
 * and those bytes are both signed and sent. Amounts are JSON numbers written from our decimal text,
 * never through floating point.
 */
import { createHash, randomUUID } from 'node:crypto';

/** A JSON number written exactly as its decimal text ("-2.00"), for 百望's numeric amounts. */
export class DecimalNumber {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`${JSON.stringify(text)} is not a decimal number`);
  }
}

export type BaiwangJson = string | number | boolean | null | DecimalNumber | readonly BaiwangJson[] | { readonly [key: string]: BaiwangJson | undefined };

/** Compact JSON with no spaces (what 百望 signs); undefined members are left out, as JSON.stringify does. */
export function compactJson(value: BaiwangJson): string {
  if (value instanceof DecimalNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map((item: BaiwangJson) => compactJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, BaiwangJson | undefined>).filter((entry): entry is [string, BaiwangJson] => entry[1] !== undefined);
    return `{${members.map(([key, item]) => `${JSON.stringify(key)}:${compactJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** UPPER(MD5(appSecret + Σ sorted key+value of the non-empty URL parameters but sign + body + appSecret)). */
export function baiwangSign(appSecret: string, params: Readonly<Record<string, string | undefined>>, body: string): string {
  const signed = Object.keys(params)
    .filter((key) => key !== 'sign' && params[key] !== undefined && params[key].trim() !== '')
    .sort()
    .map((key) => `${key}${params[key]!}`)
    .join('');
  return createHash('md5').update(`${appSecret}${signed}${body}${appSecret}`, 'utf8').digest('hex').toUpperCase();
}

/** The password as 百望's token call wants it: SHA-256 of password + salt, lower-case hex. */
export function passwordDigest(password: string, salt: string): string {
  return createHash('sha256').update(`${password}${salt}`, 'utf8').digest('hex');
}

/** The router's URL parameters of one business call; v7.0 methods add the sign and encryption types. */
export function routerParams(method: string, version: '6.0' | '7.0', appKey: string, token: string, now: number): Record<string, string> {
  return {
    method,
    version,
    appKey,
    format: 'json',
    timestamp: String(now),
    token,
    type: 'sync',
    requestId: randomUUID(),
    ...(version === '7.0' && { signType: 'MD5', encryptType: 'NONE', encryptScope: '00' }),
  };
}
