/**
 * Webhook subscriptions and their deliveries: one `webhook` job per event and subscription, claimed
 * only when no earlier event of the same subject (invoice, channel) is still pending for that
 * subscription — so a receiver hears each invoice's events in `sequence` order — and only while the
 * subscription is enabled. Each try is logged; settles are fenced by the claim.
 */
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { StoreCapabilities } from './capabilities.js';
import { newSubscriptionId } from './ids.js';
import { completeJob, giveUpJob, leaseJobs, recordJobFailure, requeueJob, type JobLease } from './job-queue.js';
import type { Database, WebhookDeliveryTable, WebhookSubscriptionTable } from './schema/index.js';
import { PARKED_MS } from './webhook-outbox.js';

export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly sellers: readonly string[];
  readonly status: WebhookSubscriptionTable['status'];
  readonly disabledReason: string | null;
  readonly failingSince: number | null;
  readonly createdAt: number;
}

const toSubscription = (row: WebhookSubscriptionTable): Subscription => ({
  id: row.id,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  sellers: JSON.parse(row.sellers) as string[],
  status: row.status,
  disabledReason: row.disabled_reason,
  failingSince: row.failing_since,
  createdAt: row.created_at,
});


export async function createSubscription(
  db: Kysely<Database>,
  input: { readonly url: string; readonly events: readonly string[]; readonly sellers: readonly string[]; readonly secretSealed: string; readonly createdBy: string; readonly now: number },
): Promise<Subscription> {
  const row: WebhookSubscriptionTable = {
    id: newSubscriptionId(input.now),
    url: input.url,
    events: JSON.stringify(input.events),
    sellers: JSON.stringify(input.sellers),
    secret_sealed: input.secretSealed,
    status: 'enabled',
    disabled_reason: null,
    failing_since: null,
    created_by: input.createdBy,
    created_at: input.now,
    updated_at: input.now,
  };
  await db.insertInto('webhook_subscriptions').values(row).execute();
  return toSubscription(row);
}

/**
 * A key sees a subscription only if the key acts for every seller it hears: a subscription over
 * two sellers carries both sellers' events, so a key of one of them must not read, resend or
 * delete it.
 */
const coveredBy = (subscription: Subscription, sellers: readonly string[]) => subscription.sellers.length > 0 && subscription.sellers.every((seller) => sellers.includes(seller));

/** The subscriptions whose every seller is one of `sellers`, newest first (deleted ones are gone). */
export async function listSubscriptions(db: Kysely<Database>, sellers: readonly string[]): Promise<Subscription[]> {
  const rows = await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toSubscription).filter((subscription) => coveredBy(subscription, sellers));
}

/** One subscription, if its every seller is one of `sellers`. */
export async function findSubscription(db: Kysely<Database>, id: string, sellers: readonly string[]): Promise<Subscription | undefined> {
  const row = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  const subscription = row && toSubscription(row);
  return subscription && coveredBy(subscription, sellers) ? subscription : undefined;
}

/** Deletes a subscription with its deliveries, their log and their jobs. */
export async function deleteSubscription(db: Kysely<Database>, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const deliveries = tx.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', id);
    await tx.deleteFrom('jobs').where('queue', '=', 'webhook').where('subject_id', 'in', deliveries).execute();
    await tx.deleteFrom('webhook_attempts').where('delivery_id', 'in', deliveries).execute();
    await tx.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
    await tx.deleteFrom('webhook_subscriptions').where('id', '=', id).execute();
  });
}

/** Enables a disabled subscription: what it had pending is due again now. */
export async function enableSubscription(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('webhook_subscriptions').set({ status: 'enabled', disabled_reason: null, failing_since: null, updated_at: now }).where('id', '=', id).execute();
    const pending = tx.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', id).where('status', '=', 'pending');
    await tx.updateTable('jobs').set({ next_at: now, updated_at: now }).where('queue', '=', 'webhook').where('status', '=', 'pending').where('subject_id', 'in', pending).execute();
  });
}

async function disable(tx: Transaction<Database>, id: string, reason: string, now: number): Promise<void> {
  await tx.updateTable('webhook_subscriptions').set({ status: 'disabled', disabled_reason: reason, updated_at: now }).where('id', '=', id).where('status', '=', 'enabled').execute();
  const pending = tx.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', id).where('status', '=', 'pending');
  await tx.updateTable('jobs').set({ next_at: now + PARKED_MS, updated_at: now }).where('queue', '=', 'webhook').where('status', '=', 'pending').where('subject_id', 'in', pending).execute();
}

/** A claim on one delivery: where to, what to send, and the job lease that fences its settle. */
export interface WebhookLease {
  readonly job: JobLease;
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly url: string;
  readonly secretSealed: string;
  readonly eventId: string;
  readonly type: string;
  readonly sequence: number;
  readonly snapshot: string;
  readonly createdAt: number;
  /** Tries made before this one (manual redeliveries included). */
  readonly attempts: number;
  /** Since when the endpoint has failed without one success; null when its last try went through. */
  readonly failingSince: number | null;
  readonly subscriptionStatus: WebhookSubscriptionTable['status'];
  /** The trace of the invoice the event is about (W3C traceparent); null for channel events or without tracing. */
  readonly traceParent: string | null;
}

/** A due delivery may go now: its subscription is enabled and no earlier event of its subject waits for it. */
function deliverable(eb: ExpressionBuilder<Database, 'jobs'>) {
  const earlierPending = eb
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_deliveries as e', (join) => join.onRef('e.subscription_id', '=', 'd.subscription_id').onRef('e.subject', '=', 'd.subject').onRef('e.sequence', '<', 'd.sequence'))
    .select(sql<number>`1`.as('one'))
    .whereRef('d.id', '=', 'jobs.subject_id')
    .where('e.status', '=', 'pending');
  const enabled = eb
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .select(sql<number>`1`.as('one'))
    .whereRef('d.id', '=', 'jobs.subject_id')
    .where('s.status', '=', 'enabled');
  return eb.and([eb.not(eb.exists(earlierPending)), eb.exists(enabled)]);
}

/** Claims up to `limit` deliveries that may go now; never waits on rows another process holds. */
export async function leaseDueWebhooks(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, options: { readonly limit: number; readonly leaseMs: number }): Promise<WebhookLease[]> {
  return leaseJobs(db, capabilities, 'webhook', now, { ...options, ready: deliverable }, {
    load: (ids) =>
      db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        // The invoice the event is about, for its trace (channel events have none).
        .leftJoin('invoices as i', 'i.id', 'e.subject')
        .select(['d.id', 'd.subscription_id', 'd.attempts', 's.url', 's.secret_sealed', 's.failing_since', 's.status as subscription_status', 'e.id as event_id', 'e.type', 'e.sequence', 'e.snapshot', 'e.created_at', 'i.trace_parent'])
        .where('d.id', 'in', ids)
        .execute(),
    idOf: (row) => row.id,
    lease: (job, row) => ({
      job,
      deliveryId: row.id,
      subscriptionId: row.subscription_id,
      url: row.url,
      secretSealed: row.secret_sealed,
      eventId: row.event_id,
      type: row.type,
      sequence: row.sequence,
      snapshot: row.snapshot,
      createdAt: row.created_at,
      attempts: row.attempts,
      failingSince: row.failing_since,
      subscriptionStatus: row.subscription_status,
      traceParent: row.trace_parent,
    }),
  });
}

/** What one try came to. */
export interface WebhookTry {
  readonly at: number;
  readonly durationMs: number;
  /** The receiver's HTTP status; null when it did not answer. */
  readonly status: number | null;
  readonly error: string | null;
  /** Delivered (2xx); else tried again at `nextAt`, or failed for good when there is none. */
  readonly delivered: boolean;
  readonly nextAt?: number;
  /** The endpoint is to be disabled (410 Gone, or failing for too long), with this reason. */
  readonly disable?: string;
}

/** Logs one try and settles the delivery, if the claim still holds; 'lost' writes nothing. */
export async function settleWebhookTry(tx: Transaction<Database>, lease: WebhookLease, outcome: WebhookTry): Promise<'delivered' | 'retry' | 'failed' | 'lost'> {
  const fenced = outcome.delivered
    ? await completeJob(tx, lease.job, outcome.at)
    : outcome.nextAt === undefined
      ? await giveUpJob(tx, lease.job, { message: outcome.error ?? `answered ${String(outcome.status)}`, now: outcome.at })
      : await recordJobFailure(tx, lease.job, { message: outcome.error ?? `answered ${String(outcome.status)}`, nextAt: outcome.nextAt, now: outcome.at });
  if (fenced === 'lost') return 'lost';
  const attempt = lease.attempts + 1;
  await tx.insertInto('webhook_attempts').values({ delivery_id: lease.deliveryId, attempt, at: outcome.at, status: outcome.status, error: outcome.error, duration_ms: Math.round(outcome.durationMs) }).execute();
  const status: WebhookDeliveryTable['status'] = outcome.delivered ? 'delivered' : outcome.nextAt === undefined ? 'failed' : 'pending';
  await tx
    .updateTable('webhook_deliveries')
    .set({ status, attempts: attempt, last_status: outcome.status, last_error: outcome.error, ...(outcome.delivered && { delivered_at: outcome.at }), updated_at: outcome.at })
    .where('id', '=', lease.deliveryId)
    .execute();
  if (outcome.delivered) {
    await tx.updateTable('webhook_subscriptions').set({ failing_since: null }).where('id', '=', lease.subscriptionId).where('failing_since', 'is not', null).execute();
  } else {
    await tx.updateTable('webhook_subscriptions').set({ failing_since: outcome.at }).where('id', '=', lease.subscriptionId).where('failing_since', 'is', null).execute();
    if (outcome.disable) await disable(tx, lease.subscriptionId, outcome.disable, outcome.at);
  }
  return status === 'pending' ? 'retry' : status;
}

export interface DeliveryLogEntry {
  readonly id: string;
  readonly eventId: string;
  readonly type: string;
  readonly subject: string;
  readonly sequence: number;
  readonly status: WebhookDeliveryTable['status'];
  readonly createdAt: number;
  readonly deliveredAt: number | null;
  readonly attempts: ReadonlyArray<{ readonly attempt: number; readonly at: number; readonly status: number | null; readonly error: string | null; readonly durationMs: number }>;
}

/** A subscription's deliveries, newest first, each with its tries. */
export async function deliveryLog(db: Kysely<Database>, subscriptionId: string, options: { readonly limit: number; readonly before?: string }): Promise<DeliveryLogEntry[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'e.type', 'd.subject', 'd.sequence', 'd.status', 'd.created_at', 'd.delivered_at'])
    .where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.id', 'desc')
    .limit(options.limit);
  if (options.before) query = query.where('d.id', '<', options.before);
  const rows = await query.execute();
  const tries = rows.length === 0 ? [] : await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', rows.map((row) => row.id)).orderBy('attempt').execute();
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    subject: row.subject,
    sequence: row.sequence,
    status: row.status,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    attempts: tries.filter((item) => item.delivery_id === row.id).map((item) => ({ attempt: item.attempt, at: item.at, status: item.status, error: item.error, durationMs: item.duration_ms })),
  }));
}

/** Sends an event to a subscription again, from its first try: 'unknown' when it never had that event. */
export async function redeliver(db: Kysely<Database>, subscriptionId: string, eventId: string, now: number): Promise<'queued' | 'unknown'> {
  return db.transaction().execute(async (tx) => {
    const delivery = await tx.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', subscriptionId).where('event_id', '=', eventId).executeTakeFirst();
    if (!delivery) return 'unknown';
    await tx.updateTable('webhook_deliveries').set({ status: 'pending', updated_at: now }).where('id', '=', delivery.id).execute();
    await requeueJob(tx, 'webhook', delivery.id, now);
    return 'queued';
  });
}

/** How many enabled and disabled endpoints there are, and deliveries waiting (for /metrics). */
export async function webhookReadings(db: Kysely<Database>): Promise<{ enabled: number; disabled: number; pending: number; failed: number }> {
  const subscriptions = await db.selectFrom('webhook_subscriptions').select(['status', sql<number>`count(*)`.as('n')]).groupBy('status').execute();
  const deliveries = await db.selectFrom('webhook_deliveries').select(['status', sql<number>`count(*)`.as('n')]).where('status', 'in', ['pending', 'failed']).groupBy('status').execute();
  const count = (rows: ReadonlyArray<{ status: string; n: number }>, status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
  return { enabled: count(subscriptions, 'enabled'), disabled: count(subscriptions, 'disabled'), pending: count(deliveries, 'pending'), failed: count(deliveries, 'failed') };
}
