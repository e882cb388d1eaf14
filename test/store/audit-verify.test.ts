// The audit chain check on this run's dialect: intact chains pass; a changed, removed or
// truncated entry is found and named.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/store/audit-log.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let store: Store;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await store.db.transaction().execute((tx) =>
    appendAudit(
      tx,
      store.capabilities,
      1_790_000_000_000,
      Array.from({ length: 30 }, (_, i) => ({ invoiceId: `inv_${i % 7}`, event: 'accepted', from: null, to: 'pending/queued', detail: { n: i } })),
    ),
  );
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

describe(`audit chain on ${DIALECT}`, () => {
  it('passes when intact', async () => {
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: true, entries: 30 });
  });

  it('names the entry whose content was changed', async () => {
    await store.db.updateTable('audit_log').set({ to_state: 'issued' }).where('seq', '=', 17).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: false, seq: 17, invoiceId: 'inv_2', entries: 16 });
  });

  it('finds an entry removed from the middle', async () => {
    await store.db.deleteFrom('audit_log').where('seq', '=', 9).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: false, seq: 9, problem: expect.stringContaining('missing') as string });
  });

  it('finds entries removed from the end, by the chain head', async () => {
    await store.db.deleteFrom('audit_log').where('seq', '>', 28).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: false, problem: expect.stringContaining('removed or added') as string });
  });

  it('finds an entry re-hashed to hide a change, by the next link', async () => {
    const row = await store.db.selectFrom('audit_log').selectAll().where('seq', '=', 5).executeTakeFirstOrThrow();
    const { auditHash } = await import('../../src/store/audit-log.js');
    const forged = { ...row, seq: 5, at: Number(row.at), to_state: 'issued' };
    await store.db.updateTable('audit_log').set({ to_state: 'issued', hash: auditHash(row.prev_hash, forged) }).where('seq', '=', 5).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: false, seq: 6 });
  });
});
