// The 诺诺 adapter against the simulator in 诺诺 mode (a real HTTP server checking signatures,
// tokens and timestamps): issue and query through 诺诺's statuses, E9106 answered by a query, a
// token kept across restarts and renewed once when refused, and each refusal classified.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NuonuoChannel, type NuonuoChannelConfig } from '../../src/channels/nuonuo/nuonuo-channel.js';
import { MemoryTokenShelf, type TokenShelf } from '../../src/channels/token-shelf.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { eventually } from '../support/processes.js';
import { validRequest } from '../support/invoice-request.js';

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

function channel(sim: RunningSimulator, shelf: TokenShelf = new MemoryTokenShelf(), overrides: Partial<NuonuoChannelConfig> = {}): NuonuoChannel {
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
function issueRequest() {
  const preview = previewInvoice(validRequest());
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
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await nuonuo.issue(request, call());
    expect(again.kind).toBe('issued');
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(1);
  });

  it('reports a business refusal (status 22) with 诺诺’s failCause', async () => {
    const sim = await simulator({ rejectRate: 1 });
    const nuonuo = channel(sim);
    const request = issueRequest();
    await nuonuo.issue(request, call());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await nuonuo.query(SELLER, request.serialNo, call())).toMatchObject({ kind: 'rejected', upstreamCode: 'status_22', message: expect.stringContaining('购买方') as unknown });
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

async function drawer(sim: RunningSimulator, state: { loggedIn?: boolean; identityConfirmed?: boolean }): Promise<void> {
  const response = await fetch(`${sim.url}/_admin/drawer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(state) });
  expect(response.status).toBe(200);
}
