// Failover without duplicates, 诺诺 first: connections reset before and after 诺诺 takes the order,
// a short settle window, an outage halfway, a reference channel behind it. Every invoice is issued, exactly once
// across both upstreams' ledgers, and some move to the second channel. On this run's database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const CREDENTIALS = { appKey: 'FAILOVERKEY', appSecret: 'failover-secret' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(protocol: 'nuonuo' | 'reference', faults: Partial<Faults>): Promise<RunningSimulator> {
  const sim = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-failover-')),
    port: 0,
    host: '127.0.0.1',
    // The reference upstream does not deduplicate: a second send would show as a second invoice.
    dedup: false,
    faults: { ...NO_FAULTS, ...faults },
    protocol: protocol === 'nuonuo' ? { kind: 'nuonuo', credentials: CREDENTIALS } : { kind: 'reference' },
  });
  cleanups.push(() => sim.close());
  return sim;
}

describe(`failover from 诺诺 on ${DIALECT}`, () => {
  it('issues every invoice exactly once across both channels through resets before and after the work', async () => {
    const nuonuo = await simulator('nuonuo', { resetRate: 0.6, processingMs: 50 });
    const backup = await simulator('reference', {});
    const t = await startTestGateway({
      channels: [
        { name: 'nuonuo', protocol: 'nuonuo', url: `${nuonuo.url}/open/v1/services`, tokenUrl: `${nuonuo.url}/accessToken`, ...CREDENTIALS, settleWindowMs: 300 },
        { name: 'backup', url: backup.url },
      ],
      breaker: { failuresToOpen: 3, halfOpenAfterMs: 1500 },
    });
    cleanups.push(() => t.close());
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      // Halfway, 诺诺 goes down for two seconds: its breaker opens and new work moves on.
      if (i === 10) nuonuo.setFaults({ outageUntil: Date.now() + 2000 });
      const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `fo-${i}-${Date.now()}`, json: validRequest({ orderNo: `FO-${i}-${Date.now()}` }) });
      expect(answer.status).toBe(202);
      ids.push(String(answer.body.id));
    }
    const invoices = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const invoice = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
            return invoice.status === 'pending' ? undefined : invoice;
          },
          30_000,
          () => `invoice ${id} still pending`,
        ),
      ),
    );
    expect(invoices.map((invoice) => invoice.status)).toEqual(ids.map(() => 'issued'));
    const later = Date.now() + 60_000;
    const issuedSerials = [...nuonuo.ledger.issued(later), ...backup.ledger.issued(later)].map((record) => record.serialNo);
    // Once each: no serial twice in one ledger or in both.
    expect([...issuedSerials].sort()).toEqual(invoices.map((invoice) => String(invoice.serialNo)).sort());
    for (const invoice of invoices) {
      const ledger = invoice.channel === 'nuonuo' ? nuonuo.ledger : backup.ledger;
      expect(ledger.find(String(invoice.serialNo))?.number).toBe(invoice.number);
    }
    expect(invoices.some((invoice) => invoice.channel === 'backup')).toBe(true);
  });
});

describe(`an upstream's Retry-After holds the channel, not the invoice, on ${DIALECT}`, () => {
  it('moves invoices 诺诺 provably never took (503, Retry-After: 90) to the backup at once', async () => {
    const nuonuo = await simulator('nuonuo', {});
    const backup = await simulator('reference', {});
    // Down for 90 s: every call answers 503 with Retry-After: 90, before any work.
    nuonuo.setFaults({ outageUntil: Date.now() + 90_000 });
    const t = await startTestGateway({
      channels: [
        { name: 'nuonuo', protocol: 'nuonuo', url: `${nuonuo.url}/open/v1/services`, tokenUrl: `${nuonuo.url}/accessToken`, ...CREDENTIALS },
        { name: 'backup', url: backup.url },
      ],
      // The breaker would move new work on by itself after enough failures; this is about the Retry-After.
      breaker: { failuresToOpen: 1000 },
    });
    cleanups.push(() => t.close());
    const started = Date.now();
    const ids = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `ra-${i}-${started}`, json: validRequest({ orderNo: `RA-${i}-${started}` }) });
        expect(answer.status).toBe(202);
        return String(answer.body.id);
      }),
    );
    const invoices = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const invoice = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
            return invoice.status === 'issued' ? invoice : undefined;
          },
          60_000,
          () => `invoice ${id} not issued`,
        ),
      ),
    );
    // Well inside the 90 s the old behaviour waited (each invoice sat out the Retry-After).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(invoices.every((invoice) => invoice.channel === 'backup')).toBe(true);
    const timeline = (await http(`${t.gateway.url}/v1/invoices/${ids[0]}/timeline`, { key: t.key })).body as { entries: Array<{ kind: string; channel?: string; outcome?: string }> };
    expect(JSON.stringify(timeline)).toContain('nuonuo');
    // The channel, not the invoice, waits the Retry-After out: the channel list says until when.
    const channels = (await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey })).body as { data: Array<{ name: string; rateLimitedUntil: string | null }> };
    const held = channels.data.find((channel) => channel.name === 'nuonuo')!;
    expect(Date.parse(String(held.rateLimitedUntil))).toBeGreaterThan(Date.now() + 30_000);
  });
});
