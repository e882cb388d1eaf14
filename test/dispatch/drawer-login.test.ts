// The drawer's login (数电 开票员 logged in to the 电子税务局) through a running gateway and the
// simulator in 诺诺 mode: a lapsed login pauses the channel before any invoice is sent (the watch)
// or at the first refusal (the invoice path), the paused-channel metric says so, the invoice waits
// without spending attempts and nothing reaches 诺诺's ledger; once the drawer is back it is issued.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/runtime/config.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const CREDENTIALS = { appKey: 'DRAWERKEY', appSecret: 'drawer-secret' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function nuonuoSimulator(): Promise<RunningSimulator> {
  const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-drawer-')), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, processingMs: 30 }, protocol: { kind: 'nuonuo', credentials: CREDENTIALS } });
  cleanups.push(() => sim.close());
  return sim;
}

async function setDrawer(sim: RunningSimulator, state: { loggedIn?: boolean; identityConfirmed?: boolean }): Promise<void> {
  const answer = await fetch(`${sim.url}/_admin/drawer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(state) });
  expect(answer.status).toBe(200);
}

async function gateway(sim: RunningSimulator, breaker: NonNullable<ConfigInput['breaker']>): Promise<TestGateway> {
  const t = await startTestGateway({
    channels: [{ name: 'nuonuo', protocol: 'nuonuo', url: `${sim.url}/open/v1/services`, tokenUrl: `${sim.url}/accessToken`, ...CREDENTIALS, extensionNumber: '923' }],
    breaker,
  });
  cleanups.push(() => t.close());
  return t;
}

async function channelState(t: TestGateway): Promise<Record<string, unknown>> {
  const channels = (await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey })).body.data as Array<Record<string, unknown>>;
  return channels.find((channel) => channel.name === 'nuonuo')!;
}

async function pausedMetric(t: TestGateway): Promise<string | undefined> {
  const text = await (await fetch(`${t.gateway.url}/metrics`)).text();
  return /^fapiao_channel_paused\{channel="nuonuo"\} (\d)$/m.exec(text)?.[1];
}

async function submit(t: TestGateway, tag: string): Promise<string> {
  const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `drawer-${tag}-${Date.now()}`, json: validRequest({ orderNo: `DR-${tag}-${Date.now()}` }) });
  expect(answer.status).toBe(202);
  return String(answer.body.id);
}

async function issued(t: TestGateway, id: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const invoice = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
      return invoice.status === 'issued' ? invoice : undefined;
    },
    15_000,
    () => `invoice ${id} not issued`,
  );
}

describe(`the drawer's login on ${DIALECT}`, () => {
  it('pauses the channel before any invoice is sent while the login has lapsed, and lifts the pause when it is back', async () => {
    const sim = await nuonuoSimulator();
    await setDrawer(sim, { loggedIn: false });
    const t = await gateway(sim, { drawerCheckMs: 150, pauseMs: 200 });
    const paused = await eventually(async () => {
      const state = await channelState(t);
      return state.pausedUntil ? state : undefined;
    }, 5000, () => 'the channel never paused');
    expect(String(paused.pauseReason)).toContain('extension 923 is logged out');
    expect(await pausedMetric(t)).toBe('1');

    const id = await submit(t, 'watch');
    // Several pause lengths later — the watch has renewed the pause twice since the invoice came, seen
    // by its pausedUntil moving on — it still waits, untouched: no attempt, nothing at 诺诺.
    const renewals = new Set<string>();
    await eventually(async () => {
      const until = (await channelState(t)).pausedUntil;
      if (typeof until === 'string') renewals.add(until);
      return renewals.size >= 3 ? true : undefined;
    }, 5000, () => `the pause was renewed ${renewals.size - 1} times`);
    const waiting = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(0);
    expect(await pausedMetric(t)).toBe('1');

    await setDrawer(sim, { loggedIn: true });
    const invoice = await issued(t, id);
    expect(sim.ledger.find(String(invoice.serialNo))?.number).toBe(invoice.number);
    expect((await channelState(t)).pausedUntil).toBeNull();
    expect(await pausedMetric(t)).toBe('0');
  });

  it('pauses at the first refusal when no watch is running, spends no attempt, and issues once the drawer is back', async () => {
    const sim = await nuonuoSimulator();
    const t = await gateway(sim, { drawerCheckMs: 0, pauseMs: 300 });
    await setDrawer(sim, { loggedIn: true, identityConfirmed: false });
    const id = await submit(t, 'refused');
    const paused = await eventually(async () => {
      const state = await channelState(t);
      return state.pausedUntil ? state : undefined;
    }, 5000, () => 'the channel never paused');
    expect(String(paused.pauseReason)).toContain('实名认证');
    const waiting = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(0);

    await setDrawer(sim, { identityConfirmed: true });
    const invoice = await issued(t, id);
    expect(invoice.channel).toBe('nuonuo');
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(1);
  });
});
