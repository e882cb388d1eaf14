// GET/PUT /v1/sellers/{taxId}/quota and the request's quotaPolicy and priority, through a gateway and
// the reference simulator keeping a 5,000.00 quota: a seller's own quota only; the reserve set by an
// admin and refused in any other shape; "refuse" answered 409 with the figures and nothing stored;
// a crowd of invoices at once issued exactly as far as the quota goes, the rest waiting, none
// refused upstream; the reserve kept for high priority.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { validLine, validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { quotaFinding, quotaSnapshots } from '../../src/doctor/quota-check.js';

let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-quota-api-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, quotaFen: 500_000n });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], quota: { readIntervalMs: 200, refreshMs: 50, pollIntervalMs: 50 } });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await simulator?.close();
});

let orders = 0;
const invoiceOf = (yuan: string, extra: Record<string, unknown> = {}) => {
  const orderNo = `QA-${++orders}`;
  return { orderNo, body: validRequest({ orderNo, priceIncludesTax: false, lines: [validLine({ quantity: undefined, unitPrice: undefined, amount: yuan })], ...extra }) };
};
const post = (yuan: string, extra: Record<string, unknown> = {}) => {
  const { orderNo, body } = invoiceOf(yuan, extra);
  return http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: orderNo, json: body });
};
const quota = (key = t.key, seller = SELLER) => http(`${t.gateway.url}/v1/sellers/${seller}/quota`, { key });
const put = (json: unknown, key = t.adminKey, seller = SELLER) => fetch(`${t.gateway.url}/v1/sellers/${seller}/quota`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
const settle = (id: string) =>
  eventually(
    async () => {
      const body = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
      return body.status === 'issued' || body.stage === 'awaiting_quota' || body.status === 'rejected' ? body : undefined;
    },
    10_000,
    () => `${id} never settled`,
  );

describe('the quota API', () => {
  it('shows a seller its own quota once read, and nobody else’s', async () => {
    const view = await eventually(async () => {
      const answer = await quota();
      return answer.body.known === true ? answer : undefined;
    }, 10_000, () => 'the quota was never read');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ sellerTaxId: SELLER, month: expect.stringMatching(/^\d{4}-\d{2}$/) as unknown, total: '5000.00', remaining: '5000.00', committed: '0.00', usedElsewhere: '0.00', reserve: '0.00', exhaustsAt: null, read: { channel: 'sim', error: null } });
    // Another seller's key, a seller no key acts for, a seller that does not exist: all the same 404.
    expect((await quota(t.otherKey)).status).toBe(404);
    expect((await quota(t.key, OTHER_SELLER)).status).toBe(404);
    expect((await quota(t.key, '91110000600037341L')).status).toBe(404);
    expect((await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`)).status).toBe(401);
    expect((await quota(t.revokedKey)).status).toBe(401);
  });

  it('takes a reserve from an admin only, in one shape only, and changes nothing otherwise', async () => {
    expect((await put({ reserve: '100.00' }, t.key)).status).toBe(403);
    for (const body of [{ reserve: -1 }, { reserve: '-1.00' }, { reserve: '1.001' }, { reserve: '100.00', extra: 1 }, {}, [], 'x']) {
      const answer = await put(body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(((await answer.json()) as { code: string }).code).toBe('quota_invalid');
    }
    const malformed = await fetch(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { method: 'PUT', headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' }, body: '{"reserve":' });
    expect(malformed.status).toBe(400);
    expect((await put({ reserve: '100.00' }, t.adminKey, '91110000600037341L')).status).toBe(404);
    expect((await quota()).body.reserve).toBe('0.00');
    const set = await put({ reserve: '1500.00' });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { reserve: string }).reserve).toBe('1500.00');
    expect((await put({ reserve: '0.00' })).status).toBe(200);
    // Read again soon: an admin's, for its own sellers.
    expect((await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota/read`, { method: 'POST', key: t.key })).status).toBe(403);
    expect((await http(`${t.gateway.url}/v1/sellers/91110000600037341L/quota/read`, { method: 'POST', key: t.adminKey })).status).toBe(404);
    expect((await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota/read`, { method: 'POST', key: t.adminKey })).status).toBe(202);
  });

  it('issues a crowd at once exactly as far as the quota goes; the rest waits, none refused upstream', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => post('1000.00')));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 12 }, () => 202));
    // A send counted upstream before its settle lands here is counted twice for a moment (both used
    // and on its way): an invoice judged then waits, and goes at the next snapshot, which shows the room.
    const ids = answers.map((answer) => String(answer.body.id));
    const settled = await eventually(
      async () => {
        const bodies = await Promise.all(ids.map((id) => settle(id)));
        return bodies.filter((body) => body.status === 'issued').length === 5 ? bodies : undefined;
      },
      15_000,
      () => 'five never issued',
    );
    expect(settled.filter((body) => body.status === 'issued')).toHaveLength(5);
    expect(settled.filter((body) => body.stage === 'awaiting_quota')).toHaveLength(7);
    expect(simulator.ledger.issued(Date.now() + 1000)).toHaveLength(5);
    const view = await eventually(async () => {
      const body = (await quota()).body;
      // Settles land a moment after the upstream counts them: until then they are both used and committed.
      return (body.waiting as { count: number }).count === 7 && body.remaining === '0.00' && body.committed === '7000.00' && body.usedElsewhere === '0.00' ? body : undefined;
    }, 10_000, () => 'the quota never showed the waiting invoices (or counted its own issuing as used elsewhere)');
    // A reading taken while the five were on their way counts them as used upstream; once settled they are ours, not "elsewhere".
    expect(view).toMatchObject({ committed: '7000.00', usedElsewhere: '0.00', waiting: { count: 7, amount: '7000.00' }, remainingShare: 0 });
    expect(Date.parse(String(view.exhaustsAt))).toBeLessThanOrEqual(Date.now());

    // The metrics the alerts read: out now, nothing left (from the guard's own snapshots, a round behind a look).
    const metrics = await eventually(
      async () => {
        const text = (await http(`${t.gateway.url}/metrics`)).text;
        return text.includes(`fapiao_quota_remaining_yuan{seller="${SELLER}"} 0`) ? text : undefined;
      },
      10_000,
      () => 'the metrics never showed the quota spent',
    );
    expect(metrics).toContain(`fapiao_quota_remaining_yuan{seller="${SELLER}"} 0`);
    expect(metrics).toContain(`fapiao_quota_remaining_ratio{seller="${SELLER}"} 0`);
    expect(metrics).toMatch(new RegExp(`^fapiao_quota_exhaustion_seconds\\{seller="${SELLER}"\\} 0$`, 'm'));
    expect(metrics).toContain(`fapiao_quota_remaining_yuan{seller="${OTHER_SELLER}"} 5000`);

    // fapiao doctor's view of the same store: this seller fails (out now, seven waiting); the other is fine.
    // (A snapshot can catch the seven being judged again after a wake: for that moment they are not waiting.)
    const findings = await eventually(async () => {
      const snapshots = await quotaSnapshots(t.gateway.store, Date.now);
      const found = new Map(snapshots.map((snapshot) => [snapshot.sellerTaxId, quotaFinding(snapshot, Date.now())]));
      return found.get(SELLER)?.detail.includes('7 invoices') ? found : undefined;
    }, 10_000, () => 'the doctor never saw the seven waiting');
    expect(findings.get(SELLER)).toMatchObject({ status: 'fail', code: 'gateway.quota_runs_out', detail: expect.stringContaining('7 invoices (7000.00) waiting for quota') as unknown });
    expect(findings.get(SELLER)!.detail).toContain('0.00 of 5000.00 left');
    expect(findings.get(OTHER_SELLER)).toMatchObject({ status: 'ok', detail: expect.stringContaining('5000.00 of 5000.00 left') as unknown });
  });

  it('refuses at once, with the figures and nothing stored, a request that asks to be refused beyond the quota', async () => {
    const before = (await http(`${t.gateway.url}/v1/invoices?limit=100`, { key: t.key })).body.data as unknown[];
    const refused = await post('10.00', { quotaPolicy: 'refuse' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', amount: '10.00', remaining: '0.00', reserve: '0.00' });
    expect(Number(refused.body.available)).toBeLessThan(10);
    expect(((await http(`${t.gateway.url}/v1/invoices?limit=100`, { key: t.key })).body.data as unknown[]).length).toBe(before.length);
    expect((await post('10.00', { quotaPolicy: 'never' })).body).toMatchObject({ code: 'invoice_invalid' });
    expect((await post('10.00', { priority: 'urgent' })).body).toMatchObject({ code: 'invoice_invalid' });
  });

  it('sends the waiting invoices after a raise, and keeps the reserve for high priority', async () => {
    // Raised by 9,000.00: the 7,000.00 waiting go, 2,000.00 is left, 1,500.00 of it kept in reserve.
    expect((await put({ reserve: '1500.00' })).status).toBe(200);
    await fetch(`${simulator.url}/_admin/quota`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sellerTaxId: SELLER, total: '14000.00' }) });
    await eventually(async () => (simulator.ledger.issued(Date.now() + 1000).length === 12 ? true : undefined), 15_000, () => 'the waiting invoices never went');
    await eventually(async () => (((await quota()).body.waiting as { count: number }).count === 0 ? true : undefined), 10_000, () => 'the quota still shows invoices waiting');
    await eventually(async () => ((await quota()).body.remaining === '2000.00' ? true : undefined), 10_000, () => 'the quota never showed 2,000.00 left');
    // 600.00 normal: 2,000.00 − 1,500.00 reserved leaves 500.00: it waits. The same as high priority goes.
    const normal = await post('600.00');
    expect((await settle(String(normal.body.id))).stage).toBe('awaiting_quota');
    const urgent = await post('600.00', { priority: 'high' });
    expect((await settle(String(urgent.body.id))).status).toBe('issued');
    expect((await post('600.00', { priority: 'high', quotaPolicy: 'refuse' })).status).toBe(202);
  });
});
