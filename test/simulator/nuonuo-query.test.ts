// The 诺诺 simulator answers queryInvoiceResult as 诺诺's spec says (shared/domain.md §NN): by the
// serials requestBillingNew returned (`serialNos`) or by order numbers (`orderNos`), serials winning
// when both are given; E9500 for what it does not know, E9611 only when both lists are empty. The
// client here is written from the spec (its own HMAC-SHA1 envelope), not from the gateway's adapter.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';

const APP_KEY = 'QUERYSPECKEY';
const APP_SECRET = 'query-spec-secret';
const SELLER = '91330106MA2B0Y5R34';
let simulator: RunningSimulator;
let token: string;

beforeAll(async () => {
  simulator = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-nnq-')),
    port: 0,
    host: '127.0.0.1',
    dedup: true,
    faults: NO_FAULTS,
    protocol: { kind: 'nuonuo', credentials: { appKey: APP_KEY, appSecret: APP_SECRET } },
  });
  const answer = await request(`${simulator.url}/accessToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: APP_KEY, client_secret: APP_SECRET, grant_type: 'client_credentials' }).toString(),
  });
  token = ((await answer.body.json()) as { access_token: string }).access_token;
});
afterAll(() => simulator.close());

/** One call through 诺诺's envelope: the signature is HMAC-SHA1 over the path parts and the body, base64. */
async function nuonuo(method: string, payload: unknown): Promise<{ code: string; describe: string; result?: unknown }> {
  const body = JSON.stringify(payload);
  const envelope = { senid: randomBytes(16).toString('hex'), nonce: String(10_000_000 + Math.floor(Math.random() * 89_999_999)), timestamp: String(Math.floor(Date.now() / 1000)) };
  const signed = `a=services&l=v1&p=open&k=${APP_KEY}&i=${envelope.senid}&n=${envelope.nonce}&t=${envelope.timestamp}&f=${body}`;
  const sign = createHmac('sha1', APP_SECRET).update(signed, 'utf8').digest('base64');
  const query = new URLSearchParams({ ...envelope, appkey: APP_KEY });
  const response = await request(`${simulator.url}/open/v1/services?${query.toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-nuonuo-sign': sign, accessToken: token, method, userTax: SELLER },
    body,
  });
  return (await response.body.json()) as { code: string; describe: string; result?: unknown };
}

function order(orderNo: string) {
  return {
    orderNo,
    salerTaxNum: SELLER,
    buyerName: '上海某某科技有限公司',
    invoiceDate: '2026-12-02 10:00:00',
    invoiceType: '1',
    invoiceDetail: [{ goodsName: '信息技术服务', taxRate: '0.06', taxExcludedAmount: '1000.00', tax: '60.00', taxIncludedAmount: '1060.00', withTaxFlag: '1' }],
  };
}

async function issue(orderNo: string): Promise<string> {
  const answer = await nuonuo('nuonuo.OpeMplatform.requestBillingNew', { order: order(orderNo) });
  expect(answer.code).toBe('E0000');
  return (answer.result as { invoiceSerialNum: string }).invoiceSerialNum;
}

type Item = { orderNo: string; serialNo: string; status: string };

describe('诺诺 simulator: queryInvoiceResult as the spec has it', () => {
  it('finds an order by the serial requestBillingNew returned, and shows that same serial', async () => {
    const serial = await issue('QS-1');
    expect(serial).toMatch(/^\d{20}$/);
    const answer = await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { serialNos: [serial], isOfferInvoiceDetail: '0' });
    expect(answer.code).toBe('E0000');
    expect(answer.result).toEqual([expect.objectContaining({ orderNo: 'QS-1', serialNo: serial })]);
    const byOrder = await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { orderNos: ['QS-1'] });
    expect((byOrder.result as Item[])[0]!.serialNo).toBe(serial);
  });

  it('gives one serial per order: a repeated order is E9106 and keeps the first serial', async () => {
    const serial = await issue('QS-2');
    const again = await nuonuo('nuonuo.OpeMplatform.requestBillingNew', { order: order('QS-2') });
    expect(again.code).toBe('E9106');
    const answer = await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { orderNos: ['QS-2'] });
    expect((answer.result as Item[]).map((item) => item.serialNo)).toEqual([serial]);
  });

  it('lets the serials win when both lists are given', async () => {
    const first = await issue('QS-3');
    await issue('QS-4');
    const answer = await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { serialNos: [first], orderNos: ['QS-4'] });
    expect((answer.result as Item[]).map((item) => item.orderNo)).toEqual(['QS-3']);
  });

  it('answers E9500 for an unknown serial or order, E9611 only when both lists are empty', async () => {
    expect((await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { serialNos: ['99999999999999999999'] })).code).toBe('E9500');
    expect((await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { serialNos: ['not-a-serial'] })).code).toBe('E9500');
    expect((await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { orderNos: ['QS-NONE'] })).code).toBe('E9500');
    expect((await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', { serialNos: [], orderNos: [] })).code).toBe('E9611');
    expect((await nuonuo('nuonuo.OpeMplatform.queryInvoiceResult', {})).code).toBe('E9611');
  });
});
