// Isolating a channel: no new work goes to it, what it already holds is still resolved there by
// query, and restoring it brings new work back; admin only, audited, visible in GET /v1/channels
// and the metrics. On this run's database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(faults: Partial<Faults> = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-iso-')), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, ...faults } });
  cleanups.push(() => sim.close());
  return sim;
}

let orders = 0;
async function issue(t: TestGateway): Promise<string> {
  const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `iso-${++orders}-${Date.now()}`, json: validRequest({ orderNo: `ISO-${orders}-${Date.now()}` }) });
  expect(answer.status).toBe(202);
  return String(answer.body.id);
}

async function final(t: TestGateway, id: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const invoice = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
      return invoice.status === 'pending' ? undefined : invoice;
    },
    15_000,
    () => `invoice ${id} still pending`,
  );
}

describe(`isolating a channel on ${DIALECT}`, () => {
  it('sends no new work to it, still resolves what it holds, and takes work again once restored', async () => {
    const first = await simulator({ processingMs: 1500 });
    const second = await simulator();
    const t = await startTestGateway({ channels: [{ name: 'first', url: first.url }, { name: 'second', url: second.url }] });
    cleanups.push(() => t.close());
    const admin = (path: string, json?: unknown) => http(`${t.gateway.url}${path}`, { method: 'POST', key: t.operatorKey, ...(json !== undefined && { json }) });

    // Held by `first`: accepted there, its result not ready yet.
    const held = await issue(t);
    await eventually(async () => ((await http(`${t.gateway.url}/v1/invoices/${held}`, { key: t.key })).body.stage === 'awaiting_result' ? true : undefined), 10_000, () => 'never reached first');

    expect((await http(`${t.gateway.url}/v1/channels/first/isolate`, { method: 'POST', key: t.key, json: {} })).status).toBe(403);
    // A seller's admin runs its own sellers, not the channels every seller shares.
    expect((await http(`${t.gateway.url}/v1/channels/first/isolate`, { method: 'POST', key: t.adminKey, json: {} })).body.code).toBe('scope_missing');
    expect((await http(`${t.gateway.url}/v1/channels/first/doctor`, { method: 'POST', key: t.adminKey })).body.code).toBe('scope_missing');
    expect((await admin('/v1/channels/nowhere/isolate', {})).body.code).toBe('not_found');
    const isolated = await admin('/v1/channels/first/isolate', { reason: '诺诺 maintenance window' });
    expect(isolated.body).toEqual({ name: 'first', isolated: true, changed: true });
    expect((await admin('/v1/channels/first/isolate', {})).body).toMatchObject({ changed: false });

    const during = await issue(t);
    expect(await final(t, during)).toMatchObject({ status: 'issued', channel: 'second' });
    expect(await final(t, held)).toMatchObject({ status: 'issued', channel: 'first' });

    const channels = await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey });
    const shown = (channels.body.data as Array<{ name: string; isolated: boolean; isolation: { reason: string } | null }>).map((c) => [c.name, c.isolated, c.isolation?.reason ?? null]);
    expect(shown).toEqual([
      ['first', true, '诺诺 maintenance window'],
      ['second', false, null],
    ]);
    const tenant = await http(`${t.gateway.url}/v1/channels`, { key: t.key });
    expect(tenant.text).not.toContain('maintenance');
    expect((await http(`${t.gateway.url}/metrics`)).text).toMatch(/fapiao_channel_isolated\{channel="first"\} 1/);

    expect((await admin('/v1/channels/first/restore')).body).toEqual({ name: 'first', isolated: false, changed: true });
    const after = await issue(t);
    expect(await final(t, after)).toMatchObject({ status: 'issued', channel: 'first' });

    const audit = await t.gateway.store.db.selectFrom('audit_log').select(['invoice_id', 'event', 'detail']).where('invoice_id', '=', 'channel:first').orderBy('at').orderBy('chain').orderBy('seq').execute();
    expect(audit.map((entry) => entry.event)).toEqual(['channel_isolated', 'channel_restored']);
    expect(JSON.parse(audit[0]!.detail!)).toMatchObject({ reason: '诺诺 maintenance window' });
  });
});
