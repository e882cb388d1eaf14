/**
 * The problem document (RFC 9457 problem+json) for a request whose content is invalid: the shape
 * the API answers with 422 and `fapiao preview` prints, so integrators parse one format.
 */
import type { Problem } from './problem.js';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors: Problem[];
}

/** The document for an invoice request with content problems. */
export function invalidInvoiceDocument(problems: readonly Problem[]): ProblemDocument {
  const count = problems.length;
  return {
    type: 'urn:fapiao-gateway:problem:invoice_invalid',
    title: 'The invoice request is invalid / 发票请求内容有误',
    status: 422,
    code: 'invoice_invalid',
    detail: `${count} problem${count === 1 ? '' : 's'} found; see errors / 共发现 ${count} 处问题，详见 errors`,
    errors: [...problems],
  };
}
