/**
 * The problem document (RFC 9457 problem+json) for a request whose content is invalid: the shape
 * the API answers with 422 and `fapiao preview` prints, so integrators parse one format.
 */
import type { FieldError } from './field-error.js';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors: FieldError[];
}

/** The document for an invoice request with content errors. */
export function invalidInvoiceDocument(errors: readonly FieldError[]): ProblemDocument {
  const count = errors.length;
  return {
    type: 'urn:fapiao-gateway:problem:invoice_invalid',
    title: 'The invoice request is invalid / 发票请求内容有误',
    status: 422,
    code: 'invoice_invalid',
    detail: `${count} problem${count === 1 ? '' : 's'} found; see errors / 共发现 ${count} 处问题，详见 errors`,
    errors: [...errors],
  };
}
