// The dispatcher against real upstream failures: a simulator that does NOT deduplicate (so any
// second send would show as a second ledger entry), made to drop answers, reset, fail, rate-limit,
// reject, go away, or refuse credentials. Every case ends with the ledger holding exactly what
// the gateway says it issued.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { invoiceRow, SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/processes.js';
import type { ConfigInput } from '../../src/runtime/config.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(faults: Partial<Faults> = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-sim-')), port: 0, host: '127.0.0.1', dedup: false, faults: { ...NO_FAULTS, ...faults } });
  cleanups.push(() => sim.close());
  return sim;
}

async function gateway(input: ConfigInput): Promise<TestGateway> {
  const started = await startTestGateway(input);
  cleanups.push(() => started.close());
  return started;
}

/** A port nothing listens on: connecting is refused at once. */
const closedPortUrl = async () => `http://127.0.0.1:${await freePort()}`;

let orders = 0;
async function issue(t: TestGateway): Promise<string> {
  const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `k-${++orders}-${Date.now()}`, json: validRequest({ orderNo: `F-${orders}` }) });
  expect(answer.status).toBe(202);
  return String(answer.body.id);
}

async function invoice(t: TestGateway, id: string) {
  return (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
}

async function final(t: TestGateway, id: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const current = await invoice(t, id);
      return current.status === 'pending' ? undefined : current;
    },
    timeoutMs,
    async () => JSON.stringify(await invoice(t, id)),
  );
}

async function attempts(t: TestGateway, id: string) {
  return t.gateway.store.db.selectFrom('attempts').selectAll().where('invoice_id', '=', id).orderBy('id').execute();
}

function ledgerFor(sim: RunningSimulator, serialNo: unknown) {
  return sim.ledger.issued(Date.now() + 60_000).filter((record) => record.serialNo === serialNo);
}

describe(`dispatcher through upstream failures (${DIALECT})`, () => {
  it('resolves an answer that never came by querying, and never sends again', async () => {
    const sim = await simulator({ dropResponseRate: 1 });
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }] });
    const id = await issue(t);
    const done = await final(t, id);
    expect(done).toMatchObject({ status: 'issued' });
    expect(ledgerFor(sim, done.serialNo).map((r) => r.number)).toEqual([done.number]);
    const kinds = (await attempts(t, id)).map((a) => `${a.kind}:${a.outcome}`);
    expect(kinds[0]).toBe('submit:uncertain');
    expect(kinds.at(-1)).toBe('query:issued');
    expect(kinds.filter((k) => k.startsWith('submit'))).toHaveLength(1);
  });

  it('issues every invoice exactly once through connection resets before and after the work', async () => {
    const sim = await simulator({ resetRate: 0.7 });
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }], breaker: { failuresToOpen: 1000 } });
    const ids = await Promise.all(Array.from({ length: 12 }, () => issue(t)));
    const done = await Promise.all(ids.map((id) => final(t, id, 30_000)));
    for (const invoice of done) {
      expect(invoice.status).toBe('issued');
      expect(ledgerFor(sim, invoice.serialNo).map((r) => r.number)).toEqual([invoice.number]);
    }
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(12);
  });

  it('opens the breaker on a failing upstream, waits, and issues once it recovers', async () => {
    const sim = await simulator({ errorRate: 1 });
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }], breaker: { failuresToOpen: 3, halfOpenAfterMs: 400 } });
    const id = await issue(t);
    await eventually(
      async () => {
        const channels = await http(`${t.gateway.url}/v1/channels`, { key: t.key });
        return (channels.body.data as Array<{ circuit: string }>)[0]?.circuit === 'open' ? true : undefined;
      },
      10_000,
      () => 'the breaker did not open',
    );
    // The breaker opens inside the failing call; that attempt's settle lands a moment later.
    await eventually(async () => ((await invoice(t, id)).stage === 'queued' ? true : undefined), 5_000, async () => `still ${String((await invoice(t, id)).stage)}`);
    const sentWhileFailing = (await attempts(t, id)).length;
    sim.setFaults({ errorRate: 0 });
    expect(await final(t, id)).toMatchObject({ status: 'issued' });
    // While open it let only probes through: a handful of calls, not one per poll.
    expect(sentWhileFailing).toBeLessThan(15);
  });

  it('honours the upstream rate limit and still issues everything once', async () => {
    const sim = await simulator({ rateLimit: 5 });
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }], breaker: { failuresToOpen: 1000 } });
    const ids = await Promise.all(Array.from({ length: 10 }, () => issue(t)));
    const done = await Promise.all(ids.map((id) => final(t, id, 30_000)));
    expect(done.every((d) => d.status === 'issued')).toBe(true);
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(10);
    const limited = await t.gateway.store.db.selectFrom('attempts').select('id').where('error_code', '=', 'rate_limited').execute();
    expect(limited.length).toBeGreaterThan(0);
  });

  // 30 invoices wait out an outage, then meet an upstream that takes 20 calls a second (each
  // invoice is a submit and a query). Bursting them all at once was what made 50 invoices take
  // five minutes and 363 retries (measured here before the fix: 24–36 of 90–102 calls were 429s).
  it.each([
    ['configured, as a provider publishes it', 20, 2],
    ['learned from the first 429s', 0, 20],
  ])('drains a backlog after an outage at the upstream\'s rate (%s): few 429s, the breaker never opens for them', async (_name, ratePerSecond, most429s) => {
    const sim = await simulator({ rateLimit: 20, outageUntil: Date.now() + 1000 });
    const t = await gateway({
      channels: [{ name: 'sim', url: sim.url }],
      dispatcher: { concurrency: 32 },
      upstream: { ratePerSecond },
      breaker: { failuresToOpen: 3, halfOpenAfterMs: 300 },
    });
    const ids = await Promise.all(Array.from({ length: 30 }, () => issue(t)));
    const done = await Promise.all(ids.map((id) => final(t, id, 30_000)));
    expect(done.every((d) => d.status === 'issued')).toBe(true);
    expect(sim.ledger.issued(Date.now() + 60_000)).toHaveLength(30);
    const calls = await t.gateway.store.db.selectFrom('attempts').select(['error_code']).execute();
    expect(calls.filter((call) => call.error_code === 'rate_limited').length).toBeLessThanOrEqual(most429s);
    const channels = (await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey })).body.data as Array<{ circuit: string }>;
    expect(channels[0]!.circuit).toBe('closed');
  });

  it('marks a business rejection rejected, with the upstream\'s reason', async () => {
    const sim = await simulator({ rejectRate: 1 });
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }] });
    const done = await final(t, await issue(t));
    expect(done).toMatchObject({ status: 'rejected', lastError: { code: 'upstream_rejected' } });
    expect(String((done.lastError as { message: string }).message)).toContain('模拟拒绝');
  });

  it('fails over to the next channel only while the first provably never got the invoice', async () => {
    const sim = await simulator();
    const t = await gateway({ channels: [{ name: 'dead', url: await closedPortUrl() }, { name: 'sim', url: sim.url }], breaker: { failuresToOpen: 2 } });
    const id = await issue(t);
    const done = await final(t, id);
    expect(done).toMatchObject({ status: 'issued', channel: 'sim' });
    // The first channel's refusal is history once it is issued: in the timeline, not in lastError.
    expect(done.lastError).toBeNull();
    const timeline = (await http(`${t.gateway.url}/v1/invoices/${id}/timeline`, { key: t.key })).body.data as Array<{ errorCode: string | null }>;
    expect(timeline.some((entry) => entry.errorCode === 'connect_failed')).toBe(true);
  });

  it('keeps an uncertain invoice on its channel through an outage instead of failing over', async () => {
    const first = await simulator({ dropResponseRate: 1 });
    const second = await simulator();
    const t = await gateway({ channels: [{ name: 'first', url: first.url }, { name: 'second', url: second.url }], breaker: { failuresToOpen: 2, halfOpenAfterMs: 300 } });
    const id = await issue(t);
    // The submit reached the first upstream (it is in its ledger) and its answer is being dropped:
    // the outage starts now, before the gateway's call times out, so the invoice is uncertain for
    // the whole outage (watching the resource for the stage could miss a short-lived one).
    await eventually(async () => (first.ledger.issued(Date.now() + 60_000).length > 0 ? true : undefined), 10_000, () => 'the submit never arrived');
    first.setFaults({ dropResponseRate: 0, outageUntil: Date.now() + 2500 });
    const done = await final(t, id, 20_000);
    expect(done).toMatchObject({ status: 'issued', channel: 'first' });
    const outcomes = await t.gateway.store.db.selectFrom('attempts').select(['outcome', 'channel']).where('invoice_id', '=', id).execute();
    expect(outcomes.map((o) => o.outcome)).toContain('uncertain');
    expect(outcomes.every((o) => o.channel === 'first')).toBe(true);
    expect(second.ledger.issued(Date.now() + 60_000)).toHaveLength(0);
    expect(ledgerFor(first, done.serialNo)).toHaveLength(1);
  });

  it('gives up on an invoice that never reached any upstream after its age, and a retry re-queues it', async () => {
    const t = await gateway({ channels: [{ name: 'dead', url: await closedPortUrl() }], maxAgeMs: 1 });
    const id = await issue(t);
    const failed = await final(t, id);
    expect(failed).toMatchObject({ status: 'failed', lastError: { code: 'connect_failed' } });
    const retried = await http(`${t.gateway.url}/v1/invoices/${id}/retry`, { method: 'POST', key: t.key });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'pending', stage: 'queued' });
  });

  it('pauses a channel whose credentials are refused, without spending the invoice\'s attempts', async () => {
    const upstream: Server = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"token expired"}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => upstream.close(() => resolve())));
    const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const t = await gateway({ channels: [{ name: 'locked', url }], breaker: { pauseMs: 60_000 } });
    const id = await issue(t);
    const channel = await eventually(
      async () => {
        const answer = await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey });
        const first = (answer.body.data as Array<{ pausedUntil: string | null; pauseReason: string | null }>)[0];
        return first?.pausedUntil ? first : undefined;
      },
      10_000,
      () => 'the channel was not paused',
    );
    // The operator reads the upstream's answer; a tenant reads a fixed sentence.
    expect(channel.pauseReason).toContain('401');
    const tenant = (await http(`${t.gateway.url}/v1/channels`, { key: t.key })).body.data as Array<{ pauseReason: string | null }>;
    expect(tenant[0]!.pauseReason).toBe("the upstream refused this gateway's credentials or permissions");
    // The pause is taken before the attempt is settled, so the invoice may still read `submitting` here.
    const current = await eventually(async () => {
      const now = await invoice(t, id);
      return now.stage === 'submitting' ? undefined : now;
    }, 10_000, () => 'the refused attempt was never settled');
    expect(current).toMatchObject({ status: 'pending', stage: 'queued', attempts: 0, lastError: { code: 'auth_failed' } });
  });

  it('treats a lease that ran out mid-submit as uncertain: queries, finds it, never resends', async () => {
    const sim = await simulator();
    // The dead worker's request reached the upstream before the worker died.
    const now = Date.now();
    // As the claim left it: submitting, bound to the channel it was sent to, lease run out.
    const row = invoiceRow(now, { stage: 'submitting', channel: 'sim', lease_owner: 'w-dead', lease_expires_at: now - 1, lease_version: 1 });
    const response = await fetch(`${sim.url}/api/v1/invoices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ serialNo: row.serial_no, sellerTaxId: SELLER, orderNo: row.order_no, total: row.total, invoice: {} }),
    });
    expect(response.status).toBe(202);
    const t = await gateway({ channels: [{ name: 'sim', url: sim.url }], dispatcher: { pollIntervalMs: 60_000 } });
    // Put the orphaned row in, then wake the dispatcher (its poll is long, so only the wake counts).
    await t.gateway.store.db.insertInto('invoices').values(row).execute();
    t.gateway.dispatcher.wake();
    const done = await eventually(
      async () => {
        const current = await t.gateway.store.db.selectFrom('invoices').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        if (current.status === 'pending') t.gateway.dispatcher.wake();
        return current.status === 'pending' ? undefined : current;
      },
      10_000,
      async () => JSON.stringify(await t.gateway.store.db.selectFrom('invoices').selectAll().where('id', '=', row.id).executeTakeFirst()) + JSON.stringify(await t.gateway.store.db.selectFrom('attempts').selectAll().execute()),
    );
    expect(done.status).toBe('issued');
    expect(ledgerFor(sim, row.serial_no)).toHaveLength(1);
    const kinds = (await attempts(t, row.id)).map((a) => a.kind);
    expect(kinds).not.toContain('submit');
    const audit = await t.gateway.store.db.selectFrom('audit_log').select(['event', 'from_state', 'to_state']).where('invoice_id', '=', row.id).orderBy('at').orderBy('chain').orderBy('seq').execute();
    expect(audit[0]).toMatchObject({ event: 'lease_expired', from_state: 'pending/submitting', to_state: 'pending/uncertain' });
  });
});

