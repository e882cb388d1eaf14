// Rows and registrations for store-level tests, and a database ready for gateway processes.
import type { Kysely } from 'kysely';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { newInvoiceId, newSerialNo } from '../../src/store/ids.js';
import { pendingInvoiceRow } from '../../src/store/invoice-store.js';
import type { Database, InvoiceRow } from '../../src/store/schema/index.js';
import { saveSeller } from '../../src/store/seller-store.js';
import { freshDatabase, type TestDatabase } from './database.js';

export const SELLER = '91330106MA2B0Y5R34';
export const OTHER_SELLER = '91330100799655058B';

export async function registerSellers(db: Kysely<Database>): Promise<void> {
  await saveSeller(db, { taxId: SELLER, name: '演示科技（杭州）有限公司', sandbox: false }, 0);
  await saveSeller(db, { taxId: OTHER_SELLER, name: '阿里巴巴（中国）有限公司', sandbox: false }, 0);
}

export function invoiceRow(now: number, overrides: Partial<InvoiceRow> = {}): InvoiceRow {
  const id = newInvoiceId(now);
  const row = pendingInvoiceRow({
    id,
    serialNo: newSerialNo(now),
    sellerTaxId: SELLER,
    // One order number per invoice, as the accept path requires of a seller.
    orderNo: `SO-${id}`,
    buyerTaxId: null,
    buyerName: '张三',
    type: 'normal',
    total: '1060.00',
    requestJson: '{}',
    computedJson: '{"totals":{"total":"1060.00"}}',
    now,
    giveUpAt: now + 72 * 3_600_000,
  });
  return { ...row, ...overrides };
}

/** An invoice row as a database before migration 008 holds it (for upgrade tests). */
export function legacyInvoiceRow(now: number, overrides: Partial<InvoiceRow> = {}): Omit<InvoiceRow, 'last_sent_at' | 'kind' | 'blue_invoice_id' | 'red_reason' | 'confirmation_bill_no' | 'confirmation_status' | 'trace_parent'> {
  const { last_sent_at: _sent, kind: _kind, blue_invoice_id: _blue, red_reason: _reason, confirmation_bill_no: _bill, confirmation_status: _state, trace_parent: _trace, ...row } = invoiceRow(now, overrides);
  return row;
}

/** A database of this run's dialect, migrated, with both sellers and an issue+read key for SELLER: for tests that start gateway processes on it. */
export async function databaseWithKey(): Promise<{ database: TestDatabase; key: string }> {
  const database = await freshDatabase();
  const setup = await openStore(database.location);
  await registerSellers(setup.db);
  const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now());
  await setup.close();
  return { database, key };
}
