// A simulated month of one seller's 发票额度, through a real gateway and the simulator sharing a
// clock the test moves (three hours a step), on this run's database: a quota of 100,000.00,
// invoices arriving at a rising rate in office-hours waves, 20,000.00 used elsewhere (the
// simulator's admin endpoint), one same-month red invoice and one 销售折让. The forecast converges
// on the true exhaustion before the last 20 % is used; the alert's metrics and the quota.low
// webhook fire; invoices beyond the quota wait, none is refused upstream, and all go through after
// a mid-month raise.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { SELLER } from '../support/fixtures.js';
import { validLine, validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const HOUR = 3_600_000;
const STEP = 3 * HOUR;
const MONTH_START = Date.parse('2026-12-01T00:00:00+08:00');
const clock = { at: MONTH_START + 60_000, now() { return this.at; } };

let simulator: RunningSimulator;
let t: TestGateway;
let receiver: Server;
const heard: Array<{ type: string; data: Record<string, unknown> }> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      heard.push(JSON.parse(body) as { type: string; data: Record<string, unknown> });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-quota-month-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, quotaFen: 10_000_000n, clock });
  t = await startTestGateway(
    {
      channels: [{ name: 'sim', url: simulator.url }],
      // Read once a step (fake time); snapshots and reads looked for every few real milliseconds.
      quota: { readIntervalMs: STEP, refreshMs: 50, pollIntervalMs: 50 },
      deliveries: { allowPrivate: true },
      reconcileAt: null,
    },
    { clock },
  );
  const hook = await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, json: { url: receiverUrl, events: ['quota.low'], sellers: [SELLER] } });
  expect(hook.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await simulator?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

interface Accepted {
  readonly id: string;
  readonly acceptedAt: number;
}

let orders = 0;
/** An invoice of `yuan` tax-excluded (6 % VAT on top). */
async function accept(yuan: string): Promise<Accepted> {
  const orderNo = `M-${++orders}`;
  const answer = await http(`${t.gateway.url}/v1/invoices`, {
    key: t.key,
    idempotencyKey: orderNo,
    json: validRequest({ orderNo, priceIncludesTax: false, lines: [validLine({ quantity: undefined, unitPrice: undefined, amount: yuan })] }),
  });
  expect(answer.status, answer.text).toBe(202);
  return { id: String(answer.body.id), acceptedAt: clock.at };
}

async function invoice(id: string): Promise<Record<string, unknown>> {
  return (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
}

/** Waits until the invoice is issued or waits for quota: nothing of it in flight. Time passes meanwhile (a second a look). */
async function settled(id: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      clock.at += 1000;
      const body = await invoice(id);
      return body.status === 'issued' || body.stage === 'awaiting_quota' || body.status === 'rejected' || body.status === 'failed' ? body : undefined;
    },
    10_000,
    async () => `${id} never settled: ${JSON.stringify(await invoice(id))}`,
  );
}

async function quota(): Promise<Record<string, unknown>> {
  const answer = await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { key: t.key });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Lets the reader read (its turn is due after the clock moved) and the guard take a fresh snapshot. */
async function freshQuota(): Promise<Record<string, unknown>> {
  const readBefore = Date.now();
  return eventually(
    async () => {
      const view = await quota();
      const read = view.read as { at: string | null };
      // A read made at the fake time now, and a snapshot taken after it (a few real polls).
      return read.at !== null && Date.parse(read.at) >= clock.at && Date.now() - readBefore > 150 ? view : undefined;
    },
    10_000,
    async () => `no fresh reading: ${JSON.stringify(await quota())}`,
  );
}

async function metric(name: string): Promise<number | undefined> {
  const text = (await http(`${t.gateway.url}/metrics`)).text;
  const line = text.split('\n').find((row) => row.startsWith(`${name}{seller="${SELLER}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * Invoices in a step: office hours (9–18 Beijing) busy, evenings less, nights nothing; the rate
 * rising steadily through the month (what a step's whole invoices leave over is carried on).
 */
let carried = 0;
function demand(stepStart: number): number {
  const hour = new Date(stepStart + 8 * HOUR).getUTCHours();
  const day = (stepStart - MONTH_START) / (24 * HOUR);
  const shape = hour >= 9 && hour < 18 ? 3 : hour >= 18 && hour < 21 ? 1 : 0;
  carried += shape * (1 + day / 8);
  const whole = Math.floor(carried);
  carried -= whole;
  return whole;
}

describe('a simulated month of the quota guard', () => {
  it('forecasts the exhaustion, alerts, holds what the quota cannot cover, and issues it all after a raise', async () => {
    const accepted: Accepted[] = [];
    const forecasts: Array<{ at: number; usedShare: number; exhaustsAt: number | null }> = [];
    let firstWaiting: Accepted | undefined;
    let raisedAt: number | undefined;
    let alertAt: number | undefined;
    let lowRatioAt: number | undefined;
    let red: string | undefined;
    let allowance: string | undefined;

    for (let step = 0; step < 8 * 31; step++) {
      const stepStart = MONTH_START + step * STEP;
      clock.at = stepStart + 60_000;
      const view = await freshQuota();
      const total = Number(view.total);
      const usedShare = (total - Number(view.remaining)) / total;
      forecasts.push({ at: clock.at, usedShare, exhaustsAt: view.exhaustsAt === null ? null : Date.parse(view.exhaustsAt as string) });
      const secondsLeft = await metric('fapiao_quota_exhaustion_seconds');
      if (alertAt === undefined && secondsLeft !== undefined && secondsLeft < 86_400) alertAt = clock.at;
      const ratio = await metric('fapiao_quota_remaining_ratio');
      if (lowRatioAt === undefined && ratio !== undefined && ratio < 0.1) lowRatioAt = clock.at;

      // Day 5 (a Saturday): 20,000.00 issued by hand in the 电子税务局.
      if (step === 8 * 4 + 4) expect((await http(`${simulator.url}/_admin/quota`, { method: 'POST', json: {} })).status).toBe(404);
      if (step === 8 * 4 + 4) {
        const put = await fetch(`${simulator.url}/_admin/quota`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sellerTaxId: SELLER, usedElsewhere: '20000.00' }) });
        expect(put.status).toBe(200);
      }
      // Half a day after the first invoice had to wait: the tax office raises the quota (人工赋额调整).
      if (firstWaiting && raisedAt === undefined && clock.at - firstWaiting.acceptedAt > 12 * HOUR) {
        const put = await fetch(`${simulator.url}/_admin/quota`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sellerTaxId: SELLER, total: '160000.00' }) });
        expect(put.status).toBe(200);
        raisedAt = clock.at;
      }
      if (raisedAt !== undefined && clock.at - raisedAt > 2 * STEP) break;

      const count = demand(stepStart);
      for (let i = 0; i < count; i++) {
        clock.at = stepStart + 60_000 + Math.floor(((i + 1) * (STEP - 120_000)) / (count + 1));
        const one = await accept('500.00');
        accepted.push(one);
        const body = await settled(one.id);
        expect(body.status, JSON.stringify(body)).not.toBe('rejected');
        if (body.stage === 'awaiting_quota' && !firstWaiting) firstWaiting = one;
      }
      // Day 3: one red invoice in the month (half of an invoice given back), one 销售折让 (nothing given back).
      if (step === 8 * 2 + 4) {
        const blue = accepted[accepted.length - 1]!.id;
        const flush = await http(`${t.gateway.url}/v1/invoices/${blue}/red-flush`, { key: t.key, idempotencyKey: 'red-1', json: { reason: 'service_stopped', lines: [{ line: 0, amount: '-265.00' }] } });
        expect(flush.status, flush.text).toBe(202);
        red = String(flush.body.id);
        expect((await settled(red)).status).toBe('issued');
        const other = accepted[accepted.length - 2]!.id;
        const cut = await http(`${t.gateway.url}/v1/invoices/${other}/red-flush`, { key: t.key, idempotencyKey: 'allowance-1', json: { reason: 'sales_allowance', lines: [{ line: 0, amount: '-53.00' }] } });
        expect(cut.status, cut.text).toBe(202);
        allowance = String(cut.body.id);
        expect((await settled(allowance)).status).toBe('issued');
      }
    }

    // The quota ran out mid-month, and was raised.
    expect(firstWaiting).toBeDefined();
    expect(raisedAt).toBeDefined();
    expect(red).toBeDefined();
    expect(allowance).toBeDefined();
    const trueEnd = firstWaiting!.acceptedAt;
    expect(new Date(trueEnd + 8 * HOUR).getUTCDate()).toBeGreaterThanOrEqual(10);

    // The forecast converged before the last 20 % was used: from the step where 80 % was used until
    // 90 %, every forecast within 10 % of the time truly left (what it printed, below, goes to the end).
    const before = forecasts.filter((item) => item.at < trueEnd);
    const late = before.filter((item) => item.usedShare >= 0.8 && item.usedShare < 0.9);
    expect(late.length).toBeGreaterThan(0);
    const errorAt = (item: (typeof forecasts)[number]) => (item.exhaustsAt === null ? Infinity : Math.abs(item.exhaustsAt - trueEnd) / (trueEnd - item.at));
    const report = before.filter((item) => item.usedShare >= 0.3).map((item) => `${new Date(item.at + 8 * HOUR).toISOString().slice(5, 13)} used ${(item.usedShare * 100).toFixed(0)}% error ${(errorAt(item) * 100).toFixed(1)}%`);
    console.log(`true exhaustion ${new Date(trueEnd + 8 * HOUR).toISOString().slice(0, 16)} (Beijing); forecast error over time:\n${report.join('\n')}`);
    for (const item of late) expect(errorAt(item), `at ${new Date(item.at).toISOString()}`).toBeLessThan(0.1);

    // The alert's metrics crossed their thresholds before the quota ran out, and quota.low was delivered once.
    expect(alertAt).toBeDefined();
    expect(alertAt!).toBeLessThan(trueEnd);
    expect(lowRatioAt).toBeDefined();
    await eventually(async () => (heard.length > 0 ? true : undefined), 10_000, () => 'quota.low never delivered');
    expect(heard.map((event) => event.type)).toEqual(['quota.low']);
    expect(heard[0]!.data).toMatchObject({ quota: { sellerTaxId: SELLER, known: true, month: '2026-12' } });

    // Every invoice went through, none refused upstream; the waiting ones only after the raise.
    for (const one of accepted) {
      const body = await eventually(async () => {
        const current = await invoice(one.id);
        return current.status === 'pending' ? undefined : current;
      }, 10_000, () => `${one.id} still pending`);
      expect(body.status).toBe('issued');
    }
    const waited = accepted.filter((one) => one.acceptedAt >= trueEnd);
    expect(waited.length).toBeGreaterThan(0);
    const ledger = (await fetch(`${simulator.url}/_admin/ledger`).then((answer) => answer.json())) as Array<{ issuedAt: string }>;
    expect(ledger).toHaveLength(accepted.length + 2);
    const timeline = (await http(`${t.gateway.url}/v1/invoices/${firstWaiting!.id}/timeline`, { key: t.key })).body.data as Array<{ what: string; kind: string; errorCode: string | null }>;
    expect(timeline.map((entry) => entry.what)).toContain('quota_short');
    // It waited without being sent: no attempt before the raise's send.
    expect(timeline.filter((entry) => entry.kind === 'attempt' && entry.errorCode === 'quota_exhausted')).toEqual([]);

    // The books: used elsewhere is the 20,000.00 booked by hand; the red invoice gave back its 265.00 (tax-excluded: the blue
    // invoices' prices exclude tax), the allowance nothing.
    const end = await freshQuota();
    expect(end).toMatchObject({ usedElsewhere: '20000.00', total: '160000.00', waiting: { count: 0 } });
    const issuedHere = accepted.length * 500 - 265;
    expect(end.remaining).toBe((160_000 - 20_000 - issuedHere).toFixed(2));
  }, 600_000);
});
