// Red-flush (the use case over the store), on this run's dialect: two stores on one database (as two gateway
// processes are), each with its own group committer, flush one blue invoice at once, and whatever
// the interleaving the red invoices never add up past the blue one; a red invoice stays on the
// blue invoice's channel through claims and settles.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { openStore, type Store } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { Invoicing, type RedFlushOutcome } from '../../src/invoicing/invoicing.js';
import { leaseDue, settleLease } from '../../src/store/invoice-leases.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, registerSellers, SELLER } from '../support/fixtures.js';
import { validLine, validRequest } from '../support/invoice-request.js';

let database: TestDatabase;
let stores: Store[];
const NOW = 1_790_000_000_000;

beforeEach(async () => {
  database = await freshDatabase();
  stores = [await openStore(database.location), await openStore(database.location)];
  await registerSellers(stores[0]!.db);
});

afterEach(async () => {
  for (const store of stores) await store.close();
  await database.drop();
});

/** An issued blue invoice: one line of 10 × 10.00 at 13 %, excluding tax (113.00 in all). */
async function issuedBlue(): Promise<string> {
  const preview = previewInvoice(validRequest({ priceIncludesTax: false, lines: [validLine({ quantity: '10', unitPrice: '10.00', amount: '100.00', taxRate: '0.13', taxCode: '1090101010000000000', name: '*日用品*纸巾' })] }));
  if (!preview.ok) throw new Error(JSON.stringify(preview.errors));
  const row = invoiceRow(NOW, { status: 'issued', stage: null, number: '26332000000000000777', issued_at: NOW, channel: 'sim', computed_json: JSON.stringify(computedInvoiceJson(preview.invoice)), total: '113.00' });
  await stores[0]!.db.insertInto('invoices').values(row).execute();
  return row.id;
}

function flush(store: Store, commit: GroupCommit, blueId: string, n: number, body: unknown): Promise<RedFlushOutcome> {
  const invoicing = new Invoicing({ db: store.db, reader: store.reader, capabilities: store.capabilities, commit, clock: { now: () => NOW + n }, idempotencyTtlMs: 3_600_000, maxAgeMs: 3_600_000 });
  return invoicing.redFlush(blueId, body, `race-${n}`, { sellers: [SELLER] });
}

describe(`red-flush races on ${DIALECT}`, () => {
  it('never flushes more than the blue invoice, whichever store wins', async () => {
    const blueId = await issuedBlue();
    // Several lanes per store, so requests of one store also run in transactions of their own.
    const commits = stores.map((store) => new GroupCommit(store.db, { maxBatch: 1, maxQueued: 1000, lanes: store.capabilities.multipleWriters ? 4 : 1 }));
    const asks = Array.from({ length: 12 }, (_, n) => flush(stores[n % 2]!, commits[n % 2]!, blueId, n, { reason: 'sales_return', lines: [{ line: 0, quantity: n % 3 === 0 ? '-4' : '-3' }] }));
    const results = await Promise.all(asks);
    const created = results.filter((result) => result.kind === 'created');
    expect(results.every((result) => result.kind === 'created' || result.kind === 'exceeds')).toBe(true);
    const reds = await stores[0]!.db.selectFrom('invoices').select(['total', 'computed_json']).where('blue_invoice_id', '=', blueId).execute();
    expect(reds).toHaveLength(created.length);
    const quantity = reds.reduce((sum, red) => sum - Number((JSON.parse(red.computed_json) as { lines: Array<{ quantity: string }> }).lines[0]!.quantity), 0);
    const total = reds.reduce((sum, red) => sum - Math.round(Number(red.total) * 100), 0);
    expect(quantity).toBeLessThanOrEqual(10);
    expect(total).toBeLessThanOrEqual(11300);
    // At least two fit (3 + 3 or 4 + 3 …), and what is left is less than any ask.
    expect(quantity).toBeGreaterThan(7);
  });

  it('keeps a red invoice on the channel of its blue invoice, whatever the claim and the settle say', async () => {
    const blueId = await issuedBlue();
    const store = stores[0]!;
    const commit = new GroupCommit(store.db, { maxBatch: 16, maxQueued: 100 });
    const result = await flush(store, commit, blueId, 1, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] });
    expect(result.kind).toBe('created');
    const options = { workerId: 'w', limit: 10, leaseMs: 60_000, usableChannels: ['first', 'sim'], newWorkChannel: 'first' };
    const [lease] = await leaseDue(store.db, store.capabilities, NOW + 10, options);
    expect(lease).toMatchObject({ kind: 'red', channel: 'sim', stage: 'submitting' });
    // Provably not sent: a blue invoice would be unbound for any channel; a red one stays.
    const settled = await store.db.transaction().execute((tx) =>
      settleLease(tx, store.capabilities, NOW + 20, lease!, { event: 'not_sent', nextAttemptAt: NOW + 20, channel: null, called: true, error: { code: 'connect_failed', message: 'refused' } }),
    );
    expect(settled).toBe('settled');
    const row = await store.db.selectFrom('invoices').select(['channel', 'stage']).where('id', '=', lease!.invoiceId).executeTakeFirstOrThrow();
    expect(row).toEqual({ channel: 'sim', stage: 'queued' });
    const [again] = await leaseDue(store.db, store.capabilities, NOW + 30, options);
    expect(again).toMatchObject({ invoiceId: lease!.invoiceId, channel: 'sim' });
    // A channel that cannot be used now holds it back rather than sending it elsewhere.
    await store.db.updateTable('invoices').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', lease!.invoiceId).execute();
    expect(await leaseDue(store.db, store.capabilities, NOW + 40, { ...options, usableChannels: ['first'] })).toEqual([]);
  });
});
