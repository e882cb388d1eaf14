// One contract, every adapter: the same cases run against each protocol's channel through its own
// simulator (a real HTTP server). Where an adapter may differ, the difference is part of its
// declared behaviour (e.g. whether "not found" is authoritative), and the case says so.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, IssueRequest, QueryOutcome } from '../../src/channels/channel.js';
import { buildChannel } from '../../src/channels/registry.js';
import { MemoryTokenShelf } from '../../src/channels/token-shelf.js';
import type { ChannelConfig } from '../../src/runtime/config.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const SELLER = '91330106MA2B0Y5R34';
const CREDENTIALS = { appKey: 'CONTRACTKEY', appSecret: 'contract-secret' };
const BAIWANG = { ...CREDENTIALS, username: 'contract-user', password: 'contract-password', salt: 'contract-salt' };
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

interface Adapter {
  readonly protocol: 'reference' | 'nuonuo' | 'baiwang';
  /** Whether a "not found" from this upstream is proof that it never took the serial. */
  readonly notFoundIsProof: boolean;
  start(faults: Partial<Faults>): Promise<{ simulator: RunningSimulator; channel: Channel }>;
}

const tokens = () => new MemoryTokenShelf();

const UPSTREAM = { connectTimeoutMs: 500, responseTimeoutMs: 800, pollAfterMs: 20 };

async function simulator(protocol: Adapter['protocol'], faults: Partial<Faults>): Promise<RunningSimulator> {
  const sim = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-contract-')),
    port: 0,
    host: '127.0.0.1',
    dedup: true,
    faults: { ...NO_FAULTS, ...faults },
    protocol: protocol === 'nuonuo' ? { kind: 'nuonuo', credentials: CREDENTIALS } : protocol === 'baiwang' ? { kind: 'baiwang', credentials: BAIWANG } : { kind: 'reference' },
  });
  open.push(sim);
  return sim;
}

function channelFor(config: ChannelConfig): Channel {
  const channel = buildChannel(config, { upstream: UPSTREAM, observer: () => ({ phase: () => undefined, certificate: () => undefined }), tokens: tokens() });
  open.push(channel);
  return channel;
}

const ADAPTERS: Adapter[] = [
  {
    protocol: 'reference',
    notFoundIsProof: true,
    async start(faults) {
      const sim = await simulator('reference', faults);
      return { simulator: sim, channel: channelFor({ name: 'ref', url: sim.url }) };
    },
  },
  {
    protocol: 'nuonuo',
    // E9500 is also said for a moment after 诺诺 took an order.
    notFoundIsProof: false,
    async start(faults) {
      const sim = await simulator('nuonuo', faults);
      return { simulator: sim, channel: channelFor({ name: 'nn', protocol: 'nuonuo', url: `${sim.url}/open/v1/services`, tokenUrl: `${sim.url}/accessToken`, ...CREDENTIALS }) };
    },
  },
  {
    protocol: 'baiwang',
    // How soon 百望's query shows an invoice it took is not documented: never proof at once.
    notFoundIsProof: false,
    async start(faults) {
      const sim = await simulator('baiwang', faults);
      return { simulator: sim, channel: channelFor({ name: 'bw', protocol: 'baiwang', url: `${sim.url}/router/rest`, ...BAIWANG }) };
    },
  },
];

let counter = 0;
function invoice(): IssueRequest {
  const preview = previewInvoice(validRequest());
  if (!preview.ok) throw new Error('invalid fixture');
  return { serialNo: `01KC${String(Date.now()).slice(-8)}${String(++counter).padStart(8, '0')}`, sellerTaxId: SELLER, orderNo: `SO-${counter}`, invoice: { ...computedInvoiceJson(preview.invoice), seller: { taxId: SELLER, name: '演示科技（杭州）有限公司' } } };
}

const call = () => ({ signal: AbortSignal.timeout(5000) });

async function settled(channel: Channel, serialNo: string): Promise<QueryOutcome> {
  return eventually(
    async () => {
      const outcome = await channel.query(SELLER, serialNo, call());
      return outcome.kind === 'accepted' || outcome.kind === 'not_found' ? undefined : outcome;
    },
    5000,
    () => `${serialNo} never settled`,
  );
}

describe.each(ADAPTERS)('the Channel contract: $protocol', (adapter) => {
  it('issues an invoice and reports its number when asked', async () => {
    const { simulator: sim, channel } = await adapter.start({ processingMs: 100 });
    const request = invoice();
    expect((await channel.issue(request, call())).kind).toMatch(/^(accepted|issued)$/);
    const outcome = await settled(channel, request.serialNo);
    expect(outcome).toMatchObject({ kind: 'issued', number: expect.stringMatching(/^\d{20}$/) as unknown });
    expect(sim.ledger.issued(Date.now() + 1000).map((record) => record.serialNo)).toEqual([request.serialNo]);
  });

  it('sends the same serial twice and the upstream still issues it once', async () => {
    const { simulator: sim, channel } = await adapter.start({});
    const request = invoice();
    await channel.issue(request, call());
    // The upstream has it (it answered only once it did): the second send is a repeat.
    expect(sim.ledger.find(request.serialNo)).toBeDefined();
    await channel.issue(request, call());
    await settled(channel, request.serialNo);
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(1);
  });

  it('says "not found" for a serial never sent, authoritative only where the upstream’s word is proof', async () => {
    const { channel } = await adapter.start({});
    expect(await channel.query(SELLER, '01KC0000000000000000', call())).toEqual({ kind: 'not_found', authoritative: adapter.notFoundIsProof });
  });

  it('reports a business refusal as rejected', async () => {
    const { channel } = await adapter.start({ rejectRate: 1 });
    const request = invoice();
    await channel.issue(request, call());
    expect(await settled(channel, request.serialNo)).toMatchObject({ kind: 'rejected' });
  });

  it('classifies an outage (503 before any work) as retry', async () => {
    const { simulator: sim, channel } = await adapter.start({});
    await channel.query(SELLER, '01KC0000000000000001', call());
    sim.setFaults({ outageUntil: Date.now() + 60_000 });
    await expect(channel.issue(invoice(), call())).rejects.toMatchObject({ code: 'upstream_unavailable', disposition: 'retry' });
    expect(sim.ledger.issued(Date.now() + 1000)).toHaveLength(0);
  });

  it('classifies a rate limit as retry, with the upstream’s Retry-After', async () => {
    const { simulator: sim, channel } = await adapter.start({});
    await channel.query(SELLER, '01KC0000000000000002', call());
    sim.setFaults({ rateLimit: 1 });
    const calls = await Promise.allSettled([1, 2, 3].map(() => channel.query(SELLER, '01KC0000000000000003', call())));
    const limited = calls.find((result) => result.status === 'rejected');
    expect(limited).toMatchObject({ status: 'rejected', reason: { code: 'rate_limited', disposition: 'retry', details: { retryAfterMs: 1000 } } });
  });

  it('classifies no answer in time after sending as uncertain', async () => {
    const { simulator: sim, channel } = await adapter.start({});
    const request = invoice();
    await channel.query(SELLER, '01KC0000000000000004', call());
    sim.setFaults({ latencyMs: 2000 });
    await expect(channel.issue(request, call())).rejects.toMatchObject({ code: 'timeout_after_send', disposition: 'uncertain' });
  });

  it('classifies a refused connection as retry: nothing was sent', async () => {
    const sim = await simulator(adapter.protocol, {});
    const url = sim.url;
    await sim.close();
    open.splice(open.indexOf(sim), 1);
    const channel =
      adapter.protocol === 'nuonuo'
        ? channelFor({ name: 'gone', protocol: 'nuonuo', url: `${url}/open/v1/services`, tokenUrl: `${url}/accessToken`, ...CREDENTIALS })
        : adapter.protocol === 'baiwang'
          ? channelFor({ name: 'gone', protocol: 'baiwang', url: `${url}/router/rest`, ...BAIWANG })
          : channelFor({ name: 'gone', url });
    await expect(channel.issue(invoice(), call())).rejects.toMatchObject({ code: 'connect_failed', disposition: 'retry' });
  });
});
