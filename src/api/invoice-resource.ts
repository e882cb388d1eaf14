/** The invoice resource of shared/api.md, built from a stored row. */
import type { ComputedInvoiceJson, SellerParty } from '../domain/invoice-json.js';
import type { Static } from 'typebox';
import type { InvoiceStatus, PendingStage } from '../domain/invoice-state.js';
import type { InvoiceRecord } from '../store/invoice-store.js';
import type { InvoiceResource as InvoiceResourceSchema } from './schemas/invoice.js';

/** The resource's type is its published schema's: what the code builds is what the document says. */
export type InvoiceResource = Static<typeof InvoiceResourceSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function invoiceResource(row: InvoiceRecord): InvoiceResource {
  // Stored by the gateway itself from a computed invoice and the registered seller (src/invoicing).
  const computed = JSON.parse(row.computed_json) as ComputedInvoiceJson & { seller: SellerParty };
  return {
    id: row.id,
    ...computed,
    // The store writes these columns only through the domain's state machine.
    status: row.status as InvoiceStatus,
    stage: row.stage as PendingStage | null,
    serialNo: row.serial_no,
    number: row.number,
    issuedAt: iso(row.issued_at),
    channel: row.channel,
    attempts: row.attempts,
    lastError:
      row.last_error_code === null
        ? null
        : { code: row.last_error_code, message: row.last_error_message ?? '', at: iso(row.last_error_at) ?? '' },
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    documents:
      row.documents_status === null ? null : { status: row.documents_status === 'done' ? 'rendered' : 'pending', attempts: row.documents_attempts ?? 0, error: row.documents_error },
    simulated: row.simulated === 1,
  };
}
