// The 百望 adapter against the simulator speaking 百望: tokens kept and renewed (by the refresh token
// before the password), refusals classified from the one code table, red invoices through their
// 红字确认单, the day's list, and amounts carried to the fen.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerError, BAIWANG_CODES } from '../../src/channels/baiwang/baiwang-codes.js';
import { refreshKey } from '../../src/channels/baiwang/baiwang-token.js';
import type { Channel, IssueRequest, QueryOutcome } from '../../src/channels/channel.js';
import { buildChannel } from '../../src/channels/registry.js';
import { MemoryTokenShelf } from '../../src/channels/token-shelf.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { redFlush } from '../../src/domain/red-flush.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { validLine, validRequest, validSpecialRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const SELLER = '91330106MA2B0Y5R34';
const APP = { appKey: 'BWKEY', appSecret: 'bw-secret', username: 'bw-user', password: 'bw-pass', salt: 'bw-salt' };
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start(options: { confirmation?: 'none' | 'required'; password?: string; shelf?: MemoryTokenShelf } = {}): Promise<{ sim: RunningSimulator; channel: Channel; shelf: MemoryTokenShelf }> {
  const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-bwc-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, confirmation: options.confirmation ?? 'none', protocol: { kind: 'baiwang', credentials: APP } });
  open.push(sim);
  const shelf = options.shelf ?? new MemoryTokenShelf();
  const channel = buildChannel(
    { name: 'bw', protocol: 'baiwang', url: `${sim.url}/router/rest`, ...APP, ...(options.password !== undefined && { password: options.password }) },
    { upstream: { connectTimeoutMs: 500, responseTimeoutMs: 2000, pollAfterMs: 20 }, observer: () => ({ phase: () => undefined, certificate: () => undefined }), tokens: shelf },
  );
  open.push(channel);
  return { sim, channel, shelf };
}

let counter = 0;
function blue(overrides: Record<string, unknown> = {}, special = false): IssueRequest {
  const preview = previewInvoice(special ? validSpecialRequest(overrides) : validRequest(overrides));
  if (!preview.ok) throw new Error(`invalid fixture: ${JSON.stringify(preview)}`);
  return { serialNo: `01KB${String(Date.now()).slice(-8)}${String(++counter).padStart(8, '0')}`, sellerTaxId: SELLER, orderNo: `SO-${counter}`, invoice: { ...computedInvoiceJson(preview.invoice), seller: { taxId: SELLER, name: '演示科技（杭州）有限公司' } } };
}

const call = () => ({ signal: AbortSignal.timeout(5000) });

async function settled(channel: Channel, serialNo: string, red = false): Promise<QueryOutcome> {
  return eventually(async () => {
    const outcome = await channel.query(SELLER, serialNo, { ...call(), red });
    return outcome.kind === 'accepted' || outcome.kind === 'not_found' ? undefined : outcome;
  }, 5000, () => `${serialNo} never settled`);
}

describe('the 百望 channel', () => {
  it('fetches one token for many calls and keeps both tokens on the shelf', async () => {
    const { sim, channel, shelf } = await start();
    await Promise.all([1, 2, 3].map(() => channel.issue(blue(), call())));
    expect(sim.tokenCalls()).toBe(1);
    expect(await shelf.read('bw')).toMatchObject({ token: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown });
    expect((await shelf.read(refreshKey('bw')))!.expiresAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  });

  it('renews a refused token once (100001) and the call goes through', async () => {
    const shelf = new MemoryTokenShelf();
    await shelf.write('bw', { token: 'not-a-token-the-simulator-gave', expiresAt: Date.now() + 3_600_000 });
    const { sim, channel } = await start({ shelf });
    const request = blue();
    expect(await channel.issue(request, call())).toMatchObject({ kind: 'issued' });
    expect(sim.tokenCalls()).toBe(1);
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(1);
  });

  it('renews a lapsed token with the refresh token, without the password', async () => {
    const first = await start();
    await first.channel.issue(blue(), call());
    const refresh = await first.shelf.read(refreshKey('bw'));
    // The same simulator, a channel whose password is wrong: only the refresh grant can work.
    const shelf = new MemoryTokenShelf();
    await shelf.write('bw', { token: 'lapsed', expiresAt: Date.now() - 1 });
    await shelf.write(refreshKey('bw'), refresh!);
    const channel = buildChannel(
      { name: 'bw', protocol: 'baiwang', url: `${first.sim.url}/router/rest`, ...APP, password: 'wrong' },
      { upstream: { connectTimeoutMs: 500, responseTimeoutMs: 2000, pollAfterMs: 20 }, observer: () => ({ phase: () => undefined, certificate: () => undefined }), tokens: shelf },
    );
    open.push(channel);
    expect(await channel.issue(blue(), call())).toMatchObject({ kind: 'issued' });
    expect((await shelf.read(refreshKey('bw')))!.token).not.toBe(refresh!.token);
  });

  it('parks the channel on a wrong password (101, operator), having sent nothing', async () => {
    const { sim, channel } = await start({ password: 'wrong' });
    await expect(channel.issue(blue(), call())).rejects.toMatchObject({ code: 'auth_failed', disposition: 'operator', details: { upstreamCode: '101' } });
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(0);
  });

  it('carries every amount to the fen as the invoice computed it', async () => {
    const { channel } = await start();
    const request = blue({ lines: [validLine({ quantity: '3', unitPrice: '411522.63', amount: '1234567.89' }), validLine({ amount: '0.01', quantity: '1', unitPrice: '0.01' })] });
    const outcome = await channel.issue(request, call());
    expect(outcome).toMatchObject({ kind: 'issued', reportedTotals: { amount: request.invoice.totals.amount, tax: request.invoice.totals.tax, total: request.invoice.totals.total } });
  });

  it('files a red invoice as a 红字确认单: a 普票 is issued at once (01), a 专票 waits for the buyer (02) and is issued once confirmed (04)', async () => {
    const { sim, channel } = await start({ confirmation: 'required' });
    for (const type of ['normal', 'special'] as const) {
      const original = blue({}, type === 'special');
      const issued = await channel.issue(original, call());
      if (issued.kind !== 'issued') throw new Error(`blue not issued: ${JSON.stringify(issued)}`);
      const flush = redFlush({ reason: 'issued_in_error' }, { id: 'blue', number: issued.number, invoice: original.invoice, flushed: [] });
      if (flush.kind !== 'ok') throw new Error(`red flush refused: ${JSON.stringify(flush)}`);
      const red: IssueRequest = { serialNo: `${original.serialNo.slice(0, -1)}R`, sellerTaxId: SELLER, orderNo: `${original.orderNo}-R`, invoice: { ...flush.red, seller: original.invoice.seller }, red: { blueNumber: issued.number, reason: 'issued_in_error', whole: true } };
      const first = await channel.issue(red, call());
      if (type === 'normal') {
        expect(first).toMatchObject({ kind: 'issued', confirmation: { status: '01' } });
        continue;
      }
      expect(first).toMatchObject({ kind: 'awaiting_confirmation', status: '02' });
      const billNo = (first as { billNo: string }).billNo;
      expect((await fetch(`${sim.url}/_admin/confirmations/${billNo}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"agree":true}' })).status).toBe(200);
      expect(await settled(channel, red.serialNo, true)).toMatchObject({ kind: 'issued', confirmation: { billNo, status: '04' } });
      // Sent again after it was filed: read back, never filed twice.
      expect(await channel.issue(red, call())).toMatchObject({ kind: 'issued' });
    }
    expect(sim.ledger.issued(Date.now() + 1000).filter((record) => record.kind === 'red')).toHaveLength(2);
  });

  it('lists the day’s invoices for reconciliation', async () => {
    const { channel } = await start();
    const sent = [blue(), blue()];
    for (const request of sent) await channel.issue(request, call());
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const records = await channel.listIssued!(day, call());
    expect(records.map((record) => record.serialNo).sort()).toEqual(sent.map((request) => request.serialNo).sort());
    expect(records[0]).toMatchObject({ sellerTaxId: SELLER, kind: 'blue', simulated: true, number: expect.stringMatching(/^\d{20}$/) as unknown });
  });
});

describe('百望 codes, one table', () => {
  it('gives every code its disposition and a cause and remedy in both languages', () => {
    const disposition = (code: string, action: 'submit' | 'query') => answerError({ success: false, errorResponse: { code, message: 'x' } }, action).disposition;
    expect(disposition('100007', 'submit')).toBe('operator');
    expect(disposition('101', 'submit')).toBe('operator');
    expect(disposition('70169', 'submit')).toBe('rejected');
    expect(disposition('70035', 'submit')).toBe('rejected');
    expect(disposition('410', 'submit')).toBe('retry');
    expect(disposition('416', 'query')).toBe('retry');
    expect(disposition('99', 'submit')).toBe('uncertain');
    expect(disposition('424242', 'submit')).toBe('uncertain');
    expect(disposition('424242', 'query')).toBe('retry');
    expect(answerError({ success: false, errorResponse: { code: '70180', message: '当月发票额度不足' } }, 'submit')).toMatchObject({ code: 'quota_exhausted', disposition: 'retry' });
    for (const [code, entry] of Object.entries(BAIWANG_CODES)) {
      expect(entry.cause.zh.length, code).toBeGreaterThan(2);
      expect(entry.remedy.en.length, code).toBeGreaterThan(2);
    }
  });
});
