/**
 * Emailing an issued invoice again (POST /v1/invoices/{id}/deliver) as a use case: to the buyer's
 * recorded address, or — for an admin only — to another one; within limits per invoice and per
 * requester, since every send is mail the gateway puts out in the seller's name.
 */
import type { Kysely } from 'kysely';
import { readDeliveryRequest } from '../domain/delivery-request.js';
import type { Refusal } from '../domain/refusal.js';
import type { Clock } from '../runtime/clock.js';
import { isInvoiceId } from './invoicing.js';
import type { StoreCapabilities } from '../store/capabilities.js';
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
  | Extract<Refusal, { kind: 'not_found' | 'invalid' | 'email_not_configured' | 'not_issued' | 'address_missing' | 'address_forbidden' | 'email_limited' }>;

export async function emailInvoiceAgain(deps: InvoiceEmailDeps, request: { readonly invoiceId: string; readonly body: unknown; readonly requester: EmailRequester }): Promise<EmailAgainOutcome> {
  const { invoiceId, requester } = request;
  const invoice = isInvoiceId(invoiceId) ? await findInvoice(deps.db, invoiceId, requester.sellers) : undefined;
  if (!invoice) return { kind: 'not_found', subject: `invoice ${invoiceId}` };
  const asked = readDeliveryRequest(request.body);
  if (asked.kind === 'invalid') return { kind: 'invalid', of: 'delivery', errors: asked.errors };
  if (!deps.emailEnabled) return { kind: 'email_not_configured' };
  if (invoice.status !== 'issued') return { kind: 'not_issued', invoiceId, status: invoice.status };
  const recorded = (JSON.parse(invoice.computed_json) as { buyer: { email?: string } }).buyer.email;
  // Another address is the seller's decision: only its admin may send the invoice elsewhere.
  if (asked.email !== undefined && asked.email.toLowerCase() !== recorded?.toLowerCase() && !requester.admin) return { kind: 'address_forbidden' };
  const to = asked.email ?? recorded;
  if (to === undefined) return { kind: 'address_missing', invoiceId };
  const queued = await resendEmail(deps.db, deps.capabilities, { invoiceId, to, requestedBy: requester.id, now: deps.clock.now(), limits: deps.limits });
  if (queued.kind === 'limited') {
    const detail = queued.by === 'invoice' ? `invoice ${invoiceId} was emailed ${deps.limits.perInvoice} times in 24 hours` : `this key asked for ${deps.limits.perRequester} emails in the last hour`;
    return { kind: 'email_limited', detail, retryAfterSeconds: Math.max(1, Math.ceil(queued.retryAfterMs / 1000)) };
  }
  return { kind: 'queued', invoice };
}
