/**
 * Bytes to a JSON value for invoice requests that arrive as files or bodies: size limit first, then
 * strict UTF-8 (a GBK file must not turn into mojibake on an invoice), an optional BOM, then JSON.
 * Every failure is a problem, never an exception.
 */
import { problem, type Problem } from './problem.js';

export type JsonBodyParse = { ok: true; value: unknown } | { ok: false; problem: Problem };

/** Parses at most `limitBytes` bytes of UTF-8 JSON. */
export function parseJsonBody(bytes: Uint8Array, limitBytes: number): JsonBodyParse {
  if (bytes.byteLength > limitBytes) return { ok: false, problem: problem('', 'body_too_large', { limitBytes }) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, problem: problem('', 'encoding_invalid') };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'unreadable';
    return { ok: false, problem: problem('', 'json_malformed', { reason }) };
  }
}
