/**
 * Withdrawing (撤销) a red invoice's 红字确认单 while it waits for the buyer: the seller changed its
 * mind, or flushed the wrong invoice. The channel asks the upstream to withdraw the form; the
 * invoice is then made due, and the dispatcher's next query finds the form withdrawn (08) and fails
 * the red invoice by the usual path — this use case decides nothing about the invoice's state.
 */
import type { Kysely } from 'kysely';
import type { Channel } from '../channels/channel.js';
import { isChannelError } from '../channels/channel-error.js';
import { errorMessage } from '../domain/error-message.js';
import type { Refusal } from '../domain/refusal.js';
import type { Clock } from '../runtime/clock.js';
import { findInvoice, makeDueNow, type InvoiceRecord } from '../store/invoice-store.js';
import type { Database } from '../store/schema/index.js';
import type { Actor } from './invoicing.js';
import { isInvoiceId } from './invoicing.js';

/** When an upstream that could not be asked may be asked again, s. */
const ASK_AGAIN_SECONDS = 30;

export type WithdrawalOutcome =
  | { readonly kind: 'withdrawing'; readonly invoice: InvoiceRecord; readonly form: { readonly billNo: string; readonly status: string } }
  | Extract<Refusal, { kind: 'not_found' | 'not_withdrawable' | 'withdraw_unsupported' | 'withdraw_failed' | 'busy' }>;

export class RedWithdrawal {
  /** Invoices whose withdrawal this process is asking the upstream about: one call at a time each, however many ask. */
  private readonly asking = new Set<string>();

  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly channels: ReadonlyMap<string, Channel>;
      readonly clock: Clock;
      readonly callTimeoutMs: number;
    },
  ) {}

  async withdraw(invoiceId: string, actor: Actor): Promise<WithdrawalOutcome> {
    const notFound = { kind: 'not_found', subject: `invoice ${invoiceId}` } as const;
    if (!isInvoiceId(invoiceId)) return notFound;
    const invoice = await findInvoice(this.deps.db, invoiceId, actor.sellers);
    if (!invoice) return notFound;
    const state = `${invoice.status}${invoice.stage ? `/${invoice.stage}` : ''}`;
    if (invoice.kind !== 'red' || invoice.status !== 'pending' || invoice.stage !== 'awaiting_confirmation') return { kind: 'not_withdrawable', invoiceId, status: state };
    const channel = invoice.channel === null ? undefined : this.deps.channels.get(invoice.channel);
    if (!channel?.withdrawRed) return { kind: 'withdraw_unsupported', channel: invoice.channel ?? '(none)' };
    if (this.asking.has(invoice.id)) return { kind: 'busy', retryAfterSeconds: 1, detail: `the withdrawal of invoice ${invoice.id} is being asked of the upstream already` };
    this.asking.add(invoice.id);
    let form: { billNo: string; status: string };
    try {
      form = await channel.withdrawRed(invoice.seller_tax_id, invoice.serial_no, { signal: AbortSignal.timeout(this.deps.callTimeoutMs) });
    } catch (error) {
      // Refused for the form's own sake (its state): the upstream's word. Anything else: ask again later.
      if (isChannelError(error) && (error.disposition === 'rejected' || error.disposition === 'operator')) return { kind: 'withdraw_failed', detail: error.message };
      return { kind: 'withdraw_failed', detail: errorMessage(error), retryAfterSeconds: ASK_AGAIN_SECONDS };
    } finally {
      this.asking.delete(invoice.id);
    }
    await makeDueNow(this.deps.db, { id: invoice.id }, 'awaiting_confirmation', this.deps.clock.now());
    return { kind: 'withdrawing', invoice, form };
  }
}
