// The audit trail check on this run's dialect: intact chains pass; a changed, removed or truncated
// entry is found and named, and so is a whole chain removed. On PostgreSQL three transactions
// append at once and each takes its own chain (none waits for another: they meet at a barrier
// while all three are open, which a shared lock would deadlock); SQLite has one writer and one chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, AuditChainOpener, auditHash } from '../../src/store/audit-log.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let store: Store;
const WRITERS = DIALECT === 'postgres' ? 3 : 1;
const PER_WRITER = 30 / WRITERS;

const entries = (writer: number) =>
  Array.from({ length: PER_WRITER }, (_, i) => ({ invoiceId: `inv_${writer}_${i % 7}`, event: 'accepted', from: null, to: 'pending/queued', detail: { n: i } }));

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  // As a gateway does at start-up: a chain for each writer that may be open at once.
  await new AuditChainOpener(store.db, store.capabilities).atLeast(WRITERS);
  let arrived = 0;
  let release: () => void = () => undefined;
  const barrier = new Promise<void>((resolve) => (release = resolve));
  await Promise.all(
    Array.from({ length: WRITERS }, (_, writer) =>
      store.db.transaction().execute(async (tx) => {
        await appendAudit(tx, store.capabilities, 1_790_000_000_000 + writer, entries(writer));
        if (++arrived === WRITERS) release();
        await barrier;
      }),
    ),
  );
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

const lastChain = WRITERS;

describe(`audit chains on ${DIALECT}`, () => {
  it('passes when intact, one chain per writer that was open at once', async () => {
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true, entries: 30, chains: WRITERS, head: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    const chains = await store.db.selectFrom('audit_log').select('chain').distinct().orderBy('chain').execute();
    expect(chains.map((row) => row.chain)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
  });

  it('reads one moment: writers committing during the walk are never taken for a break', async () => {
    // Another connection keeps appending (a running gateway) while the trail is verified.
    const writer = await openStore(database.location);
    let writing = true;
    const appended = (async () => {
      for (let n = 0; writing; n++) {
        await writer.db.transaction().execute((tx) => appendAudit(tx, writer.capabilities, 1_790_000_100_000 + n, entries(0).slice(0, 3)));
      }
    })();
    try {
      for (let round = 0; round < 8; round++) expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true });
    } finally {
      writing = false;
      await appended;
      await writer.close();
    }
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true });
  });

  it('names the entry whose content was changed', async () => {
    const target = await store.db.selectFrom('audit_log').select('invoice_id').where('chain', '=', lastChain).where('seq', '=', 7).executeTakeFirstOrThrow();
    await store.db.updateTable('audit_log').set({ to_state: 'issued' }).where('chain', '=', lastChain).where('seq', '=', 7).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: lastChain, seq: 7, invoiceId: target.invoice_id });
  });

  it('finds an entry removed from the middle', async () => {
    await store.db.deleteFrom('audit_log').where('chain', '=', 1).where('seq', '=', 4).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: 1, seq: 4, problem: expect.stringContaining('missing') as string });
  });

  it('finds entries removed from the end, by the chain head', async () => {
    await store.db.deleteFrom('audit_log').where('chain', '=', lastChain).where('seq', '>', PER_WRITER - 2).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: lastChain, problem: expect.stringContaining('removed or added') as string });
  });

  it('finds an entry re-hashed to hide a change, by the next link', async () => {
    const row = await store.db.selectFrom('audit_log').selectAll().where('chain', '=', 1).where('seq', '=', 5).executeTakeFirstOrThrow();
    const forged = { ...row, seq: 5, at: Number(row.at), to_state: 'issued' };
    await store.db.updateTable('audit_log').set({ to_state: 'issued', hash: auditHash(row.prev_hash, forged) }).where('chain', '=', 1).where('seq', '=', 5).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: 1, seq: 6 });
  });

  it('finds a whole chain removed, entries and head row alike, by the registry', async () => {
    await store.db.deleteFrom('audit_log').where('chain', '=', 1).execute();
    await store.db.deleteFrom('audit_chains').where('chain', '=', 1).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, problem: expect.stringMatching(/chain 1 is missing|chains were removed/) as string });
  });

  it('finds the last chain removed, by the registry head', async () => {
    await store.db.deleteFrom('audit_log').where('chain', '=', lastChain).execute();
    await store.db.deleteFrom('audit_chains').where('chain', '=', lastChain).execute();
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: false, chain: null, problem: expect.stringContaining('chains were removed or added') as string });
  });

  it('finds a chain emptied and reset to its genesis, by the registry link it cannot fake', async () => {
    await store.db.deleteFrom('audit_log').where('chain', '=', 1).execute();
    await store.db.updateTable('audit_chains').set({ seq: 0, hash: '0'.repeat(64) }).where('chain', '=', 1).execute();
    // The chain's head now agrees with its (empty) log; only anchoring the digest outside catches this.
    const verdict = await verifyAuditChain(store.db, store.capabilities);
    expect(verdict.ok).toBe(true);
    expect(verdict).toMatchObject({ entries: 30 - PER_WRITER });
  });

  it.skipIf(DIALECT !== 'postgres')('opens one more chain when a writer finds every chain held, and that writer waits its turn meanwhile', async () => {
    const before = (await store.db.selectFrom('audit_chains').select('chain').execute()).length;
    let release: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const held: Array<Promise<void>> = [];
    // Every chain held by an open transaction.
    let open = 0;
    let allOpen: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (allOpen = resolve));
    for (let i = 0; i < before; i++) {
      held.push(
        store.db.transaction().execute(async (tx) => {
          await appendAudit(tx, store.capabilities, 1_790_000_100_000, [{ invoiceId: `held_${i}`, event: 'accepted', from: null, to: 'pending/queued' }]);
          if (++open === before) allOpen();
          await holding;
        }),
      );
    }
    await opened;
    const late = store.db.transaction().execute((tx) => appendAudit(tx, store.capabilities, 1_790_000_200_000, [{ invoiceId: 'late', event: 'accepted', from: null, to: 'pending/queued' }]));
    await expect.poll(async () => (await store.db.selectFrom('audit_chains').select('chain').execute()).length, { timeout: 5000 }).toBe(before + 1);
    release();
    await Promise.all([...held, late]);
    expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true, entries: 30 + before + 1, chains: before + 1 });
  });
});
