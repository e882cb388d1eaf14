/**
 * Delivers webhook events (docs/api.md "Webhooks"), on the one leased-work pattern: claim due
 * deliveries (each subscription hears an invoice's events in order), post each with no transaction
 * open, and settle the try fenced by the claim — delivered on a 2xx, else again after the retry
 * schedule's next delay (or the receiver's Retry-After, when longer), failed when it runs out.
 * An endpoint that answers 410 Gone, or fails for `disableAfterMs` without one success, is
 * disabled: its events wait, none lost. Deliveries never touch invoices, so they never slow issuing.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { retryDelay } from '../domain/webhook-events.js';
import { webhookSignature } from '../outbound/webhook-signature.js';
import type { WebhookPoster } from '../outbound/webhook-post.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { SecretBox } from '../runtime/secret-box.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { Database } from '../store/schema/index.js';
import { leaseDueWebhooks, settleWebhookTry, type WebhookLease, type WebhookTry } from '../store/webhook-deliveries.js';
import { inInvoiceTrace } from '../runtime/trace-context.js';
import { LeasedJobWorker } from './leased-worker.js';
import { errorMessage } from '../domain/error-message.js';

/** The event's `data` from what was recorded when it happened (the API's invoice resource, built by the caller). */
export type EventData = (type: string, snapshot: unknown, sequence: number) => unknown;

export interface WebhookDelivererOptions {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly retryScheduleMs: readonly number[];
  readonly disableAfterMs: number;
  /** Longer than the receiver's time limit: a try always ends before its claim does. */
  readonly leaseMs: number;
}

// 429 and the gateway errors are a receiver asking for time: its Retry-After is honoured.
const THROTTLED = new Set([429, 502, 503, 504]);

export class WebhookDeliverer extends LeasedJobWorker<WebhookLease> {

  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly capabilities: StoreCapabilities;
      readonly poster: WebhookPoster;
      readonly secrets: SecretBox;
      readonly eventData: EventData;
      readonly clock: Clock;
      readonly log: Logger;
      readonly events: GatewayEvents;
    },
    private readonly options: WebhookDelivererOptions,
  ) {
    super((free) => leaseDueWebhooks(deps.db, deps.capabilities, deps.clock.now(), { limit: free, leaseMs: options.leaseMs }), { concurrency: options.concurrency, pollIntervalMs: options.pollIntervalMs, name: 'webhook deliverer' }, deps);
  }

  /** The body every try of this event sends (the same bytes each time, but for the signature's timestamp). */
  private body(lease: WebhookLease): string {
    const data = this.deps.eventData(lease.type, JSON.parse(lease.snapshot) as unknown, lease.sequence);
    return JSON.stringify({ id: lease.eventId, type: lease.type, timestamp: new Date(lease.createdAt).toISOString(), data });
  }

  /** A span of the invoice's trace (the event's subject) around one try; the POST carries the trace on to the receiver. */
  protected work(lease: WebhookLease): Promise<void> {
    return inInvoiceTrace('fapiao.webhook.deliver', lease.traceParent, { 'fapiao.webhook.event': lease.type, 'fapiao.webhook.delivery': lease.deliveryId }, () => this.deliver(lease));
  }

  private async deliver(lease: WebhookLease): Promise<void> {
    const { clock, log, events } = this.deps;
    const started = clock.now();
    let result: { status: number | null; error: string | null; retryAfterMs?: number; gone: boolean };
    try {
      const body = this.body(lease);
      const timestamp = Math.floor(clock.now() / 1000);
      const signature = webhookSignature(this.deps.secrets.open(lease.secretSealed), lease.eventId, timestamp, body);
      const answer = await this.deps.poster.post(lease.url, { 'webhook-id': lease.eventId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }, body);
      result =
        answer.kind === 'answered'
          ? {
              status: answer.status,
              error: answer.status >= 200 && answer.status < 300 ? null : `answered ${answer.status}${answer.status >= 300 && answer.status < 400 ? ' (redirects are not followed)' : ''}: ${answer.body.slice(0, 200)}`,
              ...(THROTTLED.has(answer.status) && answer.retryAfterMs !== undefined && { retryAfterMs: answer.retryAfterMs }),
              gone: answer.status === 410,
            }
          : { status: null, error: answer.message, gone: false };
    } catch (error) {
      result = { status: null, error: errorMessage(error), gone: false };
    }
    const now = clock.now();
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const delay = delivered ? undefined : retryDelay(this.options.retryScheduleMs, lease.job.attempts + 1);
    const failingFor = lease.failingSince === null ? 0 : now - lease.failingSince;
    const disable = delivered
      ? undefined
      : result.gone
        ? 'the endpoint answered 410 Gone'
        : failingFor >= this.options.disableAfterMs
          ? `no delivery succeeded since ${new Date(lease.failingSince!).toISOString()} (${failingFor >= 3_600_000 ? `${Math.round(failingFor / 3_600_000)} h` : `${Math.round(failingFor / 1000)} s`})`
          : undefined;
    const outcome: WebhookTry = {
      at: now,
      durationMs: now - started,
      status: result.status,
      error: result.error,
      delivered,
      // A disabled endpoint's event is kept pending (none lost): it goes again once enabled.
      ...(!delivered && (delay !== undefined || disable) && { nextAt: now + Math.max(delay ?? 0, result.retryAfterMs ?? 0) }),
      ...(disable && { disable }),
    };
    try {
      const settled = await this.deps.db.transaction().execute((tx) => settleWebhookTry(tx, lease, outcome));
      if (settled === 'lost') {
        log.warn({ deliveryId: lease.deliveryId }, 'webhook claim lost before settling; the process that holds it now delivers it');
        return;
      }
      events.webhookTried({ subscriptionId: lease.subscriptionId, eventId: lease.eventId, type: lease.type, outcome: settled, status: result.status, error: result.error, ms: outcome.durationMs });
      if (disable && lease.subscriptionStatus === 'enabled') events.webhookEndpointDisabled({ subscriptionId: lease.subscriptionId, url: lease.url, reason: disable });
      // The next event of this subject may be due now.
      if (settled !== 'retry') this.wake();
    } catch (error) {
      log.error({ err: error, deliveryId: lease.deliveryId }, 'could not settle a webhook try; the claim will expire and it goes again');
    }
  }
}
