/**
 * The outbox of webhook events: written in the transaction of the change it reports (so a crash
 * loses none and reports nothing that did not happen), each event numbered within its subject (an
 * invoice, or a channel) and fanned out at once to a delivery per subscription that hears it, each
 * delivery a `webhook` job. Nothing is written while there is no subscription.
 */
import { sql, type Transaction } from 'kysely';
import { subscribedTo, type WebhookEventType } from '../domain/webhook-events.js';
import type { StoreCapabilities } from './capabilities.js';
import { newEventId, newWebhookDeliveryId } from './ids.js';
import { findRecordsIn, type InvoiceRecord } from './invoice-store.js';
import { enqueueJobs } from './job-queue.js';
import { redFlushesOf, type RedFlushSummary } from './red-flush-store.js';
import type { Database } from './schema/index.js';
import { markQuotaLowReported } from './quota-store.js';

/** What an invoice event carries: the invoice as it was then (a blue one with its red invoices). */
export interface InvoiceSnapshot {
  readonly invoice: InvoiceRecord;
  readonly redFlushes?: readonly RedFlushSummary[];
}

/** What a quota event carries: the seller's quota as the API shows it (GET /v1/sellers/{taxId}/quota). */
export interface QuotaEventSnapshot {
  readonly quota: Readonly<Record<string, unknown>> & { readonly sellerTaxId: string };
}

/** What a channel event carries. */
export interface ChannelEventSnapshot {
  readonly channel: { readonly name: string; readonly state: 'down' | 'up'; readonly reason: string | null; readonly since: string };
}

interface NewEvent {
  readonly type: WebhookEventType;
  readonly subject: string;
  readonly sellerTaxId: string | null;
  readonly snapshot: InvoiceSnapshot | ChannelEventSnapshot | QuotaEventSnapshot;
}

/** A disabled endpoint's deliveries wait this far ahead, so claims never scan them; enabling brings them back. */
export const PARKED_MS = 100 * 365 * 86_400_000;

interface Listener {
  readonly id: string;
  readonly enabled: boolean;
  readonly events: readonly string[];
  readonly sellers: readonly string[];
}

async function listeners(tx: Transaction<Database>): Promise<Listener[]> {
  // A disabled endpoint keeps hearing: its events wait for it to be enabled again.
  const rows = await tx.selectFrom('webhook_subscriptions').select(['id', 'events', 'sellers', 'status']).execute();
  return rows.map((row) => ({ id: row.id, enabled: row.status === 'enabled', events: JSON.parse(row.events) as string[], sellers: JSON.parse(row.sellers) as string[] }));
}

/** Whether a subscription hears an event: its type, and for an invoice its seller. */
const hears = (listener: Listener, event: Pick<NewEvent, 'type' | 'sellerTaxId'>) =>
  subscribedTo(listener.events, event.type) && (event.sellerTaxId === null || listener.sellers.includes(event.sellerTaxId));

/**
 * Writes events and their deliveries. The subjects' invoice rows are held by the caller's
 * transaction (it changed them), but a blue invoice named by its red one's event is not: it is
 * locked here first, in id order, so that two red invoices of one blue never take the same number.
 */
async function writeEvents(tx: Transaction<Database>, capabilities: StoreCapabilities, now: number, events: readonly NewEvent[], subscribers: readonly Listener[]): Promise<void> {
  const heard = events.map((event) => ({ event, to: subscribers.filter((listener) => hears(listener, event)) })).filter((item) => item.to.length > 0);
  if (heard.length === 0) return;
  const subjects = [...new Set(heard.map((item) => item.event.subject))].sort();
  // A channel's (channel:…) or a seller's quota (quota:…) subject names no invoice row.
  const invoiceSubjects = subjects.filter((subject) => !subject.includes(':'));
  if (capabilities.skipLocked && invoiceSubjects.length > 0) await tx.selectFrom('invoices').select('id').where('id', 'in', invoiceSubjects).orderBy('id').forUpdate().execute();
  const last = await tx.selectFrom('webhook_events').select(['subject', sql<number>`max(sequence)`.as('sequence')]).where('subject', 'in', subjects).groupBy('subject').execute();
  const next = new Map(last.map((row) => [row.subject, Number(row.sequence)]));
  const eventRows = heard.map(({ event }) => {
    const sequence = (next.get(event.subject) ?? 0) + 1;
    next.set(event.subject, sequence);
    return { id: newEventId(now), type: event.type, subject: event.subject, sequence, seller_tax_id: event.sellerTaxId, snapshot: JSON.stringify(event.snapshot), created_at: now };
  });
  await tx.insertInto('webhook_events').values(eventRows).execute();
  const deliveries = heard.flatMap(({ to }, index) =>
    to.map((listener) => ({
      id: newWebhookDeliveryId(now),
      subscription_id: listener.id,
      event_id: eventRows[index]!.id,
      subject: eventRows[index]!.subject,
      sequence: eventRows[index]!.sequence,
      status: 'pending' as const,
      attempts: 0,
      last_status: null,
      last_error: null,
      delivered_at: null,
      created_at: now,
      updated_at: now,
    })),
  );
  for (let i = 0; i < deliveries.length; i += 500) await tx.insertInto('webhook_deliveries').values(deliveries.slice(i, i + 500)).execute();
  const disabled = new Set(subscribers.filter((listener) => !listener.enabled).map((listener) => listener.id));
  await enqueueJobs(tx, 'webhook', deliveries.filter((delivery) => !disabled.has(delivery.subscription_id)).map((delivery) => delivery.id), now);
  await enqueueJobs(tx, 'webhook', deliveries.filter((delivery) => disabled.has(delivery.subscription_id)).map((delivery) => delivery.id), now + PARKED_MS);
}

/**
 * The events of invoices that reached a final state in this transaction (`to`: issued, rejected,
 * failed), and for each red invoice issued, `invoice.red_flushed` of its blue invoice.
 */
export async function recordInvoiceEvents(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  now: number,
  changes: ReadonlyArray<{ readonly invoiceId: string; readonly type: WebhookEventType }>,
): Promise<void> {
  if (changes.length === 0) return;
  const subscribers = await listeners(tx);
  if (subscribers.length === 0) return;
  const records = await findRecordsIn(tx, changes.map((change) => change.invoiceId));
  const blueIds = [...new Set(changes.flatMap((change) => (change.type === 'invoice.issued' && records.get(change.invoiceId)?.blue_invoice_id) || []))];
  const blues = blueIds.length > 0 ? await findRecordsIn(tx, blueIds) : new Map<string, InvoiceRecord>();
  const reds = blueIds.length > 0 ? await redFlushesOf(tx, blueIds) : new Map<string, RedFlushSummary[]>();
  const events: NewEvent[] = [];
  for (const change of changes) {
    const invoice = records.get(change.invoiceId);
    if (!invoice) continue;
    events.push({ type: change.type, subject: invoice.id, sellerTaxId: invoice.seller_tax_id, snapshot: { invoice } });
    const blue = invoice.blue_invoice_id ? blues.get(invoice.blue_invoice_id) : undefined;
    if (change.type === 'invoice.issued' && blue) {
      events.push({ type: 'invoice.red_flushed', subject: blue.id, sellerTaxId: blue.seller_tax_id, snapshot: { invoice: blue, redFlushes: reds.get(blue.id) ?? [] } });
    }
  }
  await writeEvents(tx, capabilities, now, events, subscribers);
}

/** `invoice.documents_ready` for invoices whose PDF and XML were stored in this transaction. */
export async function recordDocumentsReady(tx: Transaction<Database>, capabilities: StoreCapabilities, now: number, invoiceIds: readonly string[]): Promise<void> {
  await recordInvoiceEvents(tx, capabilities, now, invoiceIds.map((invoiceId) => ({ invoiceId, type: 'invoice.documents_ready' as const })));
}

/**
 * A channel went down or came back, as one process saw it: reported once however many processes
 * see it (the last state told is kept per channel), and only when it changed.
 */
export async function reportChannelState(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  change: { readonly channel: string; readonly state: 'down' | 'up'; readonly reason: string | null; readonly now: number },
): Promise<'reported' | 'unchanged'> {
  const previous = await tx.selectFrom('channel_reports').select('state').where('channel', '=', change.channel).executeTakeFirst();
  // A channel never reported is up: its first "up" is no news.
  if ((previous?.state ?? 'up') === change.state) return 'unchanged';
  const changed = await tx
    .insertInto('channel_reports')
    .values({ channel: change.channel, state: change.state, at: change.now })
    .onConflict((conflict) => conflict.column('channel').doUpdateSet({ state: change.state, at: change.now }).where('channel_reports.state', '<>', change.state))
    .executeTakeFirst();
  if ((changed.numInsertedOrUpdatedRows ?? 0n) === 0n) return 'unchanged';
  const subscribers = await listeners(tx);
  const snapshot: ChannelEventSnapshot = { channel: { name: change.channel, state: change.state, reason: change.reason, since: new Date(change.now).toISOString() } };
  await writeEvents(tx, capabilities, change.now, [{ type: change.state === 'down' ? 'channel.down' : 'channel.up', subject: `channel:${change.channel}`, sellerTaxId: null, snapshot }], subscribers);
  return 'reported';
}

/**
 * A seller's quota ran low this month (below its threshold, or out within a day): `quota.low`,
 * once per seller and month however many processes see it.
 */
export async function reportQuotaLow(tx: Transaction<Database>, capabilities: StoreCapabilities, low: { readonly sellerTaxId: string; readonly month: string; readonly quota: QuotaEventSnapshot['quota']; readonly now: number }): Promise<'reported' | 'unchanged'> {
  if (!(await markQuotaLowReported(tx, low.sellerTaxId, low.month))) return 'unchanged';
  await writeEvents(tx, capabilities, low.now, [{ type: 'quota.low', subject: `quota:${low.sellerTaxId}`, sellerTaxId: low.sellerTaxId, snapshot: { quota: low.quota } }], await listeners(tx));
  return 'reported';
}
