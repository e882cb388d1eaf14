/**
 * The fingerprint of a request body for idempotency: SHA-256 of its canonical JSON (keys sorted,
 * no white space), so a client that re-serialises the same request differently is still "the same
 * body", while any changed value is not. A member that is null counts as absent, as the request
 * reader counts it: `"remarks": null` and no remarks are the same request.
 */
import { createHash } from 'node:crypto';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}
