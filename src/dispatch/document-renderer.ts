/**
 * Renders the documents of issued invoices, off the request path: claims invoices whose
 * documents are pending (a short lease, so two processes never render the same one at once),
 * renders PDF and XML in the thread pool with no transaction open, and stores both fenced by the
 * claim (src/store/document-jobs.ts), on the one leased-work pattern (./leased-worker.ts). A failure
 * is recorded on the invoice's documents job (visible in its resource) and tried again later; it
 * never touches the invoice's issued state.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff.js';
import type { ComputedInvoiceJson, SellerParty } from '../domain/invoice-json.js';
import type { Clock } from '../runtime/clock.js';
import { inInvoiceTrace } from '../runtime/trace-context.js';
import { LeasedJobWorker } from './leased-worker.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Database } from '../store/schema/index.js';
import { leaseDueDocuments, recordRenderFailure, storeRenderedDocuments, type DocumentLease } from '../store/document-jobs.js';
import type { IssuedInvoice } from '../documents/invoice-xml.js';
import type { RenderPool } from '../documents/render-pool.js';
import { errorMessage } from '../domain/error-message.js';

export interface DocumentRendererOptions {
  /** Invoices rendering at once; keeps the pool busy without hoarding. @default 16 */
  readonly batch: number;
  /** How long a claim lasts, ms. @default 60000 */
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly backoff: { readonly baseMs: number; readonly capMs: number };
}

export class DocumentRenderer extends LeasedJobWorker<DocumentLease> {

  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly capabilities: StoreCapabilities;
      readonly commit: GroupCommit;
      readonly pool: RenderPool;
      readonly clock: Clock;
      readonly log: Logger;
      readonly events: GatewayEvents;
      /** Mail each rendered invoice to its buyer's email, when it has one (SMTP is configured). */
      readonly emailBuyers: boolean;
    },
    private readonly options: DocumentRendererOptions,
  ) {
    // A batch at a time: renders are CPU-bound in the pool, and each claim is a write (an fsync on
    // SQLite) that would otherwise compete with the dispatcher's settles twice as often.
    super(
      (free) => leaseDueDocuments(deps.db, deps.capabilities, deps.clock.now(), { limit: free, leaseMs: options.leaseMs }),
      { concurrency: options.batch, refillAt: 0, pollIntervalMs: options.pollIntervalMs, name: 'document renderer' },
      deps,
    );
  }

  /** A span of the invoice's trace around the render and its settle. */
  protected work(lease: DocumentLease): Promise<void> {
    return inInvoiceTrace('fapiao.documents.render', lease.traceParent, { 'fapiao.invoice.id': lease.invoiceId }, () => this.render(lease));
  }

  /** Render with no transaction open, then settle fenced by the claim. */
  private async render(lease: DocumentLease): Promise<void> {
    const { db, commit, pool, clock, log } = this.deps;
    try {
      const issued: IssuedInvoice = {
        id: lease.invoiceId,
        serialNo: lease.serialNo,
        number: lease.number ?? '',
        issuedAt: lease.issuedAt ?? clock.now(),
        channel: lease.channel ?? '',
        simulated: lease.simulated,
        invoice: JSON.parse(lease.computedJson) as ComputedInvoiceJson & { seller: SellerParty },
      };
      const { pdf, xml } = await pool.render(issued);
      const buyerEmail = this.deps.emailBuyers ? issued.invoice.buyer.email : undefined;
      const outcome = await commit.submit((tx) => storeRenderedDocuments(tx, lease, { pdf, xml, now: clock.now(), capabilities: this.deps.capabilities, ...(buyerEmail && { emailTo: buyerEmail }) }));
      if (outcome === 'lost') log.warn({ invoiceId: lease.invoiceId }, 'document claim lost before storing; the process that holds it now stores them');
      else this.deps.events.documentsRendered({ invoiceId: lease.invoiceId, ok: true });
    } catch (error) {
      const message = errorMessage(error);
      this.deps.events.documentsRendered({ invoiceId: lease.invoiceId, ok: false, error: message });
      const nextAt = clock.now() + retryDelayMs(lease.attempts + 1, this.options.backoff, Math.random());
      await recordRenderFailure(db, lease, { message, nextAt, now: clock.now() }).catch((storeError: unknown) =>
        log.error({ err: storeError, invoiceId: lease.invoiceId }, 'could not record the render failure; the claim will expire'),
      );
    }
  }
}
