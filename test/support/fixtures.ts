// Rows and registrations for store-level tests.
import type { Kysely } from 'kysely';
import { newInvoiceId, newSerialNo } from '../../src/store/ids.js';
import type { Database, InvoiceRow } from '../../src/store/schema/index.js';
import { saveSeller } from '../../src/store/seller-store.js';

export const SELLER = '91330106MA2B0Y5R34';
export const OTHER_SELLER = '91330100799655058B';

export async function registerSellers(db: Kysely<Database>): Promise<void> {
  await saveSeller(db, { taxId: SELLER, name: '演示科技（杭州）有限公司', sandbox: false }, 0);
  await saveSeller(db, { taxId: OTHER_SELLER, name: '阿里巴巴（中国）有限公司', sandbox: false }, 0);
}

export function invoiceRow(now: number, overrides: Partial<InvoiceRow> = {}): InvoiceRow {
  return {
    id: newInvoiceId(now),
    seller_tax_id: SELLER,
    order_no: 'SO-1',
    buyer_tax_id: null,
    buyer_name: '张三',
    type: 'normal',
    total: '1060.00',
    request_json: '{}',
    computed_json: '{"totals":{"total":"1060.00"}}',
    status: 'pending',
    stage: 'queued',
    serial_no: newSerialNo(now),
    channel: null,
    number: null,
    issued_at: null,
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_expires_at: null,
    lease_version: 0,
    give_up_at: now + 72 * 3_600_000,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}
