/**
 * Bytes to a JSON value for invoice requests that arrive as files or bodies: size limit first, then
 * strict UTF-8 (a GBK file must not turn into mojibake on an invoice), an optional BOM, then JSON.
 * Every failure is a problem, never an exception.
 */
import { fieldError, type FieldError } from './field-error.js';

export type JsonBodyParse = { ok: true; value: unknown } | { ok: false; error: FieldError };

/** Parses at most `limitBytes` bytes of UTF-8 JSON. */
export function parseJsonBody(bytes: Uint8Array, limitBytes: number): JsonBodyParse {
  if (bytes.byteLength > limitBytes) return { ok: false, error: fieldError('', 'body_too_large', { limitBytes }) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, error: fieldError('', 'encoding_invalid') };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'unreadable';
    return { ok: false, error: fieldError('', 'json_malformed', { reason }) };
  }
}
