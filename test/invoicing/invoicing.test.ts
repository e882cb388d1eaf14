// The invoicing use cases called directly, as the console and the CLI will call them: no HTTP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Invoicing } from '../../src/invoicing/invoicing.js';
import { systemClock } from '../../src/runtime/clock.js';
import { openStore, type Store } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { OTHER_SELLER, registerSellers, SELLER } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';

let database: TestDatabase;
let store: Store;
let invoicing: Invoicing;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  const commit = new GroupCommit(store.db, { maxBatch: 16, maxQueued: 100 });
  invoicing = new Invoicing({ db: store.db, reader: store.db, capabilities: store.capabilities, commit, clock: systemClock, idempotencyTtlMs: 3_600_000, maxAgeMs: 3_600_000 });
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

describe(`invoicing use cases on ${DIALECT}`, () => {
  const actor = { sellers: [SELLER] };

  it('issues for an actor of the seller, once per key and per order number', async () => {
    const created = await invoicing.issue(validRequest({ orderNo: 'UC-1' }), 'k1', actor);
    expect(created).toMatchObject({ kind: 'created', invoice: { status: 'pending', order_no: 'UC-1', seller_tax_id: SELLER } });
    expect((await invoicing.issue(validRequest({ orderNo: 'UC-1' }), 'k1', actor)).kind).toBe('replayed');
    expect((await invoicing.issue(validRequest({ orderNo: 'UC-1' }), 'k2', actor)).kind).toBe('order_no_taken');
  });

  it('refuses another seller, and an invalid request with every problem, writing nothing', async () => {
    expect(await invoicing.issue(validRequest({ orderNo: 'UC-2', seller: { taxId: OTHER_SELLER } }), 'k3', actor)).toEqual({ kind: 'seller_forbidden', sellers: [OTHER_SELLER] });
    const invalid = await invoicing.issue(validRequest({ orderNo: '', priceIncludesTax: 'yes' }), 'k4', actor);
    expect(invalid.kind).toBe('invalid');
    expect(invalid.kind === 'invalid' && invalid.errors.map((p) => `${p.path} ${p.code}`)).toEqual(['/orderNo string_empty', '/priceIncludesTax type_invalid']);
    const count = await store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('previews without storing, and retries only a failed invoice of the actor', async () => {
    const preview = await invoicing.compute(validRequest(), actor);
    expect(preview).toMatchObject({ kind: 'computed', invoice: { totals: { total: '1060.00' } } });
    const created = await invoicing.issue(validRequest({ orderNo: 'UC-3' }), 'k5', actor);
    const id = created.kind === 'created' ? created.invoice.id : '';
    expect((await invoicing.retry(id, actor)).kind).toBe('not_failed');
    expect((await invoicing.retry(id, { sellers: [OTHER_SELLER] })).kind).toBe('not_found');
  });
});
