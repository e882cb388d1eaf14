// The quota guard's wake-up of held invoices, on this run's dialect with a real store: an invoice
// held on a snapshot taken while the invoice before it was still on its way (counted twice: in the
// reading, which the upstream had already updated, and as in flight) goes as soon as a snapshot
// shows it waiting — even when the refresh that saw the room grow came before its hold was stored
// (it then saw nothing waiting), and the next one sees no growth. A hold on room that never grows
// stays held, and an invoice is never counted against itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuotaGuard } from '../../src/invoicing/quota-guard.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, registerSellers, SELLER } from '../support/fixtures.js';

const NOW = Date.parse('2026-12-10T10:00:00+08:00');
const FIVE_HUNDRED = '{"totals":{"total":"530.00","amount":"500.00"}}';
let database: TestDatabase;
let store: Store;
let guard: QuotaGuard;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  guard = new QuotaGuard({ db: store.db, capabilities: store.capabilities, clock: { now: () => NOW } });
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

/** A reading of 1,000.00 a month with `remaining` left (500.00 unless told), as of `asOf`. */
async function readingLeaves500(asOf: number, remaining = '500.00'): Promise<void> {
  const used = (1000 - Number(remaining)).toFixed(2);
  await store.db
    .insertInto('seller_quotas')
    .values({ seller_tax_id: SELLER, channel: 'sim', month: '2026-12', total: '1000.00', used, remaining, as_of: asOf, read_at: asOf, used_elsewhere: '0.00', updated_at: asOf })
    .execute();
}

async function invoice(at: number, state: { status: string; stage: string | null; issued_at?: number }): Promise<string> {
  const row = invoiceRow(at, { computed_json: FIVE_HUNDRED, ...state });
  await store.db.insertInto('invoices').values(row).execute();
  return row.id;
}

const settleIssued = (id: string, issuedAt: number) => store.db.updateTable('invoices').set({ status: 'issued', stage: null, issued_at: issuedAt }).where('id', '=', id).execute();

describe(`the quota guard on ${DIALECT}`, () => {
  it('wakes an invoice held on a stale snapshot although the room grew before its hold was stored', async () => {
    // The upstream issued the first invoice at NOW − 60 s and counted it in the reading; here it is still on its way.
    const first = await invoice(NOW - 120_000, { status: 'pending', stage: 'submitting' });
    await readingLeaves500(NOW - 60_000);
    expect(await guard.refresh()).toEqual([]);
    const second = await invoice(NOW - 30_000, { status: 'pending', stage: 'submitting' });
    // Judged on that snapshot: 500.00 left less 500.00 on its way — it waits.
    expect(guard.admit(SELLER, second, 50_000n, 'normal').kind).toBe('wait');
    // The first settles (issued when the reading says: counted once now); a refresh sees 500.00 of
    // room but nothing waiting yet — the hold is not stored.
    await settleIssued(first, NOW - 60_000);
    expect(await guard.refresh()).toEqual([]);
    await store.db.updateTable('invoices').set({ stage: 'awaiting_quota' }).where('id', '=', second).execute();
    // The next refresh sees it waiting and no growth since the last one: measured against the room it was held on, it goes.
    expect(await guard.refresh()).toEqual([SELLER]);
    expect(guard.admit(SELLER, second, 50_000n, 'normal').kind).toBe('send');
  });

  it('keeps holding an invoice the room never grew for, and wakes nothing twice', async () => {
    await readingLeaves500(NOW - 60_000);
    const big = await invoice(NOW - 30_000, { status: 'pending', stage: 'submitting' });
    expect(await guard.refresh()).toEqual([]);
    expect(guard.admit(SELLER, big, 60_000n, 'normal').kind).toBe('wait');
    await store.db.updateTable('invoices').set({ stage: 'awaiting_quota' }).where('id', '=', big).execute();
    expect(await guard.refresh()).toEqual([]);
    expect(await guard.refresh()).toEqual([]);
  });

  it('counts each invoice on its way once, and never against itself', async () => {
    await readingLeaves500(NOW - 60_000, '1000.00');
    const leased = await invoice(NOW - 30_000, { status: 'pending', stage: 'submitting' });
    expect(await guard.refresh()).toEqual([]);
    // 1,000.00 left, 500.00 of it on its way — this invoice, taken after its lease: it does not stand in its own way.
    expect(guard.admit(SELLER, leased, 100_001n, 'normal').kind).toBe('wait');
    expect(guard.admit(SELLER, leased, 50_000n, 'normal').kind).toBe('send');
    // Sent: counted once (in the snapshot), so 500.00 is left for the next; 500.01 is not.
    const next = await invoice(NOW - 20_000, { status: 'pending', stage: 'submitting' });
    expect(guard.admit(SELLER, next, 50_001n, 'normal').kind).toBe('wait');
    expect(guard.admit(SELLER, next, 50_000n, 'normal').kind).toBe('send');
  });
});
