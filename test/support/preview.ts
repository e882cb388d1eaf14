// A request computed by src/domain as preview computes it: the computed invoice as JSON, or each
// problem as "path code" (what a test compares).
import { computedInvoiceJson, type ComputedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import type { JsonRecord } from './invoice-request.js';

export function preview(request: JsonRecord): ComputedInvoiceJson {
  const result = previewInvoice(request);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return computedInvoiceJson(result.invoice);
}

export function codes(request: JsonRecord): string[] {
  const result = previewInvoice(request);
  return result.ok ? [] : result.errors.map((item) => `${item.path} ${item.code}`);
}
