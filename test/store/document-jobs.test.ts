// The document renderer's queue on this run's dialect: a claim that expired and was taken over
// can store nothing and record nothing; the claim that holds the invoice does.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { findDocument, leaseDueDocuments, recordRenderFailure, storeRenderedDocuments } from '../../src/store/document-jobs.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, registerSellers } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
const NOW = 1_790_000_000_000;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  await store.db
    .insertInto('invoices')
    .values(invoiceRow(NOW, { id: 'inv_01M8AAAAAAAAAAAAAAAAAAAAAA', status: 'issued', stage: null, number: '26332000000000000001', issued_at: NOW, documents_status: 'pending', documents_next_at: NOW }))
    .execute();
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

const bytes = (text: string) => new TextEncoder().encode(text);

describe(`document jobs on ${DIALECT}`, () => {
  it('fences the settle by the claim: a claim taken over after it expired writes nothing', async () => {
    const [first] = await leaseDueDocuments(store.db, store.capabilities, NOW, { limit: 10, leaseMs: 1000 });
    expect(first).toBeDefined();
    // Nothing more to claim while the first claim holds.
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 500, { limit: 10, leaseMs: 1000 })).toEqual([]);
    // The first renderer stalls past its lease; another takes the invoice over.
    const [second] = await leaseDueDocuments(store.db, store.capabilities, NOW + 1500, { limit: 10, leaseMs: 1000 });
    expect(second?.invoiceId).toBe(first!.invoiceId);

    const late = await store.db.transaction().execute((tx) => storeRenderedDocuments(tx, first!, { pdf: bytes('%PDF-late'), xml: bytes('<late/>'), now: NOW + 1600 }));
    expect(late).toBe('lost');
    expect(await recordRenderFailure(store.db, first!, { message: 'late', nextAt: NOW + 9999 })).toBe('lost');
    expect(await findDocument(store.db, first!.invoiceId, 'pdf')).toBeUndefined();

    const held = await store.db.transaction().execute((tx) => storeRenderedDocuments(tx, second!, { pdf: bytes('%PDF-new'), xml: bytes('<new/>'), now: NOW + 1700 }));
    expect(held).toBe('stored');
    const pdf = await findDocument(store.db, first!.invoiceId, 'pdf');
    expect(Buffer.from(pdf!.content).toString()).toBe('%PDF-new');
    const row = await store.db.selectFrom('invoices').select(['documents_status', 'documents_error', 'documents_attempts']).executeTakeFirstOrThrow();
    expect(row).toEqual({ documents_status: 'rendered', documents_error: null, documents_attempts: 0 });
  });

  it('records a failure and when to try again, for the claim that holds it', async () => {
    const [lease] = await leaseDueDocuments(store.db, store.capabilities, NOW, { limit: 10, leaseMs: 1000 });
    expect(await recordRenderFailure(store.db, lease!, { message: 'font missing', nextAt: NOW + 2000 })).toBe('recorded');
    const row = await store.db.selectFrom('invoices').select(['documents_status', 'documents_error', 'documents_attempts', 'documents_next_at', 'documents_lease_until']).executeTakeFirstOrThrow();
    expect(row).toEqual({ documents_status: 'pending', documents_error: 'font missing', documents_attempts: 1, documents_next_at: NOW + 2000, documents_lease_until: null });
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 1000, { limit: 10, leaseMs: 1000 })).toEqual([]);
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 2000, { limit: 10, leaseMs: 1000 })).toHaveLength(1);
  });
});
