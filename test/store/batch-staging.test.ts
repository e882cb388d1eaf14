// A batch's staged rows on this run's dialect: duplicates and orphans found over the whole file,
// pages that skip repeated 发票流水号 and carry their lines across page boundaries, and checks cut
// short by a stopped process swept away whole, while live batches stay.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBatch, insertBatch, purgeAbandonedBatchChecks, stagedDuplicates, stagedInvoiceCount, stagedOrphans, stagedPage, stageRows, type StagedRow } from '../../src/store/batch-store.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { SELLER } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

const row = (sheet: 1 | 2 | 3, rowNo: number, serialNo: string | null): StagedRow => ({ sheet, rowNo, serialNo, cells: [serialNo ?? undefined, `cell ${sheet}:${rowNo}`] });
const batch = (id: string, status: 'checking' | 'accepted', now: number) =>
  insertBatch(store.db, { id, sellerTaxId: SELLER, mode: 'each', status, source: 'xlsx', fileName: 'f.xlsx', problems: undefined, createdBy: 'key_test', rows: [] }, now);

describe(`staged batch rows on ${DIALECT}`, () => {
  it('finds repeated serial numbers and rows of no invoice, and pages invoices with their rows', async () => {
    const id = 'bat_01KSTAGING000000000000000A';
    await batch(id, 'checking', 1_000);
    await stageRows(store.db, id, [row(1, 4, 'A'), row(1, 5, 'B'), row(1, 6, 'A'), row(1, 7, 'C'), row(1, 8, null)]);
    await stageRows(store.db, id, [row(2, 4, 'A'), row(2, 5, 'B'), row(2, 6, 'C'), row(2, 7, 'C'), row(2, 8, 'D'), row(2, 9, null), row(3, 4, 'X')]);
    expect(await stagedInvoiceCount(store.db, id)).toBe(5);
    expect(await stagedDuplicates(store.db, id)).toEqual([{ rowNo: 6, serialNo: 'A' }]);
    expect(await stagedOrphans(store.db, id)).toEqual([
      { sheet: 2, rowNo: 8, serialNo: 'D' },
      { sheet: 2, rowNo: 9, serialNo: null },
      { sheet: 3, rowNo: 4, serialNo: 'X' },
    ]);
    const skip = new Set([6]);
    const first = await stagedPage(store.db, id, 0, 2, skip);
    expect(first.basic.map((r) => r.rowNo)).toEqual([4, 5]);
    expect(first.detail.map((r) => [r.rowNo, r.serialNo])).toEqual([[4, 'A'], [5, 'B']]);
    expect(first.basic[0]!.cells).toEqual(['A', 'cell 1:4']);
    // The repeated A (row 6) is skipped, but the page still ends there and the next goes on after it.
    const second = await stagedPage(store.db, id, first.last!, 2, skip);
    expect(second.basic.map((r) => r.rowNo)).toEqual([7]);
    expect(second.last).toBe(7);
    expect(second.detail.map((r) => r.rowNo)).toEqual([6, 7]);
    const third = await stagedPage(store.db, id, second.last!, 2, skip);
    expect(third.basic.map((r) => [r.rowNo, r.serialNo])).toEqual([[8, null]]);
    expect(third.detail).toEqual([]);
    expect((await stagedPage(store.db, id, third.last!, 2, skip)).last).toBeUndefined();
  });

  it('sweeps checks their process abandoned, whole, and leaves the others', async () => {
    await batch('bat_01KSTAGING000000000000000B', 'checking', 1_000);
    await stageRows(store.db, 'bat_01KSTAGING000000000000000B', [row(1, 4, 'A')]);
    await batch('bat_01KSTAGING000000000000000C', 'checking', 50_000);
    await batch('bat_01KSTAGING000000000000000D', 'accepted', 1_000);
    expect(await purgeAbandonedBatchChecks(store.db, 10_000)).toBe(1);
    expect(await findBatch(store.db, 'bat_01KSTAGING000000000000000B')).toBeUndefined();
    expect(await store.db.selectFrom('batch_staging').selectAll().execute()).toEqual([]);
    expect(await findBatch(store.db, 'bat_01KSTAGING000000000000000C')).toMatchObject({ status: 'checking' });
    expect(await findBatch(store.db, 'bat_01KSTAGING000000000000000D')).toMatchObject({ status: 'accepted' });
  });
});
