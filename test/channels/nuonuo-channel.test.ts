// The 诺诺 adapter against the simulator in 诺诺 mode (a real HTTP server checking signatures,
// tokens and timestamps): issue and query through 诺诺's statuses, E9106 answered by a query, a
// token kept across restarts and renewed once when refused, and each refusal classified.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NuonuoChannel, type NuonuoChannelOptions } from '../../src/channels/nuonuo/nuonuo-channel.js';
import { MemoryTokenShelf, type TokenShelf } from '../../src/channels/token-shelf.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { redFlush } from '../../src/domain/red-flush.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { eventually } from '../support/processes.js';
import { goodsAndServiceRequest, validRequest } from '../support/invoice-request.js';

const CREDENTIALS = { appKey: 'SIMAPPKEY', appSecret: 'sim-app-secret' };
const SELLER = '91330106MA2B0Y5R34';
const running: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.close();
});

/** Tokens kept in memory between channel instances, as the database keeps them between restarts. */
async function simulator(faults: Partial<typeof NO_FAULTS> = {}, dataDir = mkdtempSync(join(tmpdir(), 'fapiao-nn-'))): Promise<RunningSimulator> {
  const sim = await startSimulator({ dataDir, port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, ...faults }, protocol: { kind: 'nuonuo', credentials: CREDENTIALS } });
  running.push(sim);
  return sim;
}

function channel(sim: RunningSimulator, shelf: TokenShelf = new MemoryTokenShelf(), overrides: Partial<NuonuoChannelOptions> = {}): NuonuoChannel {
  const nuonuo = new NuonuoChannel({
    name: 'nuonuo',
    url: `${sim.url}/open/v1/services`,
    tokenUrl: `${sim.url}/accessToken`,
    ...CREDENTIALS,
    connectTimeoutMs: 1000,
    responseTimeoutMs: 2000,
    pollAfterMs: 20,
    tokens: shelf,
    ...overrides,
  });
  running.push(nuonuo);
  return nuonuo;
}

let serial = 0;
function issueRequest(body = validRequest()) {
  const preview = previewInvoice(body);
  if (!preview.ok) throw new Error('invalid fixture');
  const serialNo = `01KB${String(Date.now()).slice(-8)}${String(++serial).padStart(8, '0')}`;
  return { serialNo, sellerTaxId: SELLER, orderNo: 'SO-1', invoice: { ...computedInvoiceJson(preview.invoice), seller: { taxId: SELLER, name: '演示科技（杭州）有限公司' } } };
}

const call = () => ({ signal: AbortSignal.timeout(5000) });

describe('the 诺诺 channel', () => {
  it('issues: accepted, then 诺诺’s statuses until a 20-digit number, with the amounts we sent', async () => {
    const sim = await simulator({ processingMs: 300 });
    const nuonuo = channel(sim);
    const request = issueRequest();
    expect(await nuonuo.issue(request, call())).toEqual({ kind: 'accepted', pollAfterMs: 20 });
    // Just after acceptance 诺诺 says E9500 (not known yet): never proof that nothing was issued.
    expect(await nuonuo.query(SELLER, request.serialNo, call())).toEqual({ kind: 'not_found', authoritative: false });
    const issued = await eventually(async () => {
      const outcome = await nuonuo.query(SELLER, request.serialNo, call());
      return outcome.kind === 'issued' ? outcome : undefined;
    }, 5000, () => 'never issued');
    expect(issued.number).toMatch(/^\d{20}$/);
    const ledger = sim.ledger.issued(Date.now() + 1000);
    expect(ledger.map((record) => [record.serialNo, record.total])).toEqual([[request.serialNo, request.invoice.totals.total]]);
  });

  it('answers a repeated order (E9106) by asking, never by issuing again', async () => {
    const sim = await simulator();
    const nuonuo = channel(sim);
    const request = issueRequest();
    await nuonuo.issue(request, call());
    // 诺诺 has the order (it answered only once it did): the same order again is a repeat.
    expect(sim.ledger.find(request.serialNo)).toBeDefined();
    const again = await nuonuo.issue(request, call());
    expect(again.kind).toBe('issued');
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(1);
  });

  it('reports a business refusal (status 22) with 诺诺’s failCause', async () => {
    const sim = await simulator({ rejectRate: 1 });
    const nuonuo = channel(sim);
    const request = issueRequest();
    await nuonuo.issue(request, call());
    // Asked until 诺诺 has decided (its processing takes a moment), as the dispatcher asks.
    const decided = await eventually(async () => {
      const outcome = await nuonuo.query(SELLER, request.serialNo, call());
      return outcome.kind === 'accepted' ? undefined : outcome;
    }, 5000, () => 'still processing');
    expect(decided).toMatchObject({ kind: 'rejected', upstreamCode: 'status_22', message: expect.stringContaining('购买方') as unknown });
  });

  it('keeps its token across a restart, and fetches a new one once when 诺诺 refuses it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-nn-'));
    const first = await simulator({}, dataDir);
    const shelf = new MemoryTokenShelf();
    await channel(first, shelf).issue(issueRequest(), call());
    // A gateway restart: a new channel, the same shelf. No token call.
    await channel(first, shelf).issue(issueRequest(), call());
    expect(first.tokenCalls()).toBe(1);
    // 诺诺 forgets the token (here: a new simulator process on the same ledger): one renewal, and the call goes through.
    await first.close();
    const second = await simulator({}, dataDir);
    const moved = channel(second, shelf, { url: `${second.url}/open/v1/services`, tokenUrl: `${second.url}/accessToken` });
    expect((await moved.issue(issueRequest(), call())).kind).toBe('accepted');
    expect(second.tokenCalls()).toBe(1);
  });

  it('classifies refusals: wrong secret, a clock 诺诺 refuses, an outage', async () => {
    const sim = await simulator();
    await expect(channel(sim, new MemoryTokenShelf(), { appSecret: 'wrong' }).issue(issueRequest(), call())).rejects.toMatchObject({ code: 'auth_failed', disposition: 'operator' });
    sim.setFaults({ clockSkewSeconds: 600 });
    await expect(channel(sim).issue(issueRequest(), call())).rejects.toMatchObject({ code: 'auth_failed', disposition: 'operator', message: expect.stringContaining('clock') as unknown });
    sim.setFaults({ clockSkewSeconds: 0, errorRate: 1 });
    await expect(channel(sim).query(SELLER, '01KB0000000000000000', call())).rejects.toMatchObject({ code: 'upstream_unavailable', disposition: 'retry' });
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(0);
  });

  it('proves its credentials with a query for an order no one placed (E9500)', async () => {
    const sim = await simulator();
    expect(await channel(sim).checkCredentials(call())).toContain('E9500');
    expect((await channel(sim).ping(call())).ok).toBe(true);
  });

  it('reads the drawer’s login and identity check, and is refused with nothing taken while the login has lapsed', async () => {
    const sim = await simulator();
    const nuonuo = channel(sim, new MemoryTokenShelf(), { extensionNumber: '923' });
    expect(await nuonuo.drawerSession(call())).toEqual({ loggedIn: true, identityConfirmed: true, detail: 'the drawer of extension 923 is logged in, identity confirmed' });

    await drawer(sim, { loggedIn: false });
    expect(await nuonuo.drawerSession(call())).toMatchObject({ loggedIn: false, identityConfirmed: null, detail: expect.stringContaining('logged out') as unknown });
    await expect(nuonuo.issue(issueRequest(), call())).rejects.toMatchObject({ code: 'drawer_login_required', disposition: 'operator', details: { upstreamCode: 'E9701' } });

    await drawer(sim, { loggedIn: true, identityConfirmed: false });
    expect(await nuonuo.drawerSession(call())).toMatchObject({ loggedIn: true, identityConfirmed: false });
    await expect(nuonuo.issue(issueRequest(), call())).rejects.toMatchObject({ code: 'drawer_login_required', details: { upstreamCode: 'E9702' } });
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(0);

    await drawer(sim, { identityConfirmed: true });
    expect((await nuonuo.issue(issueRequest(), call())).kind).toBe('accepted');
  });

  it('takes its faults and the drawer’s state over /_admin as JSON, and refuses what it cannot read', async () => {
    const sim = await simulator();
    const put = (path: string, body: string) => fetch(`${sim.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    expect((await put('/_admin/faults', JSON.stringify({ errorRate: 1 }))).status).toBe(200);
    await expect(channel(sim).checkCredentials(call())).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect((await put('/_admin/faults', JSON.stringify({ errorRate: 0 }))).status).toBe(200);
    expect((await put('/_admin/drawer', JSON.stringify({ loggedIn: 'no' }))).status).toBe(400);
    expect((await put('/_admin/drawer', JSON.stringify({ face: true }))).status).toBe(400);
    expect((await put('/_admin/drawer', '[]')).status).toBe(400);
    expect(await (await fetch(`${sim.url}/_admin/drawer`)).json()).toEqual({ loggedIn: true, identityConfirmed: true });
  });
});

describe('red invoices and the day list through 诺诺', () => {
  /** A blue invoice issued through the channel, and a red request flushing `body` of it under a new serial. */
  async function issuedBlue(nuonuo: NuonuoChannel) {
    // Goods and a service (domain.md §5.4's oats): every reason applies.
    const blue = issueRequest(goodsAndServiceRequest());

    await nuonuo.issue(blue, call());
    const outcome = await settle(nuonuo, blue.serialNo, false);
    if (outcome.kind !== 'issued') throw new Error(`blue ended ${outcome.kind}`);
    const red = (body: unknown) => {
      const flushed = redFlush(body, { id: 'blue', number: outcome.number, invoice: blue.invoice, flushed: [] });
      if (flushed.kind !== 'ok') throw new Error(JSON.stringify(flushed));
      const { red: of, ...invoice } = flushed.red;
      return { ...issueRequest(), invoice: { ...invoice, seller: blue.invoice.seller }, red: { blueNumber: of.blueNumber, reason: of.reason, whole: of.whole === true } };
    };
    return { blue, number: outcome.number, red };
  }

  async function settle(nuonuo: NuonuoChannel, serialNo: string, red: boolean) {
    return eventually(async () => {
      const outcome = await nuonuo.query(SELLER, serialNo, { ...call(), red });
      return outcome.kind === 'issued' || outcome.kind === 'rejected' || outcome.kind === 'awaiting_confirmation' ? outcome : undefined;
    }, 5000, () => `${serialNo} never settled`);
  }

  it('files a 红字确认单 under our serial: partial with 明细 by blue line, whole without, each issued by 诺诺 under our order', async () => {
    const sim = await simulator({ processingMs: 100 });
    const nuonuo = channel(sim);
    const { number, red } = await issuedBlue(nuonuo);
    const partial = red({ reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] });
    expect(await nuonuo.issue(partial, call())).toEqual({ kind: 'accepted', pollAfterMs: 20 });
    const form = sim.ledger.findForm({ billId: partial.serialNo })!;
    expect(form).toMatchObject({ blueNumber: number, reason: '1', orderNo: partial.serialNo, total: partial.invoice.totals.total });
    expect((JSON.parse(form.payload) as { detail: Array<Record<string, string>> }).detail).toEqual([expect.objectContaining({ blueDetailIndex: '1', num: '-1' })]);
    const issued = await settle(nuonuo, partial.serialNo, true);
    expect(issued).toMatchObject({ kind: 'issued', confirmation: { billNo: form.billNo, status: '01' } });
    expect(sim.ledger.find(partial.serialNo)).toMatchObject({ kind: 'red', blueNumber: number, total: partial.invoice.totals.total, billNo: form.billNo });

    // What is left, flushed as an allowance on the other line; a form for more than is left is refused by the bureau (16).
    const rest = red({ reason: 'sales_allowance', lines: [{ line: 1, amount: '-10.00' }] });
    await nuonuo.issue(rest, call());
    expect(await settle(nuonuo, rest.serialNo, true)).toMatchObject({ kind: 'issued' });
    const tooMuch = red({ reason: 'issued_in_error' });
    expect(tooMuch.red.whole).toBe(true);
    await nuonuo.issue(tooMuch, call());
    expect('detail' in (JSON.parse(sim.ledger.findForm({ billId: tooMuch.serialNo })!.payload) as object)).toBe(false);
    expect(await settle(nuonuo, tooMuch.serialNo, true)).toMatchObject({ kind: 'rejected', upstreamCode: 'confirmation_16', message: expect.stringContaining('超过') as unknown });
    expect(sim.ledger.find(tooMuch.serialNo)).toBeUndefined();
  });

  it('answers a form filed twice (its answer lost) by reading it back, and never files or issues twice', async () => {
    const sim = await simulator({ processingMs: 50 });
    const nuonuo = channel(sim);
    const { red } = await issuedBlue(nuonuo);
    const whole = red({ reason: 'issued_in_error' });
    await nuonuo.issue(whole, call());
    const again = await nuonuo.issue(whole, call());
    expect(['accepted', 'issued']).toContain(again.kind);
    expect(await settle(nuonuo, whole.serialNo, true)).toMatchObject({ kind: 'issued', confirmation: { status: '01' } });
    expect(sim.ledger.issued(Date.now() + 1000).filter((record) => record.kind === 'red')).toHaveLength(1);
    // A red serial 诺诺 never saw: no form, which proves nothing by itself.
    expect(await nuonuo.query(SELLER, issueRequest().serialNo, { ...call(), red: true })).toEqual({ kind: 'not_found', authoritative: false });
  });

  it('waits on a special invoice’s form (02) for the counterparty, then issues (04) or ends refused (05)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-nn-'));
    const sim = await startSimulator({ dataDir, port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, protocol: { kind: 'nuonuo', credentials: CREDENTIALS }, confirmation: 'required' });
    running.push(sim);
    const nuonuo = channel(sim);
    const { red } = await issuedBlue(nuonuo);
    const special = (body: unknown) => {
      const request = red(body);
      return { ...request, invoice: { ...request.invoice, type: 'special' as const } };
    };
    const agreed = special({ reason: 'sales_allowance', lines: [{ line: 0, amount: '-10.00' }] });
    await nuonuo.issue(agreed, call());
    const waiting = await settle(nuonuo, agreed.serialNo, true);
    expect(waiting).toMatchObject({ kind: 'awaiting_confirmation', status: '02' });
    const billNo = (waiting as { billNo: string }).billNo;
    const answer = (agree: boolean, bill = billNo) => fetch(`${sim.url}/_admin/confirmations/${bill}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ agree }) });
    expect((await answer(true)).status).toBe(200);
    expect(await settle(nuonuo, agreed.serialNo, true)).toMatchObject({ kind: 'issued', confirmation: { billNo, status: '04' } });
    expect((await answer(false)).status).toBe(409);

    const refused = special({ reason: 'sales_allowance', lines: [{ line: 0, amount: '-20.00' }] });
    await nuonuo.issue(refused, call());
    const second = (await settle(nuonuo, refused.serialNo, true)) as { billNo: string };
    expect((await answer(false, second.billNo)).status).toBe(200);
    expect(await settle(nuonuo, refused.serialNo, true)).toMatchObject({ kind: 'rejected', upstreamCode: 'confirmation_05', confirmation: { status: '05' } });
    expect(sim.ledger.find(refused.serialNo)).toBeUndefined();
  });

  it('lists a day’s issued invoices, blue and red, with our serials and totals', async () => {
    const sim = await simulator({ processingMs: 20 });
    const nuonuo = channel(sim);
    const { blue, number, red } = await issuedBlue(nuonuo);
    const flush = red({ reason: 'issued_in_error' });
    await nuonuo.issue(flush, call());
    const redIssued = await settle(nuonuo, flush.serialNo, true);
    const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const listed = await nuonuo.listIssued(day, call());
    expect(listed).toEqual([
      { serialNo: blue.serialNo, number, issuedAt: expect.any(Number) as unknown, sellerTaxId: SELLER, total: blue.invoice.totals.total, kind: 'blue', simulated: false },
      { serialNo: flush.serialNo, number: (redIssued as { number: string }).number, issuedAt: expect.any(Number) as unknown, sellerTaxId: SELLER, total: flush.invoice.totals.total, kind: 'red', simulated: false },
    ]);
    expect(await nuonuo.listIssued('2001-01-01', call())).toEqual([]);
  });
});

async function drawer(sim: RunningSimulator, state: { loggedIn?: boolean; identityConfirmed?: boolean }): Promise<void> {
  const response = await fetch(`${sim.url}/_admin/drawer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(state) });
  expect(response.status).toBe(200);
}
