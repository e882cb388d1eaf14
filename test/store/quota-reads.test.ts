// A seller's quota read as leased work on this run's dialect, and an operator's ask for a read
// (POST …/quota/read): an ask makes the seller due at once; an ask made while a read is on its
// way is not lost when that read settles (the read may have been answered before the raise the
// ask is about), and the next read settles on its own schedule again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { leaseDueQuotaReads, readQuotaSoon, settleQuotaRead, sellerQuotaRows, type QuotaReadLease } from '../../src/store/quota-store.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { SELLER } from '../support/fixtures.js';

const HOUR = 3_600_000;
let database: TestDatabase;
let store: Store;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await store.db.insertInto('seller_quotas').values({ seller_tax_id: SELLER, updated_at: 0 }).execute();
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

const lease = async (now: number): Promise<QuotaReadLease | undefined> => (await leaseDueQuotaReads(store.db, store.capabilities, now, { workerId: 'w', leaseMs: 60_000, limit: 5 }))[0];
const nextReadAt = async () => Number((await sellerQuotaRows(store.db, [SELLER]))[0]!.next_read_at);
const reading = { totalFen: 10_000_000n, usedFen: 0n, remainingFen: 10_000_000n, asOf: 1_000 };
const settle = (claimed: QuotaReadLease, now: number) => settleQuotaRead(store.db, claimed, now, { kind: 'read', channel: 'sim', reading, month: '2026-12', usedElsewhereFen: 0n }, { nextReadAt: now + HOUR, readsDay: '2026-12-03', readsCount: 1 });

describe(`quota reads on ${DIALECT}`, () => {
  it('makes a seller due at once when a read is asked for, and never later than it was', async () => {
    const first = (await lease(1_000))!;
    expect(await settle(first, 2_000)).toBe(true);
    expect(await nextReadAt()).toBe(2_000 + HOUR);
    expect(await lease(3_000)).toBeUndefined();
    await readQuotaSoon(store.db, SELLER, 3_000);
    expect(await nextReadAt()).toBe(3_000);
    // Asked again later while still due: it stays due from the first ask.
    await readQuotaSoon(store.db, SELLER, 4_000);
    expect(await nextReadAt()).toBe(3_000);
    expect((await lease(4_000))?.row.seller_tax_id).toBe(SELLER);
  });

  it('keeps an ask made while a read is on its way: the seller stays due after that read settles', async () => {
    const onItsWay = (await lease(1_000))!;
    await readQuotaSoon(store.db, SELLER, 1_500);
    expect(await settle(onItsWay, 2_000)).toBe(true);
    expect(await nextReadAt()).toBe(2_000);
    // The read after the ask settles on its own schedule: no ask came while it was on its way.
    const asked = (await lease(2_500))!;
    expect(asked).toBeDefined();
    expect(await settle(asked, 3_000)).toBe(true);
    expect(await nextReadAt()).toBe(3_000 + HOUR);
  });

  it('keeps asks made at once from many clients while a read is on its way', async () => {
    const onItsWay = (await lease(1_000))!;
    await Promise.all(Array.from({ length: 20 }, () => readQuotaSoon(store.db, SELLER, 1_500)));
    expect(Number((await sellerQuotaRows(store.db, [SELLER]))[0]!.read_asks)).toBe(20);
    expect(await settle(onItsWay, 2_000)).toBe(true);
    expect(await nextReadAt()).toBe(2_000);
  });
});
