// GET /v1/channels across tenants: an upstream's error text can quote another seller's invoice
// (a buyer's name, a bank account). Operators (operator keys, bound to no seller) see it; a tenant,
// its admin too, sees a code and a fixed sentence, only its own sellers' backlog, and cannot
// isolate, restore or diagnose the channels every seller shares.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/store/api-key-store.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const SECRET = '购买方 张三 开户行账号 6222020200112233445';
let upstream: Server;
let t: TestGateway;
let operatorKey: string;

beforeAll(async () => {
  // An upstream that fails every call with a 500 quoting the invoice it was sent.
  upstream = createServer((_request, response) => {
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`内部错误：${SECRET}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as { port: number };
  t = await startTestGateway({ channels: [{ name: 'flaky', url: `http://127.0.0.1:${port}` }] });
  operatorKey = t.operatorKey;
});

afterAll(async () => {
  await t.close();
  upstream.close();
});

interface ChannelView {
  name: string;
  backlog: number;
  lastError: { code: string; message: string; at: string } | null;
}

const channels = async (key: string) => ((await http(`${t.gateway.url}/v1/channels`, { key })).body.data as ChannelView[])[0]!;

describe('GET /v1/channels across tenants', () => {
  it("shows a tenant a code and a fixed sentence, never the upstream's text, and only its own backlog", async () => {
    const accepted = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'tenancy-1', json: validRequest({ orderNo: 'TEN-1' }) });
    expect(accepted.status).toBe(202);
    const seen = await eventually(async () => {
      const view = await channels(operatorKey);
      return view.lastError ? view : undefined;
    }, 10_000, () => 'no error recorded');
    // The operator sees the upstream's own words.
    expect(seen.lastError).toMatchObject({ code: 'upstream_error', message: expect.stringContaining('6222020200112233445') as string });
    expect(seen.backlog).toBe(1);

    const other = await http(`${t.gateway.url}/v1/channels`, { key: t.otherKey });
    expect(other.text).not.toContain('6222020200112233445');
    expect(other.text).not.toContain('张三');
    const otherView = (other.body.data as ChannelView[])[0]!;
    // The same error, read a moment later: the dispatcher may have met it again since (a newer `at`).
    expect(otherView.lastError).toEqual({
      code: 'upstream_error',
      message: 'the upstream answered with an unexpected error',
      at: expect.any(String) as string,
      // Our sentence for the code, the same for every tenant.
      text: { zh: '上游返回了意外错误', en: 'the upstream answered with an unexpected error' },
      // The doctor's knowledge of the code is generic: no tenant's data in it.
      cause: { zh: expect.stringContaining('非预期') as string, en: expect.stringContaining('unexpected answer') as string },
      remedy: { zh: expect.any(String) as string, en: expect.any(String) as string },
    });
    expect(Date.parse(otherView.lastError!.at)).toBeGreaterThanOrEqual(Date.parse(seen.lastError!.at));
    expect(otherView.backlog).toBe(0);

    const mine = await channels(t.key);
    expect(mine.backlog).toBe(1);
    expect(JSON.stringify(mine)).not.toContain('6222020200112233445');
  });

  it("lets no seller's admin act on the shared channels or count another seller's backlog", async () => {
    const sellerAdmin = (await createApiKey(t.gateway.store.db, { sellers: [OTHER_SELLER], scopes: ['admin'], expiresAt: null }, Date.now())).key;
    for (const path of ['/v1/channels/flaky/isolate', '/v1/channels/flaky/restore', '/v1/channels/flaky/doctor']) {
      const answer = await http(`${t.gateway.url}${path}`, { method: 'POST', key: sellerAdmin, ...(path.endsWith('isolate') && { json: {} }) });
      expect([answer.status, answer.body.code], path).toEqual([403, 'scope_missing']);
    }
    expect(await t.gateway.store.db.selectFrom('channel_isolations').selectAll().execute()).toEqual([]);
    const view = await channels(sellerAdmin);
    expect(view.backlog).toBe(0);
    expect(JSON.stringify(view)).not.toContain('6222020200112233445');
    // The operator key reads the channels, and nothing of any seller's invoices.
    expect((await http(`${t.gateway.url}/v1/invoices`, { key: operatorKey })).body.data).toEqual([]);
    const isolated = await http(`${t.gateway.url}/v1/channels/flaky/isolate`, { method: 'POST', key: operatorKey, json: { reason: 'maintenance' } });
    expect(isolated.body).toMatchObject({ isolated: true, changed: true });
    expect((await http(`${t.gateway.url}/v1/channels/flaky/restore`, { method: 'POST', key: operatorKey })).body).toMatchObject({ isolated: false });
  });

  it('keeps per-seller figures out of /metrics', async () => {
    const metrics = await http(`${t.gateway.url}/metrics`);
    expect(metrics.text).not.toContain(SELLER);
    expect(metrics.text).not.toContain(OTHER_SELLER);
    expect(metrics.text).not.toContain('6222020200112233445');
  });
});
