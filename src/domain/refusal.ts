/**
 * Why a use case refused a request, in one vocabulary shared by every use case: each kind means one
 * thing wherever it comes from, and carries what its answer must say. The API turns each kind into
 * one problem document (src/api/refusal-problems.ts, an exhaustive table); the CLI into a sentence.
 */
import type { BatchError } from './batch-template.js';
import type { FieldError } from './field-error.js';

/** What a request body was read as, when it broke the rules. */
export type RequestSubject = 'invoice' | 'red_flush' | 'delivery' | 'webhook' | 'batch' | 'quota';

export type Refusal =
  /** The thing named does not exist for the asker (another tenant's does not either). */
  | { readonly kind: 'not_found'; readonly subject: string }
  | { readonly kind: 'invalid'; readonly of: RequestSubject; readonly errors: readonly FieldError[] }
  /** The asker does not act for these sellers. */
  | { readonly kind: 'seller_forbidden'; readonly sellers: readonly string[] }
  /** The idempotency key was first used for another request. */
  | { readonly kind: 'key_reused'; readonly key: string; readonly invoiceId: string }
  /** The seller issued this order number before, under another idempotency key. */
  | { readonly kind: 'order_no_taken'; readonly orderNo: string; readonly sellerTaxId: string; readonly invoiceId: string; readonly status: string }
  | { readonly kind: 'not_failed'; readonly invoiceId: string; readonly status: string }
  | { readonly kind: 'not_issued'; readonly invoiceId: string; readonly status: string }
  /** Only a red invoice whose 红字确认单 waits for the counterparty can be withdrawn. */
  | { readonly kind: 'not_withdrawable'; readonly invoiceId: string; readonly status: string }
  /** The red invoice's channel has no way to withdraw a form. */
  | { readonly kind: 'withdraw_unsupported'; readonly channel: string }
  /** The upstream refused the withdrawal (`retryAfterSeconds` set: it could not be asked now). */
  | { readonly kind: 'withdraw_failed'; readonly detail: string; readonly retryAfterSeconds?: number }
  /** Issued, its PDF and XML not rendered yet (`detail`: why the last rendering failed). */
  | { readonly kind: 'documents_not_ready'; readonly detail: string | undefined }
  | { readonly kind: 'red_of_red'; readonly invoiceId: string }
  /** A red-flush asks for more than is left of its blue invoice. */
  | { readonly kind: 'exceeds'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'email_not_configured' }
  | { readonly kind: 'address_missing'; readonly invoiceId: string }
  | { readonly kind: 'address_forbidden' }
  | { readonly kind: 'email_limited'; readonly detail: string; readonly retryAfterSeconds: number }
  /** A sign-in with a wrong name or password (which of the two is not said). */
  | { readonly kind: 'refused' }
  | { readonly kind: 'throttled'; readonly retryAfterSeconds: number }
  /** Too much of this work is in flight; the same request later will be taken. */
  | { readonly kind: 'busy'; readonly retryAfterSeconds: number; readonly detail: string }
  | { readonly kind: 'second_factor_required' }
  | { readonly kind: 'second_factor_invalid' }
  | { readonly kind: 'second_factor_not_offered' }
  /** No live console session for the cookie (never signed in, signed out, expired, user disabled). */
  | { readonly kind: 'session_invalid' }
  /** A write by a console session without its CSRF token. */
  | { readonly kind: 'csrf_token_invalid' }
  /** A batch file that cannot be read as the 电子税务局 template (not a workbook, a zip bomb, a missing sheet or column). */
  | { readonly kind: 'batch_file_refused'; readonly problems: readonly BatchError[] }
  /** The caller asked for a refusal (quotaPolicy "refuse") and the month's 发票额度 cannot cover the invoice (yuan as text). */
  | { readonly kind: 'quota_exceeded'; readonly sellerTaxId: string; readonly amount: string; readonly remaining: string; readonly available: string; readonly reserve: string }
  /** The user must enrol a second factor before anything else. */
  | { readonly kind: 'second_factor_enrolment_required' };

export type RefusalKind = Refusal['kind'];
