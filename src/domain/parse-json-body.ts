/**
 * Bytes to a JSON value for invoice requests that arrive as files or bodies: size limit first, then
 * strict UTF-8 (a GBK file must not turn into mojibake on an invoice), an optional BOM, nesting
 * depth, then JSON. Every failure is a problem, never an exception.
 */
import { fieldError, type FieldError } from './field-error.js';

/**
 * How deep arrays and objects may nest. An invoice request needs four levels; every walk over a
 * parsed body (the request hash, the readers) recurses, and 5,000 levels overflowed the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in JSON text, brackets inside strings not counted; stops past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return false;
}

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
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return { ok: false, error: fieldError('', 'json_too_deep', { limit: MAX_JSON_DEPTH }) };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'unreadable';
    return { ok: false, error: fieldError('', 'json_malformed', { reason }) };
  }
}
