/**
 * A webhook event's `data` (docs/api.md "Webhooks"): for an invoice event, the invoice resource as
 * it was when the event happened (recorded by src/store/webhook-outbox.ts) and its `sequence`; for
 * a channel event, the channel's state; for a quota event, the seller's quota.
 */
import type { ChannelEventSnapshot, InvoiceSnapshot, QuotaEventSnapshot } from '../store/webhook-outbox.js';
import { invoiceResource } from './invoice-resource.js';

export function eventData(type: string, snapshot: unknown, sequence: number): unknown {
  if (type.startsWith('channel.') || type.startsWith('quota.')) return { ...(snapshot as ChannelEventSnapshot | QuotaEventSnapshot), sequence };
  const { invoice, redFlushes } = snapshot as InvoiceSnapshot;
  return { invoice: invoiceResource(invoice, invoice.kind === 'blue' ? (redFlushes ?? []) : undefined), sequence };
}
