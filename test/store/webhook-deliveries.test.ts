// Webhook events and deliveries in the store, on this run's dialect: events are written only in the
// transaction of their change and only for subscriptions that hear them; a subscription hears an
// invoice's events in sequence order (a later one is not claimed while an earlier one is pending);
// settles are fenced by the claim; 410 disables and parks an endpoint, enabling brings its events
// back; a channel change is reported once; a redelivery goes again from its first try.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { enableSubscription, createSubscription, leaseDueWebhooks, redeliver, settleWebhookTry, deliveryLog, type WebhookLease } from '../../src/store/webhook-deliveries.js';
import { recordInvoiceEvents, reportChannelState } from '../../src/store/webhook-outbox.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, OTHER_SELLER, registerSellers, SELLER } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
const NOW = 1_790_000_000_000;
const A = 'inv_01M8AAAAAAAAAAAAAAAAAAAAAA';
const B = 'inv_01M8BBBBBBBBBBBBBBBBBBBBBB';

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  await store.db
    .insertInto('invoices')
    .values([invoiceRow(NOW, { id: A, status: 'issued', stage: null, number: '26332000000000000001', issued_at: NOW }), invoiceRow(NOW, { id: B, seller_tax_id: OTHER_SELLER, status: 'failed', stage: null })])
    .execute();
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

const subscribe = (events: string[], sellers: string[], url = 'https://receiver.example/hook') =>
  createSubscription(store.db, { url, events, sellers, secretSealed: 'sealed', createdBy: 'key_test', now: NOW });
const record = (changes: Array<{ invoiceId: string; type: 'invoice.issued' | 'invoice.failed' | 'invoice.documents_ready' }>, at = NOW) =>
  store.db.transaction().execute((tx) => recordInvoiceEvents(tx, store.capabilities, at, changes));
const claim = (at = NOW) => leaseDueWebhooks(store.db, store.capabilities, at, { limit: 50, leaseMs: 10_000 });
const settle = (lease: WebhookLease, outcome: Partial<Parameters<typeof settleWebhookTry>[2]> & { delivered: boolean }) =>
  store.db.transaction().execute((tx) => settleWebhookTry(tx, lease, { at: NOW, durationMs: 5, status: outcome.delivered ? 200 : 500, error: outcome.delivered ? null : 'answered 500', ...outcome }));

describe(`webhook deliveries on ${DIALECT}`, () => {
  it('writes nothing while no subscription listens, and only for the subscriptions that hear an event', async () => {
    await record([{ invoiceId: A, type: 'invoice.issued' }]);
    expect(await store.db.selectFrom('webhook_events').selectAll().execute()).toEqual([]);

    const all = await subscribe(['*'], [SELLER]);
    await subscribe(['invoice.failed'], [SELLER]);
    const other = await subscribe(['*'], [OTHER_SELLER]);
    await record([{ invoiceId: A, type: 'invoice.issued' }, { invoiceId: B, type: 'invoice.failed' }]);
    const deliveries = await store.db.selectFrom('webhook_deliveries').select(['subscription_id', 'subject', 'sequence']).orderBy('subject').execute();
    expect(deliveries).toEqual([
      { subscription_id: all.id, subject: A, sequence: 1 },
      { subscription_id: other.id, subject: B, sequence: 1 },
    ]);
    // The event carries the invoice as it was then.
    const event = await store.db.selectFrom('webhook_events').select(['type', 'snapshot']).where('subject', '=', A).executeTakeFirstOrThrow();
    expect(event.type).toBe('invoice.issued');
    expect(JSON.parse(event.snapshot)).toMatchObject({ invoice: { id: A, status: 'issued', number: '26332000000000000001' } });
  });

  it('writes no event when the change’s transaction rolls back', async () => {
    await subscribe(['*'], [SELLER]);
    await expect(
      store.db.transaction().execute(async (tx) => {
        await recordInvoiceEvents(tx, store.capabilities, NOW, [{ invoiceId: A, type: 'invoice.issued' }]);
        throw new Error('the settle failed after');
      }),
    ).rejects.toThrow('the settle failed after');
    expect(await store.db.selectFrom('webhook_events').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('jobs').selectAll().where('queue', '=', 'webhook').execute()).toEqual([]);
  });

  it('hands a subscription an invoice’s events one at a time, in sequence order, through failures', async () => {
    await subscribe(['*'], [SELLER]);
    // A millisecond apart: the log is newest first by id, which starts with the time.
    await record([{ invoiceId: A, type: 'invoice.failed' }], NOW - 3);
    await record([{ invoiceId: A, type: 'invoice.issued' }], NOW - 2);
    await record([{ invoiceId: A, type: 'invoice.documents_ready' }], NOW - 1);
    const first = await claim();
    expect(first.map((lease) => [lease.type, lease.sequence])).toEqual([['invoice.failed', 1]]);
    // While the first is held, and after it failed and waits for its next try, nothing later goes.
    expect(await claim()).toEqual([]);
    expect(await settle(first[0]!, { delivered: false, nextAt: NOW + 5000 })).toBe('retry');
    expect(await claim(NOW + 1000)).toEqual([]);
    const again = await claim(NOW + 5000);
    expect(again.map((lease) => lease.sequence)).toEqual([1]);
    expect(await settle(again[0]!, { delivered: true })).toBe('delivered');
    const second = await claim(NOW + 5000);
    expect(second.map((lease) => lease.sequence)).toEqual([2]);
    // Given up (its schedule ran out): the next one goes.
    expect(await settle(second[0]!, { delivered: false })).toBe('failed');
    expect((await claim(NOW + 5000)).map((lease) => lease.sequence)).toEqual([3]);

    const log = await deliveryLog(store.db, first[0]!.subscriptionId, { limit: 10 });
    expect(log.map((entry) => [entry.sequence, entry.status, entry.attempts.map((item) => item.status)])).toEqual([
      [3, 'pending', []],
      [2, 'failed', [500]],
      [1, 'delivered', [500, 200]],
    ]);
  });

  it('fences a settle by its claim: a claim taken over after it expired writes nothing', async () => {
    await subscribe(['*'], [SELLER]);
    await record([{ invoiceId: A, type: 'invoice.issued' }]);
    const [stale] = await claim();
    const [current] = await claim(NOW + 20_000);
    expect(current!.deliveryId).toBe(stale!.deliveryId);
    expect(await settle(stale!, { delivered: true })).toBe('lost');
    expect(await store.db.selectFrom('webhook_attempts').selectAll().execute()).toEqual([]);
    expect(await settle(current!, { delivered: true })).toBe('delivered');
  });

  it('disables an endpoint that answered 410, parks its events, and delivers them once enabled', async () => {
    const subscription = await subscribe(['*'], [SELLER]);
    await record([{ invoiceId: A, type: 'invoice.issued' }]);
    const [lease] = await claim();
    expect(await settle(lease!, { delivered: false, status: 410, nextAt: NOW + 5000, disable: 'the endpoint answered 410 Gone' })).toBe('retry');
    const row = await store.db.selectFrom('webhook_subscriptions').select(['status', 'disabled_reason', 'failing_since']).where('id', '=', subscription.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'disabled', disabled_reason: 'the endpoint answered 410 Gone', failing_since: NOW });
    // Events go on being recorded for it, and none is claimed while it is disabled.
    await record([{ invoiceId: A, type: 'invoice.documents_ready' }]);
    expect(await claim(NOW + 10 * 86_400_000)).toEqual([]);
    await enableSubscription(store.db, subscription.id, NOW + 60_000);
    expect((await claim(NOW + 60_000)).map((item) => item.sequence)).toEqual([1]);
  });

  it('reports a channel going down once however often it is seen, and coming back', async () => {
    await subscribe(['channel.down', 'channel.up'], [SELLER]);
    const report = (state: 'down' | 'up', at: number) => store.db.transaction().execute((tx) => reportChannelState(tx, store.capabilities, { channel: 'nuonuo', state, reason: state === 'down' ? 'connect ECONNREFUSED' : null, now: at }));
    expect(await report('up', NOW)).toBe('unchanged');
    expect(await report('down', NOW + 1)).toBe('reported');
    expect(await report('down', NOW + 2)).toBe('unchanged');
    expect(await report('up', NOW + 3)).toBe('reported');
    const events = await store.db.selectFrom('webhook_events').select(['type', 'subject', 'sequence', 'snapshot']).orderBy('sequence').execute();
    expect(events.map((event) => [event.type, event.subject, event.sequence])).toEqual([
      ['channel.down', 'channel:nuonuo', 1],
      ['channel.up', 'channel:nuonuo', 2],
    ]);
    expect(JSON.parse(events[0]!.snapshot)).toMatchObject({ channel: { name: 'nuonuo', state: 'down', reason: 'connect ECONNREFUSED' } });
  });

  it('redelivers an event from its first try, and says so only for an event the subscription had', async () => {
    const subscription = await subscribe(['*'], [SELLER]);
    await record([{ invoiceId: A, type: 'invoice.issued' }]);
    const [lease] = await claim();
    await settle(lease!, { delivered: true });
    expect(await claim(NOW + 1)).toEqual([]);
    expect(await redeliver(store.db, subscription.id, lease!.eventId, NOW + 2)).toBe('queued');
    expect(await redeliver(store.db, subscription.id, 'evt_01M8ZZZZZZZZZZZZZZZZZZZZZZ', NOW + 2)).toBe('unknown');
    const [again] = await claim(NOW + 2);
    expect(again).toMatchObject({ eventId: lease!.eventId, attempts: 1 });
    expect(await settle(again!, { delivered: true })).toBe('delivered');
    expect((await deliveryLog(store.db, subscription.id, { limit: 5 }))[0]!.attempts.map((item) => item.attempt)).toEqual([1, 2]);
    // Enabling an endpoint that was never disabled changes nothing.
    await enableSubscription(store.db, subscription.id, NOW + 3);
  });
});
