// Upgrading a database written before the one-invoice-per-order-number rule: duplicates already
// there must not stop the gateway from starting, and no new duplicate may be added afterwards.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { acceptInvoice } from '../../src/store/invoice-store.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { Database } from '../../src/store/schema/index.js';
import { invoiceRow, legacyInvoiceRow, registerSellers, SELLER } from '../support/fixtures.js';

const NOW = 1_790_000_000_000;

describe('migration 003 (order numbers)', () => {
  it('keeps old duplicates, starts, and refuses every new duplicate', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fapiao-migrate-')), 'fapiao.db');
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(file) }) });
    const migrator = new Migrator({ db: old, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
    expect((await migrator.migrateTo('002-documents')).error).toBeUndefined();
    await registerSellers(old);
    await old.insertInto('invoices').values([legacyInvoiceRow(NOW, { order_no: 'OLD-1' }), legacyInvoiceRow(NOW + 1, { order_no: 'OLD-1' })]).execute();
    await old.destroy();

    const store = await openStore({ kind: 'sqlite', file });
    const commit = new GroupCommit(store.db, { maxBatch: 16, maxQueued: 100 });
    const accept = (key: string, orderNo: string, now: number) =>
      acceptInvoice(commit, store.capabilities, { sellerTaxId: SELLER, idempotencyKey: key, requestHash: key, idempotencyTtlMs: 3_600_000, row: invoiceRow(now, { order_no: orderNo }) });
    expect((await accept('k1', 'OLD-1', NOW + 10)).kind).toBe('order_no_taken');
    expect((await accept('k2', 'NEW-1', NOW + 10)).kind).toBe('created');
    expect((await accept('k3', 'NEW-1', NOW + 11)).kind).toBe('order_no_taken');
    await expect(store.db.insertInto('invoices').values(invoiceRow(NOW + 12, { order_no: 'NEW-1' })).execute()).rejects.toThrow(/UNIQUE/);
    await store.close();
  });
});
