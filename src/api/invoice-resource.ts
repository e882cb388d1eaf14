/** The invoice resource of shared/api.md, built from a stored row. */
import type { ComputedInvoiceJson } from '../domain/invoice-json.js';
import type { InvoiceRow } from '../store/schema/index.js';

export interface InvoiceResource extends ComputedInvoiceJson {
  id: string;
  status: string;
  stage: string | null;
  serialNo: string;
  number: string | null;
  issuedAt: string | null;
  channel: string | null;
  attempts: number;
  lastError: { code: string; message: string; at: string } | null;
  createdAt: string;
  updatedAt: string;
  /** The PDF and XML of an issued invoice: rendered after issue; a failure shows here until a retry succeeds. */
  documents: { status: string; attempts: number; error: string | null } | null;
  /** Issued through the simulator: not a real invoice. */
  simulated: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function invoiceResource(row: InvoiceRow): InvoiceResource {
  const computed = JSON.parse(row.computed_json) as ComputedInvoiceJson;
  return {
    id: row.id,
    ...computed,
    status: row.status,
    stage: row.stage,
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
    documents: row.documents_status === null ? null : { status: row.documents_status, attempts: row.documents_attempts, error: row.documents_error },
    simulated: row.simulated === 1,
  };
}
