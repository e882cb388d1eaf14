/**
 * Every use case's refusal as the problem document the API answers with: one table, exhaustive by
 * type (a new refusal kind does not compile until it has its answer), and the find-or-404 helper.
 */
import type { Refusal, RefusalKind } from '../domain/refusal.js';
import { invalidInvoiceDocument } from '../domain/problem-document.js';
import { ApiProblem } from './problem.js';

const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, seconds)) });

const PROBLEMS: { readonly [K in RefusalKind]: (refusal: Extract<Refusal, { kind: K }>) => ApiProblem } = {
  not_found: ({ subject }) => new ApiProblem('not_found', `no ${subject}`),
  invalid: ({ of, errors }) => {
    // An invoice's and a red-flush's errors are summed up in words; the others list them only.
    if (of === 'invoice' || of === 'red_flush') {
      const document = invalidInvoiceDocument(errors);
      return new ApiProblem(`${of}_invalid`, document.detail, { errors: document.errors });
    }
    return new ApiProblem(`${of}_invalid`, undefined, { errors });
  },
  batch_file_refused: ({ problems }) =>
    new ApiProblem('batch_file_invalid', problems.map((problem) => problem.messageZh).join('；'), { members: { problems } }),
  seller_forbidden: ({ sellers }) => new ApiProblem('seller_forbidden', `this API key does not act for seller ${sellers.join(', ')}`),
  key_reused: ({ key, invoiceId }) => new ApiProblem('idempotency_key_reused', `key ${JSON.stringify(key)} was first used for invoice ${invoiceId} with a different request`),
  order_no_taken: ({ orderNo, sellerTaxId, invoiceId, status }) =>
    new ApiProblem(
      'order_no_taken',
      `order number ${JSON.stringify(orderNo)} of seller ${sellerTaxId} already belongs to invoice ${invoiceId} (${status}); read that invoice, or retry it if it failed, instead of issuing again`,
      { members: { invoiceId }, headers: { location: `/v1/invoices/${invoiceId}` } },
    ),
  quota_exceeded: ({ sellerTaxId, amount, remaining, available, reserve }) =>
    new ApiProblem('quota_exceeded', `seller ${sellerTaxId}: the invoice takes ${amount} yuan of quota (tax-excluded); ${available} can be spent now (${remaining} remaining, less the invoices on their way${reserve === '0.00' ? '' : ` and the ${reserve} kept for high-priority invoices`})`, {
      members: { amount, remaining, available, reserve },
    }),
  not_failed: ({ invoiceId, status }) => new ApiProblem('invoice_not_failed', `invoice ${invoiceId} is ${status}`),
  not_issued: ({ invoiceId, status }) => new ApiProblem('invoice_not_issued', `invoice ${invoiceId} is ${status}`),
  not_withdrawable: ({ invoiceId, status }) => new ApiProblem('red_not_withdrawable', `invoice ${invoiceId} is ${status}`),
  withdraw_unsupported: ({ channel }) => new ApiProblem('withdraw_unsupported', `channel ${channel} cannot withdraw a 红字确认单`),
  withdraw_failed: ({ detail, retryAfterSeconds }) =>
    retryAfterSeconds === undefined ? new ApiProblem('withdraw_refused', detail) : new ApiProblem('upstream_unavailable', detail, { headers: retryAfter(retryAfterSeconds) }),
  documents_not_ready: ({ detail }) => new ApiProblem('documents_not_ready', detail, { headers: retryAfter(1) }),
  red_of_red: ({ invoiceId }) => new ApiProblem('red_flush_of_red', `invoice ${invoiceId} is a red invoice; flush its blue invoice instead`),
  exceeds: ({ errors }) => {
    const document = invalidInvoiceDocument(errors);
    return new ApiProblem('red_flush_exceeds_blue', document.detail, { errors: document.errors });
  },
  email_not_configured: () => new ApiProblem('email_not_configured', 'set FAPIAO_SMTP_URL (smtp://user:pass@host:port) and restart'),
  address_missing: ({ invoiceId }) => new ApiProblem('delivery_address_missing', `invoice ${invoiceId} names no buyer email`),
  address_forbidden: () => new ApiProblem('delivery_address_forbidden'),
  email_limited: ({ detail, retryAfterSeconds }) => new ApiProblem('email_limit_reached', detail, { headers: retryAfter(retryAfterSeconds) }),
  refused: () => new ApiProblem('login_failed'),
  throttled: ({ retryAfterSeconds }) => new ApiProblem('sign_in_throttled', undefined, { headers: retryAfter(retryAfterSeconds) }),
  busy: ({ detail, retryAfterSeconds }) => new ApiProblem('overloaded', detail, { headers: retryAfter(retryAfterSeconds) }),
  second_factor_required: () => new ApiProblem('second_factor_required'),
  second_factor_invalid: () => new ApiProblem('second_factor_invalid'),
  second_factor_not_offered: () => new ApiProblem('second_factor_not_offered'),
  session_invalid: () => new ApiProblem('session_invalid'),
  csrf_token_invalid: () => new ApiProblem('csrf_token_invalid'),
  second_factor_enrolment_required: () => new ApiProblem('second_factor_enrolment_required'),
};

const REFUSAL_KINDS: ReadonlySet<string> = new Set(Object.keys(PROBLEMS));

/** The problem document answering a refusal. */
export function refusalProblem(refusal: Refusal): ApiProblem {
  return (PROBLEMS[refusal.kind] as (refusal: Refusal) => ApiProblem)(refusal);
}

/** A use case's outcome when it is not a refusal; a refusal is thrown as its problem document. */
export function unlessRefused<T extends { readonly kind: string }>(outcome: T): Exclude<T, { readonly kind: RefusalKind }> {
  if (REFUSAL_KINDS.has(outcome.kind)) throw refusalProblem(outcome as unknown as Refusal);
  return outcome as Exclude<T, { readonly kind: RefusalKind }>;
}

/** `value`, or a 404 naming `subject` ("invoice inv_…"): another tenant's thing does not exist for the asker. */
export function found<T>(value: T | undefined, subject: string): T {
  if (value === undefined) throw new ApiProblem('not_found', `no ${subject}`);
  return value;
}
