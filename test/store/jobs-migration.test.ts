// Upgrading a database whose documents' state lived in five invoice columns (before migration
// 005): every issued invoice keeps its documents' state, now as a job, on this run's dialect.
import { closeSync, openSync } from 'node:fs';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openExistingStore, openStore } from '../../src/store/database.js';
import { findInvoice } from '../../src/store/invoice-store.js';
import { leaseDueDocuments } from '../../src/store/document-jobs.js';
import { DIALECT, freshDatabase, testMigrator, type TestDatabase } from '../support/database.js';
import { legacyInvoiceRow, registerSellers, SELLER } from '../support/fixtures.js';

const NOW = 1_790_000_000_000;
const RENDERED = 'inv_01M8AAAAAAAAAAAAAAAAAAAAA1';
const FAILING = 'inv_01M8AAAAAAAAAAAAAAAAAAAAA2';
const QUEUED = 'inv_01M8AAAAAAAAAAAAAAAAAAAAA3';
let database: TestDatabase;

beforeEach(async () => {
  database = await freshDatabase();
});
afterEach(async () => {
  await database.drop();
});

describe(`migration 005 (jobs) on ${DIALECT}`, () => {
  it('moves each invoice’s documents state into a job and drops the columns', async () => {
    if (database.location.kind === 'sqlite') closeSync(openSync(database.location.file, 'w'));
    const old = openExistingStore(database.location, { connectTimeoutMs: 5000 });
    const migrator = await testMigrator(old.db);
    expect((await migrator.migrateTo('004-storage-probe')).error).toBeUndefined();
    await registerSellers(old.db);
    const issued = { status: 'issued', stage: null, number: '26332000000000000001', issued_at: NOW };
    await old.db.insertInto('invoices').values([legacyInvoiceRow(NOW, { id: RENDERED, order_no: 'A', ...issued }), legacyInvoiceRow(NOW, { id: FAILING, order_no: 'B', ...issued }), legacyInvoiceRow(NOW, { id: QUEUED, order_no: 'C' })]).execute();
    await sql`update invoices set documents_status = 'rendered' where id = ${RENDERED}`.execute(old.db);
    await sql`update invoices set documents_status = 'pending', documents_attempts = 2, documents_error = 'font missing', documents_next_at = ${NOW + 5000} where id = ${FAILING}`.execute(old.db);
    await old.close();

    const store = await openStore(database.location);
    try {
      const jobs = await store.db.selectFrom('jobs').selectAll().orderBy('subject_id').execute();
      expect(jobs.map((job) => [job.subject_id, job.status, Number(job.attempts), job.last_error, Number(job.next_at)])).toEqual([
        [RENDERED, 'done', 0, null, NOW],
        [FAILING, 'pending', 2, 'font missing', NOW + 5000],
      ]);
      expect(await findInvoice(store.db, RENDERED, [SELLER])).toMatchObject({ documents_status: 'done', documents_error: null });
      expect(await findInvoice(store.db, FAILING, [SELLER])).toMatchObject({ documents_status: 'pending', documents_attempts: 2, documents_error: 'font missing' });
      expect(await findInvoice(store.db, QUEUED, [SELLER])).toMatchObject({ documents_status: null });
      const columns = Object.keys((await store.db.selectFrom('invoices').selectAll().where('id', '=', RENDERED).executeTakeFirstOrThrow()));
      expect(columns.filter((column) => column.startsWith('documents_'))).toEqual([]);
      // The failing one is due again when its time comes, and only then.
      expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 4999, { limit: 10, leaseMs: 1000 })).toEqual([]);
      expect((await leaseDueDocuments(store.db, store.capabilities, NOW + 5000, { limit: 10, leaseMs: 1000 })).map((lease) => lease.invoiceId)).toEqual([FAILING]);
    } finally {
      await store.close();
    }
  });
});
