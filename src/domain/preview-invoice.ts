/**
 * Preview: validate and compute an invoice request, store nothing. The one entry point that
 * `fapiao preview` and `POST /v1/invoices/preview` share, so both give the same answer.
 */
import { computeInvoice, type ComputedInvoice } from './compute-invoice.js';
import { readInvoiceRequest, type ReadOptions } from './read-invoice-request.js';
import type { FieldError } from './field-error.js';

export type PreviewResult = { ok: true; invoice: ComputedInvoice } | { ok: false; errors: FieldError[] };

/** Validates a parsed JSON request and computes it, or returns every problem found. */
export function previewInvoice(input: unknown, options: ReadOptions = {}): PreviewResult {
  const read = readInvoiceRequest(input, options);
  return read.ok ? computeInvoice(read.draft) : read;
}
