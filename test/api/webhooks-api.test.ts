// /v1/webhooks on this run's dialect: an admin subscribes (the secret shown once), lists, reads,
// deletes; every bad request is refused with its code and writes nothing; a receiver answering
// 410 Gone disables its endpoint (alert metric, reason shown), enabling it delivers what it missed
// in order; redeliver sends an event again; invoice events carry the resource and its sequence.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/outbound/webhook-signature.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { DIALECT } from '../support/database.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const count = async (t: TestGateway) => Number((await t.gateway.store.db.selectFrom('webhook_subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe(`webhook subscriptions on ${DIALECT}`, () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ channels: [] });
  });
  afterAll(async () => {
    await t.close();
  });
  const hooks = (path = '', json?: unknown, key = t.adminKey, method?: 'GET' | 'POST') => http(`${t.gateway.url}/v1/webhooks${path}`, { key, ...(json !== undefined && { json }), ...(method && { method }) });

  it('subscribes with the secret shown once, lists, reads and deletes', async () => {
    const created = await hooks('', { url: 'https://erp.example.com/fapiao-hooks', events: ['invoice.issued', 'invoice.failed', 'invoice.issued'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://erp.example.com/fapiao-hooks', events: ['invoice.issued', 'invoice.failed'], sellers: [SELLER, OTHER_SELLER].sort(), status: 'enabled', disabledReason: null });
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = String(created.body.id);
    expect(created.headers.location).toBe(`/v1/webhooks/${id}`);
    // Sealed at rest: the stored text is not the secret.
    const stored = await t.gateway.store.db.selectFrom('webhook_subscriptions').select('secret_sealed').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.secret_sealed).not.toContain(String(created.body.secret).slice(6));
    const listed = await hooks();
    expect(listed.body.data).toEqual([expect.objectContaining({ id })]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect((await hooks(`/${id}`)).body).toMatchObject({ id, status: 'enabled' });
    expect((await http(`${t.gateway.url}/v1/webhooks/${id}`, { key: t.adminKey, method: 'GET' })).status).toBe(200);
    const { request } = await import('undici');
    const deleted = await request(`${t.gateway.url}/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.adminKey}` } });
    expect(deleted.statusCode).toBe(204);
    expect((await hooks(`/${id}`)).status).toBe(404);
  });

  it("keeps a subscription over two sellers from a key of only one of them", async () => {
    const both = await hooks('', { url: 'https://erp.example.com/both', events: ['*'] });
    expect(both.body.sellers).toEqual([SELLER, OTHER_SELLER].sort());
    const id = String(both.body.id);
    const oneSeller = (await createApiKey(t.gateway.store.db, { sellers: [SELLER], scopes: ['admin'], expiresAt: null }, Date.now())).key;
    const mine = await hooks('', { url: 'https://erp.example.com/mine', events: ['*'] }, oneSeller);
    expect(mine.body.sellers).toEqual([SELLER]);
    const { request } = await import('undici');
    // Neither listed, read, its log, enabled, redelivered nor deleted by a key of one of its sellers.
    expect(((await hooks('', undefined, oneSeller)).body.data as Array<{ id: string }>).map((row) => row.id)).toEqual([mine.body.id]);
    expect((await hooks(`/${id}`, undefined, oneSeller)).status).toBe(404);
    expect((await hooks(`/${id}/deliveries`, undefined, oneSeller)).status).toBe(404);
    expect((await hooks(`/${id}/enable`, undefined, oneSeller, 'POST')).status).toBe(404);
    expect((await hooks(`/${id}/events/evt_01JZZZZZZZZZZZZZZZZZZZZZZZ/redeliver`, undefined, oneSeller, 'POST')).status).toBe(404);
    expect((await request(`${t.gateway.url}/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${oneSeller}` } })).statusCode).toBe(404);
    expect((await hooks(`/${id}`)).body).toMatchObject({ id, status: 'enabled' });
    // The key of both sees both.
    expect(((await hooks()).body.data as unknown[]).length).toBeGreaterThanOrEqual(2);
    for (const gone of [id, String(mine.body.id)]) await request(`${t.gateway.url}/v1/webhooks/${gone}`, { method: 'DELETE', headers: { authorization: `Bearer ${t.adminKey}` } });
  });

  it('refuses every bad subscription with its code, and writes nothing', async () => {
    const before = await count(t);
    const cases: Array<[unknown, number, string, string?]> = [
      [{ url: 'ftp://erp.example.com/x', events: ['*'] }, 422, 'webhook_invalid', 'webhook_url_invalid'],
      [{ url: 'https://user:pw@erp.example.com/x', events: ['*'] }, 422, 'webhook_invalid', 'webhook_url_invalid'],
      [{ url: 'not a url', events: ['*'] }, 422, 'webhook_invalid', 'webhook_url_invalid'],
      [{ url: 'http://127.0.0.1:9/x', events: ['*'] }, 422, 'webhook_invalid', 'webhook_url_private'],
      [{ url: 'http://192.168.1.10/x', events: ['*'] }, 422, 'webhook_invalid', 'webhook_url_private'],
      [{ url: 'https://erp.example.com/x', events: [] }, 422, 'webhook_invalid', 'webhook_events_empty'],
      [{ url: 'https://erp.example.com/x', events: ['invoice.voided'] }, 422, 'webhook_invalid', 'value_not_allowed'],
      [{ url: 'https://erp.example.com/x', events: 'invoice.issued' }, 422, 'webhook_invalid', 'type_invalid'],
      [{ url: 'https://erp.example.com/x', events: ['*'], secret: 'mine' }, 422, 'webhook_invalid', 'field_unknown'],
      [{ url: 'https://erp.example.com/\u202ex', events: ['*'] }, 422, 'webhook_invalid', 'string_invisible_characters'],
      [{ url: 'https://erp.example.com/x', events: ['*'], sellers: ['91110000000000000X'] }, 403, 'seller_forbidden'],
      [[], 422, 'webhook_invalid', 'type_invalid'],
    ];
    for (const [body, status, code, fieldCode] of cases) {
      const answer = await hooks('', body);
      expect([answer.status, answer.body.code], JSON.stringify(body)).toEqual([status, code]);
      if (fieldCode) expect((answer.body.errors as Array<{ code: string }>).map((error) => error.code), JSON.stringify(body)).toContain(fieldCode);
    }
    expect((await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, raw: '{"url":' })).body.code).toBe('json_malformed');
    expect((await hooks('', { url: 'https://erp.example.com/x', events: ['*'] }, t.key)).body.code).toBe('scope_missing');
    expect((await hooks('/wh_nope')).status).toBe(404);
    expect((await hooks('/wh_01KBZZZZZZZZZZZZZZZZZZ/events/evt_nope/redeliver', {})).status).toBe(404);
    expect(await count(t)).toBe(before);
  });
});

describe(`webhook deliveries through the API on ${DIALECT}`, () => {
  let t: TestGateway;
  let simulator: RunningSimulator;
  let receiver: Server;
  let receiverUrl = '';
  let gone = true;
  const arrivals: Array<{ body: Record<string, unknown>; signed: boolean }> = [];
  let secret = '';

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const signed = verifyWebhook(secret, { id: String(request.headers['webhook-id']), timestamp: String(request.headers['webhook-timestamp']), signature: String(request.headers['webhook-signature']) }, body, Math.floor(Date.now() / 1000));
        arrivals.push({ body: JSON.parse(body) as Record<string, unknown>, signed });
        response.writeHead(gone ? 410 : 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/in`;
    simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-wh-api-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
    t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], deliveries: { allowPrivate: true, retryScheduleMs: Array.from({ length: 20 }, () => 100), disableAfterMs: 600 } });
  });
  afterAll(async () => {
    await t.close();
    await simulator.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('disables an endpoint that answers 410, delivers what it missed once enabled, and redelivers on request', async () => {
    const created = await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, json: { url: receiverUrl, events: ['invoice.issued'], sellers: [SELLER] } });
    secret = String(created.body.secret);
    const id = String(created.body.id);
    const issue = async (orderNo: string) => String((await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: orderNo, json: validRequest({ orderNo }) })).body.id);
    const first = await issue('HOOK-API-1');
    const disabled = await eventually(async () => {
      const subscription = (await http(`${t.gateway.url}/v1/webhooks/${id}`, { key: t.adminKey })).body;
      return subscription.status === 'disabled' ? subscription : undefined;
    }, 10_000, () => 'never disabled');
    expect(disabled).toMatchObject({ disabledReason: 'the endpoint answered 410 Gone', failingSince: expect.any(String) as unknown });
    const metrics = (await http(`${t.gateway.url}/metrics`)).text;
    expect(metrics).toMatch(/fapiao_webhook_endpoints\{status="disabled"\} 1/);
    // Another invoice is issued while the endpoint is disabled: its event waits.
    const second = await issue('HOOK-API-2');
    await eventually(async () => ((await http(`${t.gateway.url}/v1/invoices/${second}`, { key: t.key })).body.status === 'issued' ? true : undefined), 10_000, () => 'never issued');
    // Its delivery is written, and parked where no claim looks for it, rather than sent: no wait proves
    // a negative as well as the row does.
    const parked = await eventually(async () => {
      const jobs = await t.gateway.store.db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
        .innerJoin('jobs', (join) => join.onRef('jobs.subject_id', '=', 'd.id').on('jobs.queue', '=', 'webhook'))
        .select(['jobs.next_at', 'jobs.status', 'e.subject'])
        .where('e.subject', '=', second)
        .execute();
      return jobs.length > 0 ? jobs : undefined;
    }, 10_000, () => 'no delivery was written for the second event');
    expect(parked).toEqual([{ next_at: expect.any(Number) as unknown, status: 'pending', subject: second }]);
    expect(Number(parked[0]!.next_at)).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    expect(arrivals.filter((arrival) => (arrival.body.data as { invoice?: { id: string } }).invoice?.id === second)).toEqual([]);

    gone = false;
    expect((await http(`${t.gateway.url}/v1/webhooks/${id}/enable`, { key: t.adminKey, method: 'POST' })).body).toMatchObject({ status: 'enabled', disabledReason: null });
    await eventually(async () => (arrivals.filter((arrival) => (arrival.body.data as { invoice: { id: string } }).invoice.id === second).length > 0 ? true : undefined), 10_000, () => 'the missed event never came');
    const delivered = arrivals.filter((arrival) => arrival.signed && arrival.body.type === 'invoice.issued');
    const firstEvent = delivered.find((arrival) => (arrival.body.data as { invoice: { id: string } }).invoice.id === first)!;
    expect(firstEvent.body).toMatchObject({ id: expect.stringMatching(/^evt_/) as unknown, type: 'invoice.issued', data: { sequence: 1, invoice: { id: first, status: 'issued', orderNo: 'HOOK-API-1' } } });
    expect(arrivals.every((arrival) => arrival.signed)).toBe(true);

    const eventId = String(firstEvent.body.id);
    const before = arrivals.filter((arrival) => arrival.body.id === eventId).length;
    const redelivered = await http(`${t.gateway.url}/v1/webhooks/${id}/events/${eventId}/redeliver`, { key: t.adminKey, method: 'POST' });
    expect(redelivered).toMatchObject({ status: 202, body: { eventId, status: 'pending' } });
    await eventually(async () => (arrivals.filter((arrival) => arrival.body.id === eventId).length > before ? true : undefined), 10_000, () => 'never redelivered');
    const log = (await http(`${t.gateway.url}/v1/webhooks/${id}/deliveries`, { key: t.adminKey })).body.data as Array<{ eventId: string; status: string; attempts: Array<{ status: number }> }>;
    const entry = log.find((item) => item.eventId === eventId)!;
    expect(entry.status).toBe('delivered');
    expect(entry.attempts.map((attempt) => attempt.status)).toEqual([410, 204, 204]);
    // Another seller's admin sees none of it.
    expect((await http(`${t.gateway.url}/v1/webhooks/${id}`, { key: t.otherKey })).status).toBe(403);
  });

  it('disables an endpoint that keeps failing, and tells subscribers when a channel goes down and comes back', async () => {
    // A receiver that always answers 500: disabled once it has failed for disableAfterMs.
    const failing = createServer((_request, response) => response.writeHead(500).end('down for maintenance'));
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const failingUrl = `http://127.0.0.1:${(failing.address() as { port: number }).port}/in`;
    try {
      const broken = await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, json: { url: failingUrl, events: ['channel.down', 'channel.up'] } });
      const channels = await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, json: { url: receiverUrl, events: ['channel.down', 'channel.up'] } });
      secret = String(channels.body.secret);
      const seen = arrivals.length;
      // The upstream goes down: invoices fail to reach it, its circuit opens.
      simulator.setFaults({ errorRate: 1 });
      const issue = (orderNo: string) => http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: orderNo, json: validRequest({ orderNo }) });
      await Promise.all(Array.from({ length: 6 }, (_, n) => issue(`HOOK-DOWN-${n}`)));
      const down = await eventually(async () => arrivals.slice(seen).find((arrival) => arrival.body.type === 'channel.down'), 15_000, () => 'channel.down never came');
      expect(down).toMatchObject({ signed: true, body: { data: { channel: { name: 'sim', state: 'down' }, sequence: expect.any(Number) as unknown } } });
      simulator.setFaults({ errorRate: 0 });
      const up = await eventually(async () => arrivals.slice(seen).find((arrival) => arrival.body.type === 'channel.up'), 15_000, () => 'channel.up never came');
      expect((up.body.data as { sequence: number }).sequence).toBe((down.body.data as { sequence: number }).sequence + 1);

      const disabled = await eventually(async () => {
        const subscription = (await http(`${t.gateway.url}/v1/webhooks/${String(broken.body.id)}`, { key: t.adminKey })).body;
        return subscription.status === 'disabled' ? subscription : undefined;
      }, 15_000, () => 'the failing endpoint was never disabled');
      expect(String(disabled.disabledReason)).toMatch(/^no delivery succeeded since /);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});
