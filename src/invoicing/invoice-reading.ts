/**
 * Reading invoices as their actor may: one invoice with its red invoices and emails, a filtered
 * page, its signed PDF or XML once rendered, its history. Another seller's invoice does not exist
 * for the actor; the upstream's own words in a history are for operators and admins only.
 */
import type { Kysely } from 'kysely';
import type { Refusal } from '../domain/refusal.js';
import { findDocument } from '../store/document-jobs.js';
import { emailDeliveriesOf, type EmailDelivery } from '../store/email-deliveries.js';
import { findInvoice, listInvoices, type InvoiceFilter, type InvoiceRecord } from '../store/invoice-store.js';
import { invoiceTimeline, type TimelineEntry } from '../store/invoice-timeline.js';
import { redFlushesOf, type RedFlushSummary } from '../store/red-flush-store.js';
import type { Database } from '../store/schema/index.js';
import { isInvoiceId, type Actor } from './invoicing.js';

/** An invoice as its resource shows it: a blue one with its red invoices, any with its emails. */
export interface InvoiceView {
  readonly record: InvoiceRecord;
  /** Undefined for a red invoice: it has none. */
  readonly redFlushes: readonly RedFlushSummary[] | undefined;
  readonly deliveries: readonly EmailDelivery[] | undefined;
}

export type DocumentOutcome =
  | { readonly kind: 'document'; readonly number: string; readonly content: Uint8Array; readonly sha256: string }
  | Extract<Refusal, { kind: 'not_found' | 'not_issued' | 'documents_not_ready' }>;

const notFound = (id: string) => ({ kind: 'not_found', subject: `invoice ${id}` }) as const;

export class InvoiceReading {
  /** `reader`: reads of committed data. */
  constructor(private readonly reader: Kysely<Database>) {}

  private find(id: string, actor: Actor): Promise<InvoiceRecord | undefined> {
    return isInvoiceId(id) ? findInvoice(this.reader, id, actor.sellers) : Promise.resolve(undefined);
  }

  /** One invoice with its red invoices (a blue one) and its emails. */
  async invoice(id: string, actor: Actor): Promise<InvoiceView | undefined> {
    const record = await this.find(id, actor);
    if (!record) return undefined;
    return this.view(record);
  }

  /** An invoice just written, as its resource shows it after the write. */
  async view(record: InvoiceRecord): Promise<InvoiceView> {
    const deliveries = (await emailDeliveriesOf(this.reader, [record.id])).get(record.id) ?? [];
    // Only a blue invoice has red invoices to list: a red one costs no query for them.
    const redFlushes = record.kind === 'blue' ? ((await redFlushesOf(this.reader, [record.id])).get(record.id) ?? []) : undefined;
    return { record, redFlushes, deliveries };
  }

  /** A page of the actor's invoices, newest first, each blue one with its red invoices. */
  async page(filter: Omit<InvoiceFilter, 'sellers'>, actor: Actor): Promise<{ readonly views: InvoiceView[]; readonly nextCursor: string | null }> {
    const page = await listInvoices(this.reader, { ...filter, sellers: actor.sellers });
    const reds = await redFlushesOf(this.reader, page.rows.filter((row) => row.kind === 'blue').map((row) => row.id));
    return { views: page.rows.map((record) => ({ record, redFlushes: reds.get(record.id) ?? [], deliveries: undefined })), nextCursor: page.nextCursor };
  }

  /** The signed PDF or XML of an issued invoice, once rendered. */
  async document(id: string, format: 'pdf' | 'xml', actor: Actor): Promise<DocumentOutcome> {
    const record = await this.find(id, actor);
    if (!record) return notFound(id);
    if (record.status !== 'issued' || record.number === null) return { kind: 'not_issued', invoiceId: id, status: record.status };
    const document = await findDocument(this.reader, id, format);
    if (!document || record.documents_status !== 'done') {
      const detail = record.documents_error ? `rendering failed ${record.documents_attempts} time(s), last: ${record.documents_error}; it is retried` : undefined;
      return { kind: 'documents_not_ready', detail };
    }
    return { kind: 'document', number: record.number, ...document };
  }

  /** An invoice's history, oldest first; `upstreamWords`: whether the upstream's own error text is shown. */
  async timeline(id: string, actor: Actor & { readonly upstreamWords: boolean }): Promise<TimelineEntry[] | undefined> {
    const record = await this.find(id, actor);
    if (!record) return undefined;
    const entries = await invoiceTimeline(this.reader, id);
    return actor.upstreamWords ? entries : entries.map((entry) => ({ ...entry, errorMessage: null }));
  }
}
