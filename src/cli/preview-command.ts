/**
 * `fapiao preview FILE|-`: validate and compute an invoice request from a file or standard input
 * and print the computed invoice (exit 0) or the problem document (exit 1), both as JSON.
 */
import { readFile } from 'node:fs/promises';
import { computedInvoiceJson } from '../domain/invoice-json.js';
import { parseJsonBody } from '../domain/parse-json-body.js';
import { previewInvoice } from '../domain/preview-invoice.js';
import { invalidInvoiceDocument } from '../domain/problem-document.js';

/** Larger than any valid request (2,000 lines of a few hundred bytes), small enough to read at once. */
const PREVIEW_INPUT_LIMIT_BYTES = 16 * 1024 * 1024;

export interface PreviewOutput {
  readonly exitCode: 0 | 1;
  readonly json: string;
}

/** The preview of raw request bytes, as the text to print and the exit code. */
export function previewBytes(bytes: Uint8Array): PreviewOutput {
  const body = parseJsonBody(bytes, PREVIEW_INPUT_LIMIT_BYTES);
  if (!body.ok) return { exitCode: 1, json: pretty(invalidInvoiceDocument([body.error])) };
  const result = previewInvoice(body.value);
  if (!result.ok) return { exitCode: 1, json: pretty(invalidInvoiceDocument(result.errors)) };
  return { exitCode: 0, json: pretty(computedInvoiceJson(result.invoice)) };
}

/** Reads FILE, or standard input for "-", stopping one byte past the limit. */
export async function readInput(source: string): Promise<Uint8Array> {
  if (source !== '-') return readFile(source);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.byteLength;
    if (size > PREVIEW_INPUT_LIMIT_BYTES) break;
  }
  return Buffer.concat(chunks);
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
