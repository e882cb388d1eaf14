// The document renderer's queue on this run's dialect: a claim that expired and was taken over
// can store nothing and record nothing; the claim that holds the invoice does. The queue is the
// generic jobs table, so these cases hold for every job kind that uses it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { findDocument, leaseDueDocuments, recordRenderFailure, storeRenderedDocuments } from '../../src/store/document-jobs.js';
import { enqueueJobs } from '../../src/store/job-queue.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, registerSellers } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
const NOW = 1_790_000_000_000;
const ID = 'inv_01M8AAAAAAAAAAAAAAAAAAAAAA';

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  await store.db.transaction().execute(async (tx) => {
    await tx.insertInto('invoices').values(invoiceRow(NOW, { id: ID, status: 'issued', stage: null, number: '26332000000000000001', issued_at: NOW })).execute();
    await enqueueJobs(tx, 'documents', [ID], NOW);
    // Queued twice (a settle retried after a lost connection, say): still one job.
    await enqueueJobs(tx, 'documents', [ID], NOW + 5);
  });
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

const bytes = (text: string) => new TextEncoder().encode(text);
const job = () =>
  store.db.selectFrom('jobs').select(['status', 'last_error', 'attempts', 'next_at', 'lease_until']).where('queue', '=', 'documents').where('subject_id', '=', ID).executeTakeFirstOrThrow();

describe(`document jobs on ${DIALECT}`, () => {
  it('fences the settle by the claim: a claim taken over after it expired writes nothing', async () => {
    const [first] = await leaseDueDocuments(store.db, store.capabilities, NOW, { limit: 10, leaseMs: 1000 });
    expect(first).toMatchObject({ invoiceId: ID, number: '26332000000000000001', attempts: 0 });
    // Nothing more to claim while the first claim holds.
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 500, { limit: 10, leaseMs: 1000 })).toEqual([]);
    // The first renderer stalls past its lease; another takes the invoice over.
    const [second] = await leaseDueDocuments(store.db, store.capabilities, NOW + 1500, { limit: 10, leaseMs: 1000 });
    expect(second?.invoiceId).toBe(first!.invoiceId);
    expect(second!.job.leaseVersion).toBeGreaterThan(first!.job.leaseVersion);

    const late = await store.db.transaction().execute((tx) => storeRenderedDocuments(tx, first!, { pdf: bytes('%PDF-late'), xml: bytes('<late/>'), now: NOW + 1600, capabilities: store.capabilities }));
    expect(late).toBe('lost');
    expect(await recordRenderFailure(store.db, first!, { message: 'late', nextAt: NOW + 9999, now: NOW + 1600 })).toBe('lost');
    expect(await findDocument(store.db, ID, 'pdf')).toBeUndefined();

    const held = await store.db.transaction().execute((tx) => storeRenderedDocuments(tx, second!, { pdf: bytes('%PDF-new'), xml: bytes('<new/>'), now: NOW + 1700, capabilities: store.capabilities }));
    expect(held).toBe('stored');
    const pdf = await findDocument(store.db, ID, 'pdf');
    expect(Buffer.from(pdf!.content).toString()).toBe('%PDF-new');
    expect(await job()).toMatchObject({ status: 'done', last_error: null, attempts: 0, lease_until: null });
    // Done is done: the same claim cannot settle twice, and nothing is due any more.
    expect(await store.db.transaction().execute((tx) => storeRenderedDocuments(tx, second!, { pdf: bytes('%PDF-again'), xml: bytes('<again/>'), now: NOW + 1800, capabilities: store.capabilities }))).toBe('lost');
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 99_999, { limit: 10, leaseMs: 1000 })).toEqual([]);
  });

  it('records a failure and when to try again, for the claim that holds it', async () => {
    const [lease] = await leaseDueDocuments(store.db, store.capabilities, NOW, { limit: 10, leaseMs: 1000 });
    expect(await recordRenderFailure(store.db, lease!, { message: 'font missing', nextAt: NOW + 2000, now: NOW + 10 })).toBe('recorded');
    expect(await job()).toEqual({ status: 'pending', last_error: 'font missing', attempts: 1, next_at: NOW + 2000, lease_until: null });
    expect(await leaseDueDocuments(store.db, store.capabilities, NOW + 1000, { limit: 10, leaseMs: 1000 })).toEqual([]);
    const [again] = await leaseDueDocuments(store.db, store.capabilities, NOW + 2000, { limit: 10, leaseMs: 1000 });
    expect(again).toMatchObject({ invoiceId: ID, attempts: 1 });
  });
});
