/**
 * Emailing an issued invoice again (POST /v1/invoices/{id}/deliver) as a use case: to the buyer's
 * recorded address, or — for an admin only — to another one; within limits per invoice and per
 * requester, since every send is mail the gateway puts out in the seller's name.
 */
import type { Kysely } from 'kysely';
import { readDeliveryRequest } from '../domain/delivery-request.js';
import type { FieldError } from '../domain/field-error.js';
import type { Clock } from '../runtime/clock.js';
import type { StoreCapabilities } from '../store/database.js';
import { resendEmail, type EmailLimits } from '../store/email-deliveries.js';
import { findInvoice, type InvoiceRecord } from '../store/invoice-store.js';
import type { Database } from '../store/schema/index.js';

export interface InvoiceEmailDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly clock: Clock;
  /** FAPIAO_SMTP_URL is set. */
  readonly emailEnabled: boolean;
  readonly limits: EmailLimits;
}

export interface EmailRequester {
  readonly id: string;
  readonly sellers: readonly string[];
  /** May send to an address other than the buyer's recorded one. */
  readonly admin: boolean;
}

export type EmailAgainOutcome =
  | { readonly kind: 'queued'; readonly invoice: InvoiceRecord }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'not_configured' }
  | { readonly kind: 'not_issued'; readonly status: string }
  | { readonly kind: 'address_missing' }
  | { readonly kind: 'address_forbidden' }
  | { readonly kind: 'limited'; readonly by: 'invoice' | 'requester'; readonly retryAfterSeconds: number };

export async function emailInvoiceAgain(deps: InvoiceEmailDeps, request: { readonly invoiceId: string; readonly body: unknown; readonly requester: EmailRequester }): Promise<EmailAgainOutcome> {
  const { invoiceId, requester } = request;
  const invoice = await findInvoice(deps.db, invoiceId, requester.sellers);
  if (!invoice) return { kind: 'not_found' };
  const asked = readDeliveryRequest(request.body);
  if (asked.kind === 'invalid') return asked;
  if (!deps.emailEnabled) return { kind: 'not_configured' };
  if (invoice.status !== 'issued') return { kind: 'not_issued', status: invoice.status };
  const recorded = (JSON.parse(invoice.computed_json) as { buyer: { email?: string } }).buyer.email;
  // Another address is the seller's decision: only its admin may send the invoice elsewhere.
  if (asked.email !== undefined && asked.email.toLowerCase() !== recorded?.toLowerCase() && !requester.admin) return { kind: 'address_forbidden' };
  const to = asked.email ?? recorded;
  if (to === undefined) return { kind: 'address_missing' };
  const queued = await resendEmail(deps.db, deps.capabilities, { invoiceId, to, requestedBy: requester.id, now: deps.clock.now(), limits: deps.limits });
  if (queued.kind === 'limited') return { kind: 'limited', by: queued.by, retryAfterSeconds: Math.max(1, Math.ceil(queued.retryAfterMs / 1000)) };
  return { kind: 'queued', invoice };
}
