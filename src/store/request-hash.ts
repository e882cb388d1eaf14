/**
 * The fingerprint of a request body for idempotency: SHA-256 of its canonical JSON (keys sorted,
 * no white space), so a client that re-serialises the same request differently is still "the same
 * body", while any changed value is not. A member that is null counts as absent, as the request
 * reader counts it: `"remarks": null` and no remarks are the same request.
 */
import { createHash } from 'node:crypto';

// Loops and string appends rather than entries/map/join: this runs on every accept (profiled).
// The output is the same byte for byte; records written before must still match.
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? '';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonical(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as `<` does.
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined || member === null) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonical(member)}`;
    first = false;
  }
  return `${out}}`;
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}
