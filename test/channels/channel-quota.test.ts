// The monthly 发票额度 through each protocol's channel and its simulator (real HTTP servers, the
// simulator on a clock the test moves): the channel reads it; an invoice beyond it is refused before
// anything is recorded (quota_exhausted, not sent) and goes once the quota is raised; a same-month
// red invoice gives its amount back, a 销售折让 does not; the month's turn starts again; 诺诺's
// getCreditLine is held to 20 reads a day, 30 s apart.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, IssueRequest, QueryOutcome } from '../../src/channels/channel.js';
import { buildChannel } from '../../src/channels/registry.js';
import { MemoryTokenShelf } from '../../src/channels/token-shelf.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { redFlush } from '../../src/domain/red-flush.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const SELLER = '91330106MA2B0Y5R34';
const CREDENTIALS = { appKey: 'QUOTAKEY', appSecret: 'quota-secret' };
const DAY = 86_400_000;
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

type Protocol = 'reference' | 'nuonuo';

/** A simulator with every seller's quota 2,500.00 yuan, on a clock the test moves (from 10 December). */
async function upstream(protocol: Protocol) {
  const clock = { at: Date.parse('2026-12-10T10:00:00+08:00'), now() { return this.at; } };
  const sim = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-quota-')),
    port: 0,
    host: '127.0.0.1',
    dedup: true,
    faults: NO_FAULTS,
    protocol: protocol === 'nuonuo' ? { kind: 'nuonuo', credentials: CREDENTIALS } : { kind: 'reference' },
    quotaFen: 250_000n,
    clock,
  });
  open.push(sim);
  const config = protocol === 'nuonuo' ? { name: 'nn', protocol: 'nuonuo' as const, url: `${sim.url}/open/v1/services`, tokenUrl: `${sim.url}/accessToken`, ...CREDENTIALS } : { name: 'ref', url: sim.url };
  const channel = buildChannel(config, { upstream: { connectTimeoutMs: 500, responseTimeoutMs: 2000, pollAfterMs: 20 }, observer: () => ({ phase: () => undefined, certificate: () => undefined }), tokens: new MemoryTokenShelf() });
  open.push(channel);
  return { sim, channel, clock };
}

const call = () => ({ signal: AbortSignal.timeout(5000) });
let counter = 0;

/** A blue invoice of 1,000.00 yuan tax-excluded (1,060.00 with 6 % VAT). */
function blue(): IssueRequest {
  const preview = previewInvoice(validRequest());
  if (!preview.ok) throw new Error('invalid fixture');
  counter++;
  return { serialNo: `QT${String(Date.now()).slice(-8)}${String(counter).padStart(10, '0')}`, sellerTaxId: SELLER, orderNo: `Q-${counter}`, invoice: { ...computedInvoiceJson(preview.invoice), seller: { taxId: SELLER, name: '演示科技（杭州）有限公司' } } };
}

function redOf(of: IssueRequest, number: string, body: unknown): IssueRequest {
  const flushed = redFlush(body, { id: 'blue', number, invoice: of.invoice, flushed: [] });
  if (flushed.kind !== 'ok') throw new Error(JSON.stringify(flushed));
  const { red, ...invoice } = flushed.red;
  const request = blue();
  return { ...request, invoice: { ...invoice, seller: of.invoice.seller }, red: { blueNumber: red.blueNumber, reason: red.reason, whole: red.whole === true } };
}

async function settled(channel: Channel, serialNo: string, red = false): Promise<QueryOutcome> {
  return eventually(
    async () => {
      const outcome = await channel.query(SELLER, serialNo, { ...call(), red });
      return outcome.kind === 'issued' || outcome.kind === 'rejected' ? outcome : undefined;
    },
    5000,
    () => `${serialNo} never settled`,
  );
}

async function issue(channel: Channel, request: IssueRequest, red = false): Promise<string> {
  await channel.issue(request, call());
  const outcome = await settled(channel, request.serialNo, red);
  if (outcome.kind !== 'issued') throw new Error(`${request.serialNo} ended ${outcome.kind}`);
  return outcome.number;
}

const admin = async (sim: RunningSimulator, body: unknown) => {
  const answer = await fetch(`${sim.url}/_admin/quota`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
};

describe.each(['reference', 'nuonuo'] as const)('the monthly quota through %s', (protocol) => {
  it('is read, refuses an invoice beyond it before recording anything, and lets the same serial go after a raise', async () => {
    const { sim, channel, clock } = await upstream(protocol);
    expect(await channel.readQuota!(SELLER, call())).toEqual({ totalFen: 250_000n, usedFen: 0n, remainingFen: 250_000n, asOf: expect.any(Number) as unknown });
    await issue(channel, blue());
    clock.at += 60_000;
    await issue(channel, blue());
    clock.at += 60_000;
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ totalFen: 250_000n, usedFen: 200_000n, remainingFen: 50_000n });

    const third = blue();
    await expect(channel.issue(third, call())).rejects.toMatchObject({ code: 'quota_exhausted', disposition: 'retry' });
    expect(sim.ledger.find(third.serialNo)).toBeUndefined();

    // 赋额临时调整 and some used by hand in the 电子税务局: the figures say so, and the serial goes.
    expect(await admin(sim, { sellerTaxId: SELLER, total: '4000.00', usedElsewhere: '500.00' })).toMatchObject({ status: 200, body: { total: '4000.00', used: '2500.00', usedElsewhere: '500.00', remaining: '1500.00' } });
    clock.at += 60_000;
    await issue(channel, third);
    clock.at += 60_000;
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ totalFen: 400_000n, usedFen: 350_000n, remainingFen: 50_000n });
  });

  it('takes back a same-month red invoice, not a 销售折让, and starts again when the month turns (Beijing time)', async () => {
    const { sim, channel, clock } = await upstream(protocol);
    const first = blue();
    const number = await issue(channel, first);
    clock.at += 60_000;
    await issue(channel, redOf(first, number, { reason: 'sales_allowance', lines: [{ line: 0, amount: '-106.00' }] }), true);
    clock.at += 60_000;
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ usedFen: 100_000n });
    await issue(channel, redOf(first, number, { reason: 'service_stopped', lines: [{ line: 0, amount: '-530.00' }] }), true);
    clock.at += 60_000;
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ usedFen: 50_000n, remainingFen: 200_000n });

    // 23:59 on 31 December, then 00:01 on 1 January in Beijing.
    clock.at = Date.parse('2026-12-31T23:59:00+08:00');
    await issue(channel, blue());
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ usedFen: 150_000n });
    clock.at = Date.parse('2027-01-01T00:01:00+08:00');
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ totalFen: 250_000n, usedFen: 0n, remainingFen: 250_000n });
    expect(await fetch(`${sim.url}/_admin/quota?sellerTaxId=${SELLER}`).then((answer) => answer.json())).toMatchObject({ month: '2027-01', used: '0.00' });
  });

  it('keeps no quota for a seller it was not given one, and refuses a malformed admin change', async () => {
    const { sim, channel } = await upstream(protocol);
    expect(await admin(sim, { sellerTaxId: SELLER, total: '-5' })).toMatchObject({ status: 400 });
    expect(await admin(sim, { sellerTaxId: SELLER, total: 100 })).toMatchObject({ status: 400 });
    expect(await admin(sim, { sellerTaxId: SELLER, extra: '1' })).toMatchObject({ status: 400 });
    expect(await admin(sim, { total: '1.00' })).toMatchObject({ status: 400 });
    // Every seller has the default here; the channel reads another's all the same.
    expect(await channel.readQuota!('91110000600037341L', call())).toMatchObject({ totalFen: 250_000n });
  });
});

describe('getCreditLine’s own limits', () => {
  it('answers at most 20 reads a day, 30 s apart, as 诺诺 allows; the next day counts again', async () => {
    const { channel, clock } = await upstream('nuonuo');
    await channel.readQuota!(SELLER, call());
    await expect(channel.readQuota!(SELLER, call())).rejects.toMatchObject({ details: { upstreamCode: 'E9803' } });
    for (let read = 2; read <= 20; read++) {
      clock.at += 30_000;
      await channel.readQuota!(SELLER, call());
    }
    clock.at += 30_000;
    await expect(channel.readQuota!(SELLER, call())).rejects.toMatchObject({ details: { upstreamCode: 'E9802' } });
    clock.at += DAY;
    expect(await channel.readQuota!(SELLER, call())).toMatchObject({ totalFen: 250_000n });
    expect(channel.quotaReads).toEqual({ perDay: 20, gapMs: 30_000 });
  });
});
