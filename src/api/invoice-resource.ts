/** The invoice resource of shared/api.md, built from a stored row. */
import { traceIdOf } from '../runtime/trace-context.js';
import { emailFailureText } from '../domain/email-failure-text.js';
import { errorWords } from '../domain/event-words.js';
import type { ComputedInvoiceJson, SellerParty } from '../domain/invoice-json.js';
import type { Static } from 'typebox';
import type { InvoiceStatus, PendingStage } from '../domain/invoice-state.js';
import type { InvoiceRecord } from '../store/invoice-store.js';
import type { RedFlushSummary } from '../store/red-flush-store.js';
import type { EmailDelivery } from '../store/email-deliveries.js';
import type { InvoiceView } from '../invoicing/invoice-reading.js';
import { formatFen, parseMoney } from '../domain/money.js';
import { holdsBlue, type RedOf } from '../domain/red-flush.js';
import type { InvoiceResource as InvoiceResourceSchema } from './schemas/invoice.js';

/** The resource's type is its published schema's: what the code builds is what the document says. */
export type InvoiceResource = Static<typeof InvoiceResourceSchema>;

/** The blue total less what its red invoices hold (rejected ones hold nothing). */
function flushableTotal(total: string, reds: readonly RedFlushSummary[]): string {
  const fen = (text: string) => {
    const parsed = parseMoney(text, { allowNegative: true });
    return parsed.ok ? parsed.fen : 0n;
  };
  return formatFen(reds.reduce((left, red) => (holdsBlue(red.status) ? left + fen(red.total) : left), fen(total)));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The resource of an invoice row. A blue invoice's `redFlushes` are its red invoices (from
 * src/store/red-flush-store.ts); without them the resource says nothing of red-flushes.
 */
export function invoiceResource(row: InvoiceRecord, redFlushes?: readonly RedFlushSummary[], deliveries?: readonly EmailDelivery[]): InvoiceResource {
  // Stored by the gateway itself from a computed invoice and the registered seller (src/invoicing).
  const { red, ...computed } = JSON.parse(row.computed_json) as ComputedInvoiceJson & { seller: SellerParty; red?: RedOf };
  return {
    id: row.id,
    ...computed,
    kind: red ? 'red' : 'blue',
    blueInvoiceId: red?.blueInvoiceId ?? null,
    blueNumber: red?.blueNumber ?? null,
    redReason: red?.reason ?? null,
    confirmation: row.confirmation_status === null ? null : { status: row.confirmation_status, billNo: row.confirmation_bill_no },
    ...(!red && redFlushes && { redFlushes: redFlushes.map((red) => ({ id: red.id, status: red.status as InvoiceStatus, total: red.total })), redFlushableTotal: row.status === 'issued' ? flushableTotal(row.total, redFlushes) : null }),
    // The store writes these columns only through the domain's state machine.
    status: row.status as InvoiceStatus,
    stage: row.stage as PendingStage | null,
    serialNo: row.serial_no,
    number: row.number,
    issuedAt: iso(row.issued_at),
    channel: row.channel,
    attempts: row.attempts,
    // Once issued, an earlier attempt's error is history (the timeline keeps it), not the invoice's state.
    lastError:
      row.last_error_code === null || row.status === 'issued'
        ? null
        : { code: row.last_error_code, message: row.last_error_message ?? '', at: iso(row.last_error_at) ?? '', text: errorWords(row.last_error_code) },
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    documents:
      row.documents_status === null ? null : { status: row.documents_status === 'done' ? 'rendered' : 'pending', attempts: row.documents_attempts ?? 0, error: row.documents_error },
    simulated: row.simulated === 1,
    traceId: traceIdOf(row.trace_parent),
    ...(deliveries && {
      deliveries: deliveries.map((delivery) => ({ channel: 'email' as const, to: delivery.to, status: delivery.status, at: iso(delivery.sentAt ?? delivery.createdAt)!, attempts: delivery.attempts, error: delivery.lastError === null ? null : emailFailureText(delivery.lastError).en })),
    }),
  };
}

/** The resource of an invoice as the reading use case found it. */
export const viewResource = (view: InvoiceView): InvoiceResource => invoiceResource(view.record, view.redFlushes, view.deliveries);
