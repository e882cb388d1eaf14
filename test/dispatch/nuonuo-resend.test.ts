// An uncertain invoice on 诺诺 that a query cannot find yet is sent again to 诺诺 at once (issue 25
// item 3): 诺诺 refuses a repeated order number (E9106), so the second send either issues what never
// arrived or is refused and then found. Only a move to another channel waits out the settle window.
// Before this, such invoices sat ten minutes (诺诺's settle window) before anything was done.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { FAST, http, startTestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

type TimelineEntry = { at: string; kind: 'attempt' | 'audit'; outcome: string | null };
const CREDENTIALS = { appKey: 'RESENDKEY', appSecret: 'resend-secret' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(protocol: 'nuonuo' | 'reference', faults: Partial<Faults>): Promise<RunningSimulator> {
  const sim = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-resend-')),
    port: 0,
    host: '127.0.0.1',
    dedup: false,
    faults: { ...NO_FAULTS, ...faults },
    protocol: protocol === 'nuonuo' ? { kind: 'nuonuo', credentials: CREDENTIALS } : { kind: 'reference' },
  });
  cleanups.push(() => sim.close());
  return sim;
}

describe(`uncertain on 诺诺, on ${DIALECT}`, () => {
  it('sends again to 诺诺 at once instead of waiting out its ten-minute settle window, and issues each once', async () => {
    // Resets (half before 诺诺 takes the order, half after) and answers lost after the work: every
    // kind of "uncertain", with 诺诺's real settle window (ten minutes) and a backup that would
    // issue a second time if the invoice moved there too soon.
    const nuonuo = await simulator('nuonuo', { resetRate: 0.6, dropResponseRate: 0.2, processingMs: 100 });
    const backup = await simulator('reference', {});
    const t = await startTestGateway({
      channels: [
        { name: 'nuonuo', protocol: 'nuonuo', url: `${nuonuo.url}/open/v1/services`, tokenUrl: `${nuonuo.url}/accessToken`, ...CREDENTIALS },
        { name: 'backup', url: backup.url },
      ],
      breaker: { failuresToOpen: 1000 },
    });
    cleanups.push(() => t.close());
    const started = Date.now();
    const ids = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `rs-${i}-${started}`, json: validRequest({ orderNo: `RS-${i}-${started}` }) });
        expect(answer.status).toBe(202);
        return String(answer.body.id);
      }),
    );
    const invoices = await Promise.all(
      ids.map((id) =>
        eventually(
          async () => {
            const invoice = (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
            return invoice.status === 'pending' ? undefined : invoice;
          },
          90_000,
          () => `invoice ${id} still pending`,
        ),
      ),
    );
    expect(invoices.map((invoice) => invoice.status)).toEqual(ids.map(() => 'issued'));
    // Well under 诺诺's ten-minute settle window: nothing waited it out.
    expect(Date.now() - started).toBeLessThan(60_000);
    // Nothing moved to the backup while 诺诺 could still have it: every invoice is 诺诺's, once.
    expect(invoices.every((invoice) => invoice.channel === 'nuonuo')).toBe(true);
    expect(backup.ledger.issued(Date.now() + 60_000)).toHaveLength(0);
    const serials = nuonuo.ledger.issued(Date.now() + 60_000).map((record) => record.serialNo);
    expect([...serials].sort()).toEqual(invoices.map((invoice) => String(invoice.serialNo)).sort());
    // Some went through the path under test: a query that found nothing, then a send again.
    const timelines = await Promise.all(ids.map(async (id) => (await http(`${t.gateway.url}/v1/invoices/${id}/timeline`, { key: t.key })).body as { data: TimelineEntry[] }));
    expect(timelines.some((timeline) => timeline.data.some((entry) => entry.kind === 'attempt' && entry.outcome === 'not_found'))).toBe(true);
    // docs/states.md, "How long an invoice waits": while its channel answers, no pending invoice
    // goes longer than the backoff cap, a poll and one call's time limit without being looked at.
    const callTimeoutMs = FAST.upstream!.connectTimeoutMs! + FAST.upstream!.responseTimeoutMs!;
    const longestLook = FAST.dispatcher!.backoffCapMs! + FAST.dispatcher!.pollIntervalMs! + callTimeoutMs;
    for (const timeline of timelines) {
      const times = timeline.data.map((entry) => Date.parse(entry.at)).sort((a, b) => a - b);
      const gaps = times.slice(1).map((at, n) => at - times[n]!);
      // Slack for a shared machine; the defect this guards against waited ten minutes.
      expect(Math.max(...gaps)).toBeLessThan(longestLook + 3000);
    }
  });
});
