/**
 * Renders the documents of issued invoices, off the request path: claims invoices whose
 * documents are pending (a short lease, so two processes never render the same one at once),
 * renders PDF and XML in the thread pool, and stores both with the invoice. A failure is
 * recorded on the invoice (visible in its resource) and tried again later; it never touches the
 * invoice's issued state.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { retryDelayMs } from './backoff.js';
import type { ComputedInvoiceJson, SellerParty } from '../domain/invoice-json.js';
import type { Clock } from '../runtime/clock.js';
import { PollingLoop, type RoundResult } from '../runtime/polling-loop.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/database.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Database } from '../store/schema/index.js';
import type { IssuedInvoice } from '../documents/invoice-xml.js';
import type { RenderPool } from '../documents/render-pool.js';

export interface DocumentRendererOptions {
  /** Invoices claimed per round; keeps the pool busy without hoarding. @default 16 */
  readonly batch: number;
  /** How long a claim lasts, ms. @default 60000 */
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly backoff: { readonly baseMs: number; readonly capMs: number };
}

interface Claimed {
  id: string;
  computed_json: string;
  number: string | null;
  issued_at: number | null;
  serial_no: string;
  channel: string | null;
  simulated: number;
  documents_attempts: number;
}

export class DocumentRenderer {
  private readonly loop: PollingLoop;

  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly capabilities: StoreCapabilities;
      readonly commit: GroupCommit;
      readonly pool: RenderPool;
      readonly clock: Clock;
      readonly log: Logger;
      readonly events: GatewayEvents;
    },
    private readonly options: DocumentRendererOptions,
  ) {
    this.loop = new PollingLoop(() => this.round(), options.pollIntervalMs, (error) =>
      deps.log.error({ err: error }, 'document round failed; trying again after the poll interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: claim a batch, render and store each; a full batch means more may be waiting. */
  private async round(): Promise<RoundResult> {
    const rows = await this.claim();
    await Promise.all(rows.map((row) => this.render(row)));
    return rows.length >= this.options.batch ? 'more' : 'idle';
  }

  private claim(): Promise<Claimed[]> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      let due = tx
        .selectFrom('invoices')
        .select('id')
        .where('documents_status', '=', 'pending')
        .where('documents_next_at', '<=', now)
        .where((eb) => eb.or([eb('documents_lease_until', 'is', null), eb('documents_lease_until', '<', now)]))
        .orderBy('documents_next_at')
        .limit(this.options.batch);
      if (this.deps.capabilities.skipLocked) due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((row) => row.id);
      if (ids.length === 0) return [];
      return tx
        .updateTable('invoices')
        .set({ documents_lease_until: now + this.options.leaseMs })
        .where('id', 'in', ids)
        .returning(['id', 'computed_json', 'number', 'issued_at', 'serial_no', 'channel', 'simulated', 'documents_attempts'])
        .execute();
    });
  }

  private async render(row: Claimed): Promise<void> {
    const { db, commit, pool, clock, log } = this.deps;
    try {
      const issued: IssuedInvoice = {
        id: row.id,
        serialNo: row.serial_no,
        number: row.number ?? '',
        issuedAt: row.issued_at ?? clock.now(),
        channel: row.channel ?? '',
        simulated: row.simulated === 1,
        invoice: JSON.parse(row.computed_json) as ComputedInvoiceJson & { seller: SellerParty },
      };
      const { pdf, xml } = await pool.render(issued);
      const now = clock.now();
      await commit.submit(async (tx) => {
        await tx.deleteFrom('invoice_documents').where('invoice_id', '=', row.id).execute();
        await tx
          .insertInto('invoice_documents')
          .values([
            { invoice_id: row.id, kind: 'pdf', content: pdf, sha256: createHash('sha256').update(pdf).digest('hex'), created_at: now },
            { invoice_id: row.id, kind: 'xml', content: xml, sha256: createHash('sha256').update(xml).digest('hex'), created_at: now },
          ])
          .execute();
        await tx
          .updateTable('invoices')
          .set({ documents_status: 'rendered', documents_error: null, documents_lease_until: null })
          .where('id', '=', row.id)
          .execute();
      });
      this.deps.events.documentsRendered({ invoiceId: row.id, ok: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.events.documentsRendered({ invoiceId: row.id, ok: false, error: message });
      const now = clock.now();
      await db
        .updateTable('invoices')
        .set({
          documents_attempts: row.documents_attempts + 1,
          documents_error: message,
          documents_next_at: now + retryDelayMs(row.documents_attempts + 1, this.options.backoff, Math.random()),
          documents_lease_until: null,
        })
        .where('id', '=', row.id)
        .execute()
        .catch((storeError: unknown) => log.error({ err: storeError, invoiceId: row.id }, 'could not record the render failure; the claim will expire'));
    }
  }
}
