// The invoice list on this run's dialect against the same filters applied by hand to every row:
// each filter alone and together, paged by cursor to the end — through the name index (a rare or
// absent name), the scan it falls back to (a fragment most names contain, a seller with more
// buyers than the index walk reads) and the date range's id bounds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.js';
import { listInvoices, type InvoiceFilter } from '../../src/store/invoice-store.js';
import type { InvoiceRow } from '../../src/store/schema/index.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, OTHER_SELLER, registerSellers, SELLER } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
const rows: InvoiceRow[] = [];
const START = 1_790_000_000_000;
const MINUTE = 60_000;
const NAMES = ['杭州星辰科技有限公司', '上海远航贸易有限公司', '北京恒信物流有限公司', '100%_Pure\\Trade Ltd', '深圳博达建设有限公司', '张三（个人）'];
const STATUSES = ['issued', 'issued', 'issued', 'failed', 'rejected', 'pending'] as const;

beforeAll(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  for (let n = 0; n < 600; n++) {
    const at = START + n * MINUTE;
    const status = STATUSES[n % 6]!;
    rows.push(
      invoiceRow(at, {
        seller_tax_id: n % 10 === 9 ? OTHER_SELLER : SELLER,
        buyer_name: n % 50 === 7 ? '一家很少开票的公司' : NAMES[(n * 7) % NAMES.length]!,
        buyer_tax_id: n % 3 === 0 ? null : `91330100MA${String(n % 4).padStart(7, '0')}X`,
        total: `${(n % 13) * 100}.00`,
        status,
        stage: status === 'pending' ? 'queued' : null,
        number: status === 'issued' ? `26332000000000${String(n).padStart(6, '0')}` : null,
      }),
    );
  }
  await store.db.insertInto('invoices').values(rows).execute();
});

afterAll(async () => {
  await store.close();
  await database.drop();
});

/** Every page of a filter, followed by cursor. */
async function everyPage(filter: Omit<InvoiceFilter, 'limit' | 'cursor'>, limit = 7): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await listInvoices(store.db, { ...filter, limit, ...(cursor && { cursor }) });
    ids.push(...page.rows.map((row) => row.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}

function byHand(keep: (row: InvoiceRow) => boolean, sellers = [SELLER]): string[] {
  return rows.filter((row) => sellers.includes(row.seller_tax_id) && keep(row)).map((row) => row.id).sort().reverse();
}

describe(`the invoice list on ${DIALECT}`, () => {
  const sellers = [SELLER];

  it('finds by part of the buyer name, rare, common, absent or with wildcards, with other filters and paged', async () => {
    const cases: [string, Partial<InvoiceFilter>, (row: InvoiceRow) => boolean][] = [
      ['rare', { buyerName: '很少' }, (row) => row.buyer_name.includes('很少')],
      ['one company', { buyerName: '远航' }, (row) => row.buyer_name.includes('远航')],
      ['absent', { buyerName: '不存在的名字' }, () => false],
      ['wildcards literal', { buyerName: '%_Pure\\' }, (row) => row.buyer_name.includes('%_Pure\\')],
      ['a wildcard alone', { buyerName: '_' }, (row) => row.buyer_name.includes('_')],
      ['most names (the scan)', { buyerName: '公司' }, (row) => row.buyer_name.includes('公司')],
      ['with a status', { buyerName: '恒信', status: 'failed' }, (row) => row.buyer_name.includes('恒信') && row.status === 'failed'],
      ['with a date range', { buyerName: '星辰', from: START + 100 * MINUTE, to: START + 300 * MINUTE }, (row) => row.buyer_name.includes('星辰') && row.created_at >= START + 100 * MINUTE && row.created_at < START + 300 * MINUTE],
    ];
    for (const [name, filter, keep] of cases) expect(await everyPage({ sellers, ...filter }), name).toEqual(byHand(keep));
    // Another seller's key finds none of this seller's buyers, by any path: the rare name is this
    // seller's alone, the common fragment goes through the scan.
    expect(rows.some((row) => row.buyer_name.includes('很少') && row.seller_tax_id === OTHER_SELLER)).toBe(false);
    expect(await everyPage({ sellers: [OTHER_SELLER], buyerName: '很少' })).toEqual([]);
    expect(await everyPage({ sellers: [OTHER_SELLER], buyerName: '很少', sellerTaxId: SELLER })).toEqual([]);
    expect(await everyPage({ sellers: [OTHER_SELLER], buyerName: '公司' })).toEqual(byHand((row) => row.buyer_name.includes('公司'), [OTHER_SELLER]));
    // A key acting for two sellers sees both sellers' matches, one list.
    expect(await everyPage({ sellers: [SELLER, OTHER_SELLER], buyerName: '远航' })).toEqual(byHand((row) => row.buyer_name.includes('远航'), [SELLER, OTHER_SELLER]));
  });

  it('finds by number, total, buyer tax ID, status and date range, alone and together', async () => {
    const issued = rows.find((row) => row.seller_tax_id === SELLER && row.number)!;
    const cases: [string, Partial<InvoiceFilter>, (row: InvoiceRow) => boolean][] = [
      ['number', { number: issued.number! }, (row) => row.number === issued.number],
      ['total', { total: '500.00' }, (row) => row.total === '500.00'],
      ['buyer tax ID', { buyerTaxId: '91330100MA0000002X' }, (row) => row.buyer_tax_id === '91330100MA0000002X'],
      ['status', { status: 'rejected' }, (row) => row.status === 'rejected'],
      ['stage', { stage: 'queued' }, (row) => row.stage === 'queued'],
      ['from', { from: START + 555 * MINUTE }, (row) => row.created_at >= START + 555 * MINUTE],
      ['to', { to: START + 20 * MINUTE + 1 }, (row) => row.created_at < START + 20 * MINUTE + 1],
      ['one day', { from: START + 60 * MINUTE, to: START + 61 * MINUTE }, (row) => row.created_at >= START + 60 * MINUTE && row.created_at < START + 61 * MINUTE],
      ['a range no id can carry', { from: -5, to: 8.64e15 }, () => true],
      ['together', { status: 'issued', total: '300.00', to: START + 400 * MINUTE }, (row) => row.status === 'issued' && row.total === '300.00' && row.created_at < START + 400 * MINUTE],
    ];
    for (const [name, filter, keep] of cases) expect(await everyPage({ sellers, ...filter }), name).toEqual(byHand(keep));
  });

  it('falls back to the scan for a seller with more buyers than the name index is walked for, with the same answer', async () => {
    const many = Array.from({ length: 5_100 }, (_, n) => invoiceRow(START + 1_000 * MINUTE + n, { seller_tax_id: OTHER_SELLER, buyer_name: `个人买家${n}` }));
    for (let i = 0; i < many.length; i += 500) await store.db.insertInto('invoices').values(many.slice(i, i + 500)).execute();
    rows.push(...many);
    expect(await everyPage({ sellers: [OTHER_SELLER], buyerName: '买家5099' }, 3)).toEqual(byHand((row) => row.buyer_name.includes('买家5099'), [OTHER_SELLER]));
    expect(await everyPage({ sellers: [OTHER_SELLER], buyerName: '远航' }, 50)).toEqual(byHand((row) => row.buyer_name.includes('远航'), [OTHER_SELLER]));
  });

  it.skipIf(DIALECT !== 'sqlite')('reads each exact filter and each buyer name through an index, never the whole history', async () => {
    const plan = async (where: string) => {
      const result = await sql<{ detail: string }>`explain query plan ${sql.raw(`select id from invoices where seller_tax_id = '${SELLER}' and ${where} order by id desc limit 51`)}`.execute(store.db);
      return result.rows.map((row) => row.detail).join('; ');
    };
    expect(await plan(`"number" = '1'`)).toContain('invoices_number_idx');
    expect(await plan(`total = '1.00'`)).toContain('invoices_total_idx');
    expect(await plan(`buyer_tax_id = 'x'`)).toContain('invoices_buyer_tax_id_idx');
    expect(await plan(`status = 'failed'`)).toContain('invoices_status_idx');
    expect(await plan(`buyer_name = 'x'`)).toContain('invoices_buyer_name_idx');
  });
});
