/**
 * Webhook subscriptions as use cases: subscribe a receiver to events of the actor's sellers (the
 * signing secret made here, shown once, sealed at rest), read, unsubscribe, enable again, read the
 * delivery log, redeliver an event. A subscription exists for an actor only when the actor acts
 * for every seller it hears. Deliveries themselves are src/dispatch/webhook-deliverer.ts.
 */
import type { Kysely } from 'kysely';
import { newWebhookSecret } from '../outbound/webhook-signature.js';
import type { Refusal } from '../domain/refusal.js';
import { readSubscriptionRequest } from '../domain/webhook-subscription.js';
import type { Clock } from '../runtime/clock.js';
import type { SecretBox } from '../runtime/secret-box.js';
import type { Database } from '../store/schema/index.js';
import {
  createSubscription,
  deleteSubscription,
  deliveryLog,
  enableSubscription,
  findSubscription,
  listSubscriptions,
  redeliver,
  type DeliveryLogEntry,
  type Subscription,
} from '../store/webhook-deliveries.js';

export interface WebhookSubscriptionsDeps {
  readonly db: Kysely<Database>;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  /** Receivers on private addresses are allowed (FAPIAO_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks). */
  readonly allowPrivate: boolean;
  /** Told when deliveries may be due now (a redelivery, an endpoint enabled). */
  readonly onDeliveriesDue: () => void;
}

/** Who asks: an API key, by id, and the sellers it acts for. */
export interface WebhookActor {
  readonly id: string;
  readonly sellers: readonly string[];
}

type NotFound = Extract<Refusal, { kind: 'not_found' }>;
type Found = { readonly kind: 'found'; readonly subscription: Subscription };
const SUBSCRIPTION_ID = /^wh_[0-9A-Z]{22}$/;
const EVENT_ID = /^evt_[0-9A-Z]{26}$/;
const notFound = (id: string): NotFound => ({ kind: 'not_found', subject: `webhook ${id}` });

export class WebhookSubscriptions {
  constructor(private readonly deps: WebhookSubscriptionsDeps) {}

  async subscribe(body: unknown, actor: WebhookActor): Promise<{ readonly kind: 'created'; readonly subscription: Subscription; readonly secret: string } | Extract<Refusal, { kind: 'invalid' | 'seller_forbidden' }>> {
    const read = readSubscriptionRequest(body, { allowPrivate: this.deps.allowPrivate });
    if (read.kind === 'invalid') return { kind: 'invalid', of: 'webhook', errors: read.errors };
    const sellers = [...(read.request.sellers ?? actor.sellers)].sort();
    const foreign = sellers.filter((seller) => !actor.sellers.includes(seller));
    if (foreign.length > 0) return { kind: 'seller_forbidden', sellers: foreign };
    const secret = newWebhookSecret();
    const subscription = await createSubscription(this.deps.db, {
      url: read.request.url,
      events: read.request.events,
      sellers,
      secretSealed: this.deps.secrets.seal(secret),
      createdBy: actor.id,
      now: this.deps.clock.now(),
    });
    return { kind: 'created', subscription, secret };
  }

  list(actor: WebhookActor): Promise<Subscription[]> {
    return listSubscriptions(this.deps.db, actor.sellers);
  }

  /** The subscription `id`, if the actor acts for every seller it hears. */
  async find(id: string, actor: WebhookActor): Promise<Found | NotFound> {
    const subscription = await this.owned(id, actor);
    return subscription ? { kind: 'found', subscription } : notFound(id);
  }

  private async owned(id: string, actor: WebhookActor): Promise<Subscription | undefined> {
    return SUBSCRIPTION_ID.test(id) ? findSubscription(this.deps.db, id, actor.sellers) : undefined;
  }

  /** Unsubscribes; its deliveries and their log go with it. */
  async remove(id: string, actor: WebhookActor): Promise<{ readonly kind: 'removed' } | NotFound> {
    const subscription = await this.owned(id, actor);
    if (!subscription) return notFound(id);
    await deleteSubscription(this.deps.db, subscription.id);
    return { kind: 'removed' };
  }

  /** Enables a disabled endpoint: the events it missed are delivered, in order. */
  async enable(id: string, actor: WebhookActor): Promise<Found | NotFound> {
    const subscription = await this.owned(id, actor);
    if (!subscription) return notFound(id);
    await enableSubscription(this.deps.db, subscription.id, this.deps.clock.now());
    this.deps.onDeliveriesDue();
    return this.find(id, actor);
  }

  /** A page of the delivery log, newest first. */
  async deliveries(id: string, actor: WebhookActor, page: { readonly limit: number; readonly cursor?: string }): Promise<{ readonly kind: 'page'; readonly entries: DeliveryLogEntry[]; readonly nextCursor: string | null } | NotFound> {
    const subscription = await this.owned(id, actor);
    if (!subscription) return notFound(id);
    const entries = await deliveryLog(this.deps.db, subscription.id, { limit: page.limit + 1, ...(page.cursor && { before: page.cursor }) });
    const shown = entries.slice(0, page.limit);
    return { kind: 'page', entries: shown, nextCursor: entries.length > page.limit ? shown[shown.length - 1]!.id : null };
  }

  /** Sends an event to the endpoint again, from its first try. */
  async redeliver(id: string, eventId: string, actor: WebhookActor): Promise<{ readonly kind: 'queued' } | NotFound> {
    const subscription = await this.owned(id, actor);
    if (!subscription) return notFound(id);
    const queued = EVENT_ID.test(eventId) ? await redeliver(this.deps.db, subscription.id, eventId, this.deps.clock.now()) : 'unknown';
    if (queued === 'unknown') return { kind: 'not_found', subject: `event ${eventId} of webhook ${subscription.id}` };
    this.deps.onDeliveriesDue();
    return { kind: 'queued' };
  }
}
