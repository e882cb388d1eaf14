// Upgrading a database whose audit trail was one chain under one locked head (before migration
// 009): its entries become chain 1 unchanged, the registry records that chain, `verify` passes, new
// entries continue the chain, and a change to an old entry is still found. On this run's dialect.
import { closeSync, openSync } from 'node:fs';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, auditHash } from '../../src/store/audit-log.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openExistingStore, openStore } from '../../src/store/database.js';
import { DIALECT, freshDatabase, testMigrator, type TestDatabase } from '../support/database.js';

const NOW = 1_790_000_000_000;
let database: TestDatabase;
beforeEach(async () => {
  database = await freshDatabase();
});
afterEach(async () => {
  await database.drop();
});

describe(`migration 009 (audit chains) on ${DIALECT}`, () => {
  it('keeps the single chain as chain 1, verifiable, and goes on from its head', async () => {
    if (database.location.kind === 'sqlite') closeSync(openSync(database.location.file, 'w'));
    const old = openExistingStore(database.location, { connectTimeoutMs: 5000 });
    const migrator = await testMigrator(old.db);
    expect((await migrator.migrateTo('008-last-sent')).error).toBeUndefined();
    // The chain as the code before 009 wrote it: seq from 1, from the zero genesis, one head row.
    let previous = '0'.repeat(64);
    const rows = Array.from({ length: 40 }, (_, i) => {
      const row = { seq: i + 1, at: NOW + i, invoice_id: `inv_${i % 9}`, event: 'accepted', from_state: null, to_state: 'pending/queued', detail: null };
      const hash = auditHash(previous, row);
      const stored = { ...row, prev_hash: previous, hash };
      previous = hash;
      return stored;
    });
    // The tables as they were before 009, which the schema type no longer describes.
    for (const row of rows) {
      await sql`insert into audit_log (seq, at, invoice_id, event, from_state, to_state, detail, prev_hash, hash)
                values (${row.seq}, ${row.at}, ${row.invoice_id}, ${row.event}, ${row.from_state}, ${row.to_state}, ${row.detail}, ${row.prev_hash}, ${row.hash})`.execute(old.db);
    }
    await sql`update audit_head set seq = 40, hash = ${previous} where id = 1`.execute(old.db);
    await old.close();

    const store = await openStore(database.location);
    try {
      expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true, entries: 40, chains: 1 });
      const chain = await store.db.selectFrom('audit_chains').selectAll().executeTakeFirstOrThrow();
      expect([chain.chain, Number(chain.seq), chain.hash]).toEqual([1, 40, previous]);
      await store.db.transaction().execute((tx) => appendAudit(tx, store.capabilities, NOW + 100, [{ invoiceId: 'inv_new', event: 'accepted', from: null, to: 'pending/queued' }]));
      const next = await store.db.selectFrom('audit_log').selectAll().where('invoice_id', '=', 'inv_new').executeTakeFirstOrThrow();
      expect([next.chain, Number(next.seq), next.prev_hash]).toEqual([1, 41, previous]);
      expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true, entries: 41, chains: 1 });
      await store.db.updateTable('audit_log').set({ event: 'issued' }).where('chain', '=', 1).where('seq', '=', 12).execute();
      expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: 1, seq: 12, invoiceId: 'inv_2' });
    } finally {
      await store.close();
    }
  });
});
