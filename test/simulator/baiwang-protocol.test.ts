// A client written from shared/baiwang.md alone (not from src/channels/baiwang): it signs, fetches a
// token and shapes its bodies as that page says, and the simulator must answer it as 百望 would —
// and refuse what 百望 refuses (a wrong signature, a wrong shape, a stale token, a repeated serial).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';

const APP = { appKey: 'BWKEY', appSecret: 'bw-secret', username: 'bw-user', password: 'bw-pass', salt: 'bw-salt' };
const SELLER = '91330106MA2B0Y5R34';
const BUYER = '91110108MA01KPGP0L';

let sim: RunningSimulator;
let token = '';

beforeAll(async () => {
  sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-bw-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, confirmation: 'required', protocol: { kind: 'baiwang', credentials: APP } });
});
afterAll(() => sim.close());

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** sign = UPPER(MD5(appSecret + Σ sorted k+v of non-empty URL params minus sign + compactJsonBody + appSecret)). */
function sign(params: Record<string, string>, body: string, secret = APP.appSecret): string {
  const joined = Object.keys(params)
    .filter((key) => key !== 'sign' && params[key] !== '')
    .sort()
    .map((key) => key + params[key])
    .join('');
  return md5(secret + joined + body + secret).toUpperCase();
}

type Answer<R = unknown> = { success: boolean; response: R; errorResponse?: { code: string; message: string } };
interface Issued {
  serialNo: string;
  invoiceNo: string;
  invoiceDate: string;
  invoiceDetailsList: Array<{ goodsName: string }>;
}
type IssueAnswer = Answer<{ success: Issued[]; fail: unknown[] }>;
interface Form {
  redConfirmUuid: string;
  redConfirmNo: string;
  confirmState: string;
}

async function post<R>(params: Record<string, string>, body: string): Promise<Answer<R>> {
  const response = await fetch(`${sim.url}/router/rest?${new URLSearchParams(params).toString()}`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body });
  expect(response.status).toBe(200);
  return (await response.json()) as Answer<R>;
}

async function fetchToken(password = sha256(APP.password + APP.salt)): Promise<Answer<{ access_token: string }>> {
  const params = { method: 'baiwang.oauth.token', grant_type: 'password', client_id: APP.appKey, version: '7.0', timestamp: String(Date.now()), encryptType: 'NONE', encryptScope: '00' };
  return post(params, JSON.stringify({ username: APP.username, password, client_secret: APP.appSecret }));
}

/** A business call: pattern A/C (v6.0) or B (v7.0, with signType/encryptType/encryptScope). */
async function business<R = unknown>(method: string, version: '6.0' | '7.0', body: unknown, change: { secret?: string; token?: string; alter?: (text: string) => string } = {}): Promise<Answer<R>> {
  const params: Record<string, string> = { method, version, appKey: APP.appKey, format: 'json', timestamp: String(Date.now()), token: change.token ?? token, type: 'sync', requestId: randomUUID() };
  if (version === '7.0') Object.assign(params, { signType: 'MD5', encryptType: 'NONE', encryptScope: '00' });
  const text = JSON.stringify(body);
  params.sign = sign(params, text, change.secret);
  return post<R>(params, change.alter ? change.alter(text) : text);
}

const blue = (serialNo: string, typeCode = '02') => ({
  taxNo: SELLER,
  data: {
    invoiceType: '0',
    invoiceTypeCode: typeCode,
    priceTaxMark: '0',
    invoiceListMark: '0',
    taxationMethod: '0',
    serialNo,
    buyerName: '某某科技有限公司',
    buyerTaxNo: BUYER,
    invoiceTotalPrice: 100.0,
    invoiceTotalTax: 13.0,
    invoiceTotalPriceTax: 113.0,
    invoiceDetailsList: [{ goodsLineNo: 1, invoiceLineNature: '0', goodsCode: '1010101070000000000', goodsName: '燕麦', goodsTaxRate: 0.13, goodsTotalPrice: 100.0, goodsTotalTax: 13.0, preferentialMarkFlag: '0' }],
  },
});

describe('the simulator speaking 百望, to a client written from the protocol notes alone', () => {
  it('gives a token for SHA-256(password + salt), and refuses a wrong password', async () => {
    expect((await fetchToken(sha256('wrong' + APP.salt))).errorResponse?.code).toBe('101');
    const answer = await fetchToken();
    expect(answer).toMatchObject({ success: true, response: { access_token: expect.any(String) as unknown, refresh_token: expect.any(String) as unknown, expires_in: 28800 } });
    token = answer.response.access_token;
  });

  it('issues a blue invoice at once (pattern A) with a 20-digit number, 14-digit date and *简称* goods names', async () => {
    const answer = await business<IssueAnswer['response']>('baiwang.output.invoice.issue', '6.0', blue('BWT0000000000000001'));
    expect(answer.success).toBe(true);
    const issued = answer.response.success[0]!;
    expect(issued.invoiceNo).toMatch(/^\d{20}$/);
    expect(issued.invoiceDate).toMatch(/^\d{14}$/);
    expect(issued.invoiceDetailsList[0]!.goodsName).toMatch(/^\*[^*]+\*燕麦$/);
    expect(answer.response.fail).toEqual([]);
    // The query by serial finds it.
    const query = await business<Issued[]>('baiwang.output.invoice.query', '6.0', { taxNo: SELLER, data: { serialNo: 'BWT0000000000000001' } });
    expect(query.response[0]).toMatchObject({ serialNo: 'BWT0000000000000001', invoiceNo: issued.invoiceNo });
  });

  it('refuses a wrong signature, a body changed after signing, a wrong shape, a bad token: 100007 / 100001', async () => {
    const body = blue('BWT0000000000000002');
    expect((await business('baiwang.output.invoice.issue', '6.0', body, { secret: 'not-the-secret' })).errorResponse?.code).toBe('100007');
    // Python's json= adds spaces after the separators: the bytes sent are not the bytes signed.
    expect((await business('baiwang.output.invoice.issue', '6.0', body, { alter: (text) => text.replaceAll('":', '": ') })).errorResponse?.code).toBe('100007');
    // Pattern A sent flat, or as v7.0.
    expect((await business('baiwang.output.invoice.issue', '6.0', { taxNo: SELLER, ...body.data })).errorResponse?.code).toBe('100007');
    expect((await business('baiwang.output.invoice.issue', '7.0', body)).errorResponse?.code).toBe('100007');
    expect((await business('baiwang.output.invoice.issue', '6.0', body, { token: 'stale' })).errorResponse?.code).toBe('100001');
    expect(sim.ledger.find('BWT0000000000000002')).toBeUndefined();
  });

  it('refuses a repeated serialNo (70173, the simulator’s choice) and a missing field (70169), issuing nothing more', async () => {
    expect((await business('baiwang.output.invoice.issue', '6.0', blue('BWT0000000000000001'))).errorResponse?.code).toBe('70173');
    const missing = blue('BWT0000000000000003') as { data: Record<string, unknown> };
    delete missing.data.buyerName;
    expect((await business('baiwang.output.invoice.issue', '6.0', missing)).errorResponse).toMatchObject({ code: '70169', message: expect.stringContaining('buyerName') as unknown });
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(1);
  });

  it('files a 红字确认单 (pattern B) that waits for the buyer on a 专票, lists it, shows it (pattern C), and revokes it (08)', async () => {
    const special = await business<IssueAnswer['response']>('baiwang.output.invoice.issue', '6.0', blue('BWT0000000000000004', '01'));
    const number = special.response.success[0]!.invoiceNo;
    const form = { taxNo: SELLER, redConfirmSerialNo: 'BWR0000000000000001', entryIdentity: '01', sellerTaxNo: SELLER, buyerTaxName: '某某科技有限公司', buyerTaxNo: BUYER, originalInvoiceNo: number, originInvoiceType: '01', invoiceTotalPrice: -100.0, invoiceTotalTax: -13.0, redInvoiceLabel: '01', invoiceSource: '2', autoIssueSwitch: 'Y' };
    expect((await business('baiwang.output.redinvoice.add', '6.0', form)).errorResponse?.code).toBe('100007');
    const added = await business<Form[]>('baiwang.output.redinvoice.add', '7.0', form);
    expect(added.response[0]).toMatchObject({ redConfirmUuid: expect.any(String) as unknown, redConfirmNo: expect.any(String) as unknown, confirmState: '02' });
    const { redConfirmUuid, redConfirmNo } = added.response[0]!;
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const list = await business<{ list: Form[] }>('baiwang.output.redinvoice.formlist', '7.0', { taxNo: SELLER, sellerTaxNo: SELLER, buySelSelector: '0', entryIdentity: '01', pageNo: 1, pageSize: 50, queryAll: true, invoiceStartDate: today, invoiceEndDate: today });
    expect(list.response.list).toEqual([expect.objectContaining({ redConfirmUuid, confirmState: '02', redConfirmSerialNo: 'BWR0000000000000001' }) as unknown]);
    expect((await business('baiwang.output.redinvoice.formlist', '7.0', { taxNo: SELLER, sellerTaxNo: SELLER, pageSize: 51, invoiceStartDate: today, invoiceEndDate: today })).errorResponse?.code).toBe('70170');
    const info = await business<Form>('baiwang.output.redinvoice.redforminfo', '6.0', { taxNo: SELLER, sellerTaxNo: SELLER, redConfirmUuid, redConfirmNo: '', taxUserName: '' });
    expect(info.response).toMatchObject({ confirmState: '02', alreadyRedInvoiceFlag: 'N' });
    const revoked = await business<Form[]>('baiwang.output.redinvoice.operate', '7.0', { taxNo: SELLER, sellerTaxNo: SELLER, redConfirmUuid, redConfirmNo, confirmType: '03', taxUserName: '' });
    expect(revoked.response[0]!.confirmState).toBe('08');
    // Revoked once: the state allows nothing more.
    expect((await business('baiwang.output.redinvoice.operate', '7.0', { taxNo: SELLER, sellerTaxNo: SELLER, redConfirmUuid, confirmType: '03' })).errorResponse?.code).toBe('70035');
  });

  it('issues the red invoice by itself on a 普票 (state 01): redforminfo says Y and the query finds it', async () => {
    const normal = await business<IssueAnswer['response']>('baiwang.output.invoice.issue', '6.0', blue('BWT0000000000000005'));
    const number = normal.response.success[0]!.invoiceNo;
    const added = await business<Form[]>('baiwang.output.redinvoice.add', '7.0', { taxNo: SELLER, redConfirmSerialNo: 'BWR0000000000000002', entryIdentity: '01', sellerTaxNo: SELLER, buyerTaxName: '某某科技有限公司', originalInvoiceNo: number, originInvoiceType: '02', invoiceTotalPrice: -100.0, invoiceTotalTax: -13.0, redInvoiceLabel: '01', autoIssueSwitch: 'Y' });
    expect(added.response[0]!.confirmState).toBe('01');
    const info = await business<Form>('baiwang.output.redinvoice.redforminfo', '6.0', { taxNo: SELLER, sellerTaxNo: SELLER, redConfirmUuid: added.response[0]!.redConfirmUuid });
    expect(info.response).toMatchObject({ alreadyRedInvoiceFlag: 'Y', redInvoiceNo: expect.stringMatching(/^\d{20}$/) as unknown });
    // More than is left of the blue invoice: refused, nothing filed.
    const again = await business('baiwang.output.redinvoice.add', '7.0', { taxNo: SELLER, redConfirmSerialNo: 'BWR0000000000000003', entryIdentity: '01', sellerTaxNo: SELLER, buyerTaxName: '某某科技有限公司', originalInvoiceNo: number, invoiceTotalPrice: -1.0, invoiceTotalTax: 0, redInvoiceLabel: '01' });
    expect(again.errorResponse?.code).toBe('70035');
  });
});
