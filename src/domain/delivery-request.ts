/** Reads `POST /v1/invoices/{id}/deliver`: an empty body, or `{ "email": "…" }` for another address. */
import type { FieldError } from './field-error.js';
import { EMAIL_FORM } from './field-forms.js';
import { INVOICE_LIMITS } from './invoice-limits.js';
import { RequestReader } from './request-reader.js';

export function readDeliveryRequest(body: unknown): { kind: 'ok'; email?: string } | { kind: 'invalid'; errors: readonly FieldError[] } {
  const reader = new RequestReader();
  const object = reader.object(body, '', false);
  if (!object) return reader.errors.length > 0 ? { kind: 'invalid', errors: reader.errors } : { kind: 'ok' };
  reader.onlyKnownFields(object, '', ['email']);
  const email = reader.string(object, 'email', '', { required: false, max: INVOICE_LIMITS.emailLength, shape: { pattern: EMAIL_FORM, code: 'email_format' } });
  if (reader.errors.length > 0) return { kind: 'invalid', errors: reader.errors };
  return { kind: 'ok', ...(email !== undefined && { email }) };
}
