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
