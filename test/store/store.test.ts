// The store on this run's dialect (SQLite, or PostgreSQL when DATABASE_URL is set): accept with
// idempotency, group commit, leases fenced by version, reclaim, and the audit chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leaseDue, reclaimExpired, settleLease, submitSettle, type Settlement } from '../../src/store/invoice-leases.js';
import { auditHash } from '../../src/store/audit-log.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openStore, type Store } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import { acceptInvoice, type AcceptInput } from '../../src/store/invoice-store.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { invoiceRow, registerSellers, SELLER } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
let commit: GroupCommit;
const NOW = 1_790_000_000_000;
const HOUR = 3_600_000;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  commit = new GroupCommit(store.db, { maxBatch: 256, maxQueued: 10_000 });
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

function accept(key: string, hash = 'h1', now = NOW): Promise<ReturnType<typeof acceptInvoice> extends Promise<infer R> ? R : never> {
  const input: AcceptInput = { sellerTaxId: SELLER, idempotencyKey: key, requestHash: hash, idempotencyTtlMs: 72 * HOUR, row: invoiceRow(now) };
  return acceptInvoice(commit, store.capabilities, input);
}

async function count(table: 'invoices' | 'idempotency_keys' | 'audit_log' | 'attempts'): Promise<number> {
  const row = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`store on ${DIALECT}`, () => {
  it('migrates once and again without harm', async () => {
    const again = await openStore(database.location);
    await again.close();
    expect(await count('invoices')).toBe(0);
  });

  describe('accept and idempotency', () => {
    it('stores the invoice, its idempotency record and an audit entry together', async () => {
      const result = await accept('k1');
      expect(result.kind).toBe('created');
      expect([await count('invoices'), await count('idempotency_keys'), await count('audit_log')]).toEqual([1, 1, 1]);
    });

    it('replays the same key with the same body, refuses it with another body', async () => {
      const first = await accept('k1', 'h1');
      const again = await accept('k1', 'h1');
      const other = await accept('k1', 'h2');
      expect(first.kind).toBe('created');
      expect(again).toMatchObject({ kind: 'replayed' });
      expect(again.kind === 'replayed' && first.kind === 'created' && again.invoice.id === first.invoice.id).toBe(true);
      expect(other.kind).toBe('key_reused');
      expect(await count('invoices')).toBe(1);
    });

    it('makes one invoice of many concurrent first requests with one key', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, () => accept('same-key')));
      const ids = new Set(results.map((r) => ('invoiceId' in r ? r.invoiceId : r.invoice.id)));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect(await count('invoices')).toBe(1);
    });

    // Several writers on one database is PostgreSQL's case; SQLite is one gateway process.
    it.runIf(DIALECT === 'postgres')('makes one invoice when two processes race with one key (separate connections)', async () => {
      const second = await openStore(database.location);
      const otherCommit = new GroupCommit(second.db, { maxBatch: 256, maxQueued: 100 });
      const input = (): AcceptInput => ({ sellerTaxId: SELLER, idempotencyKey: 'race', requestHash: 'h', idempotencyTtlMs: HOUR, row: invoiceRow(NOW) });
      const results = await Promise.all([
        acceptInvoice(commit, store.capabilities, input()),
        acceptInvoice(otherCommit, second.capabilities, input()),
        acceptInvoice(commit, store.capabilities, input()),
        acceptInvoice(otherCommit, second.capabilities, input()),
      ]);
      await second.close();
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect(await count('invoices')).toBe(1);
    });

    it('lets a key be used again after its record expired', async () => {
      await accept('k1', 'h1', NOW);
      const later = await accept('k1', 'h2', NOW + 73 * HOUR);
      expect(later.kind).toBe('created');
      expect(await count('invoices')).toBe(2);
    });
  });

  describe('one invoice per order number and seller', () => {
    const withOrder = (key: string, orderNo: string, overrides: Parameters<typeof invoiceRow>[1] = {}): AcceptInput => ({
      sellerTaxId: SELLER,
      idempotencyKey: key,
      requestHash: `h-${key}`,
      idempotencyTtlMs: HOUR,
      row: invoiceRow(NOW, { order_no: orderNo, ...overrides }),
    });

    it('refuses the same order number under a new key, naming the invoice, and writes nothing', async () => {
      const first = await acceptInvoice(commit, store.capabilities, withOrder('k1', 'SO-9'));
      const audit = await count('audit_log');
      const second = await acceptInvoice(commit, store.capabilities, withOrder('k2', 'SO-9'));
      expect(second).toEqual({ kind: 'order_no_taken', invoiceId: first.kind === 'created' ? first.invoice.id : '', status: 'pending' });
      expect(await count('invoices')).toBe(1);
      expect(await count('idempotency_keys')).toBe(1);
      expect(await count('audit_log')).toBe(audit);
      // The same key and body is still a replay, not a refusal.
      expect((await acceptInvoice(commit, store.capabilities, withOrder('k1', 'SO-9'))).kind).toBe('replayed');
    });

    it('lets a corrected request reuse the order number of a rejected invoice, once', async () => {
      const first = await acceptInvoice(commit, store.capabilities, withOrder('k1', 'SO-10'));
      if (first.kind !== 'created') throw new Error(first.kind);
      await store.db.updateTable('invoices').set({ status: 'rejected', stage: null }).where('id', '=', first.invoice.id).execute();
      expect((await acceptInvoice(commit, store.capabilities, withOrder('k2', 'SO-10'))).kind).toBe('created');
      expect((await acceptInvoice(commit, store.capabilities, withOrder('k3', 'SO-10'))).kind).toBe('order_no_taken');
    });

    it('makes one invoice of concurrent requests with one order number and many keys', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => acceptInvoice(commit, store.capabilities, withOrder(`key-${i}`, 'SO-RACE'))));
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'order_no_taken')).toHaveLength(24);
      expect(await count('invoices')).toBe(1);
    });

    it.runIf(DIALECT === 'postgres')('makes one invoice when two processes race with one order number and different keys', async () => {
      const second = await openStore(database.location);
      const otherCommit = new GroupCommit(second.db, { maxBatch: 256, maxQueued: 100 });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0 ? acceptInvoice(commit, store.capabilities, withOrder(`a-${i}`, 'SO-PG')) : acceptInvoice(otherCommit, second.capabilities, withOrder(`b-${i}`, 'SO-PG')),
        ),
      );
      await second.close();
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
      expect(await count('invoices')).toBe(1);
    });

    it('is enforced by the database too, not only by the accept path', async () => {
      await acceptInvoice(commit, store.capabilities, withOrder('k1', 'SO-11'));
      await expect(store.db.insertInto('invoices').values(invoiceRow(NOW, { order_no: 'SO-11' })).execute()).rejects.toThrow();
    });
  });

  describe('group commit', () => {
    it('does not fail the neighbours of an operation that fails', async () => {
      const good = Promise.all([accept('a'), accept('b')]);
      const bad = commit.submit(async (tx) => {
        await tx.insertInto('sellers').values({ tax_id: SELLER, name: 'duplicate', address: null, phone: null, bank_name: null, bank_account: null, sandbox: 0, created_at: 0 }).execute();
      });
      await expect(bad).rejects.toThrow();
      expect((await good).map((r) => r.kind)).toEqual(['created', 'created']);
      expect(await count('invoices')).toBe(2);
    });

    it('runs after-commit effects once their writes are durable, and never those of rolled-back writes', async () => {
      // Each effect asks another connection for the row its operation wrote: it sees it only if
      // the effect runs after the commit.
      const sightings: Array<Promise<string>> = [];
      const write = (name: string, taxId: string) => async (tx: Parameters<Parameters<GroupCommit['submit']>[0]>[0], afterCommit: (fn: () => void) => void) => {
        afterCommit(() =>
          sightings.push(
            store.reader
              .selectFrom('sellers')
              .select('name')
              .where('tax_id', '=', taxId)
              .executeTakeFirst()
              .then((row) => `${name}: ${row ? 'visible' : 'not yet'}`),
          ),
        );
        await tx.insertInto('sellers').values({ tax_id: taxId, name, address: null, phone: null, bank_name: null, bank_account: null, sandbox: 0, created_at: 0 }).execute();
      };
      const good = Promise.all([commit.submit(write('A', '91330100000000001A')), commit.submit(write('B', '91330100000000002B'))]);
      const bad = commit.submit(write('rolled back', SELLER));
      await expect(bad).rejects.toThrow();
      await good;
      expect((await Promise.all(sightings)).sort()).toEqual(['A: visible', 'B: visible']);
    });

    it('refuses at once when too many writes wait', async () => {
      const tiny = new GroupCommit(store.db, { maxBatch: 1, maxQueued: 1 });
      const first = tiny.submit(async () => 1);
      await expect(tiny.submit(async () => 2)).rejects.toThrow(/waiting for the database/);
      await first;
    });
  });

  describe('leases', () => {
    const options = { workerId: 'w1', limit: 10, leaseMs: 60_000, usableChannels: ['sim'], newWorkChannel: 'sim' as string | undefined };
    const issued = (): Settlement => ({ event: 'issued', nextAttemptAt: NOW, channel: 'sim', number: '26332000000000000001', issuedAt: NOW, called: true });

    it('claims due invoices once, as submitting, and settles fenced by version', async () => {
      await accept('k1');
      const [lease] = await leaseDue(store.db, store.capabilities, NOW, options);
      expect(lease).toMatchObject({ stage: 'submitting', leaseVersion: 1 });
      expect(await leaseDue(store.db, store.capabilities, NOW, { ...options, workerId: 'w2' })).toEqual([]);
      const stale = { ...lease!, leaseVersion: 0 };
      expect(await store.db.transaction().execute((tx) => settleLease(tx, store.capabilities, NOW, stale, issued()))).toBe('lost');
      expect(await store.db.transaction().execute((tx) => settleLease(tx, store.capabilities, NOW, lease!, issued()))).toBe('settled');
      const row = await store.db.selectFrom('invoices').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'issued', stage: null, number: '26332000000000000001', lease_owner: null, attempts: 1 });
    });

    it('binds a claimed submit to the channel for new work in the claim itself, before anything is sent', async () => {
      await accept('k1');
      const [lease] = await leaseDue(store.db, store.capabilities, NOW, { ...options, usableChannels: ['first', 'second'], newWorkChannel: 'first' });
      expect(lease?.channel).toBe('first');
      const row = await store.db.selectFrom('invoices').select(['channel', 'stage', 'last_sent_at']).executeTakeFirstOrThrow();
      expect({ ...row, last_sent_at: Number(row.last_sent_at) }).toEqual({ channel: 'first', stage: 'submitting', last_sent_at: NOW });
      // Claimed again to be asked (after its lease ran out), it keeps the time it was sent.
      await reclaimExpired(store.db, store.capabilities, NOW + 120_000, 10);
      const [asked] = await leaseDue(store.db, store.capabilities, NOW + 120_000, { ...options, usableChannels: ['first'], newWorkChannel: 'first' });
      expect(asked).toMatchObject({ stage: 'uncertain', lastSentAt: NOW });
    });

    it('leaves invoices bound to a resting channel alone, and everything when no channel is usable', async () => {
      await store.db.insertInto('invoices').values(invoiceRow(NOW, { channel: 'down', stage: 'uncertain' })).execute();
      expect(await leaseDue(store.db, store.capabilities, NOW, options)).toEqual([]);
      await accept('k1');
      expect(await leaseDue(store.db, store.capabilities, NOW, { ...options, usableChannels: [], newWorkChannel: undefined })).toEqual([]);
      expect(await leaseDue(store.db, store.capabilities, NOW, options)).toHaveLength(1);
    });

    it('with no channel for new work (all isolated) still claims what a usable channel holds, and nothing new', async () => {
      await store.db.insertInto('invoices').values(invoiceRow(NOW, { channel: 'held', stage: 'uncertain' })).execute();
      await accept('k1');
      const leases = await leaseDue(store.db, store.capabilities, NOW, { ...options, usableChannels: ['held'], newWorkChannel: undefined });
      expect(leases.map((lease) => [lease.stage, lease.channel])).toEqual([['uncertain', 'held']]);
      const queued = await store.db.selectFrom('invoices').select(['stage', 'channel']).where('stage', '=', 'queued').execute();
      expect(queued).toEqual([{ stage: 'queued', channel: null }]);
    });

    it('settles several leases of one group transaction as a settle each would, fenced row by row', async () => {
      for (const key of ['k1', 'k2', 'k3', 'k4']) await accept(key);
      const leases = await leaseDue(store.db, store.capabilities, NOW, options);
      expect(leases).toHaveLength(4);
      const attempt = (outcome: string) => ({ action: 'submit' as const, channel: 'sim', outcome, startedAt: NOW, durationMs: 12 });
      const byId = new Map(leases.map((lease) => [lease.invoiceId, lease]));
      const [a, b, c, d] = [...byId.keys()].sort().map((id) => byId.get(id)!);
      const results = await Promise.all([
        submitSettle(commit, store.capabilities, NOW + 1, a!, { ...issued(), attempt: attempt('issued'), simulated: true }),
        submitSettle(commit, store.capabilities, NOW + 2, b!, { event: 'accepted', nextAttemptAt: NOW + 500, channel: 'sim', called: true, attempt: attempt('accepted') }),
        submitSettle(commit, store.capabilities, NOW + 3, c!, { event: 'not_sent', nextAttemptAt: NOW + 900, channel: null, called: true, error: { code: 'connect_failed', message: 'ECONNREFUSED' }, attempt: attempt('retry') }),
        // A lease that moved on (another version): lands nowhere, writes nothing.
        submitSettle(commit, store.capabilities, NOW + 4, { ...d!, leaseVersion: d!.leaseVersion + 7 }, issued()),
      ]);
      expect(results).toEqual(['settled', 'settled', 'settled', 'lost']);
      const rows = new Map((await store.db.selectFrom('invoices').selectAll().execute()).map((row) => [row.id, row]));
      expect(rows.get(a!.invoiceId)).toMatchObject({ status: 'issued', stage: null, number: '26332000000000000001', simulated: 1, attempts: 1, lease_owner: null, last_error_code: null });
      expect(Number(rows.get(a!.invoiceId)!.issued_at)).toBe(NOW);
      expect(rows.get(b!.invoiceId)).toMatchObject({ status: 'pending', stage: 'awaiting_result', channel: 'sim', attempts: 1, lease_owner: null, number: null });
      expect(Number(rows.get(b!.invoiceId)!.next_attempt_at)).toBe(NOW + 500);
      expect(rows.get(c!.invoiceId)).toMatchObject({ status: 'pending', stage: 'queued', channel: null, attempts: 1, last_error_code: 'connect_failed', last_error_message: 'ECONNREFUSED' });
      expect(Number(rows.get(c!.invoiceId)!.last_error_at)).toBe(NOW + 3);
      expect(rows.get(d!.invoiceId)).toMatchObject({ status: 'pending', stage: 'submitting', lease_owner: 'w1', attempts: 0 });
      const attempts = await store.db.selectFrom('attempts').select(['invoice_id', 'outcome']).orderBy('invoice_id').execute();
      expect(attempts).toEqual([a, b, c].map((lease, n) => ({ invoice_id: lease!.invoiceId, outcome: ['issued', 'accepted', 'retry'][n] })));
      const jobs = await store.db.selectFrom('jobs').select('subject_id').execute();
      expect(jobs).toEqual([{ subject_id: a!.invoiceId }]);
      const events = await store.db.selectFrom('audit_log').select(['invoice_id', 'event']).where('from_state', 'in', ['pending/submitting']).execute();
      expect(events.map((entry) => entry.event).sort()).toEqual(['accepted', 'issued', 'not_sent']);
      expect(await verifyAuditChain(store.db, store.capabilities)).toMatchObject({ ok: true });
    });

    it('turns an expired submit into uncertain, and the old holder can no longer settle', async () => {
      await accept('k1');
      const [lease] = await leaseDue(store.db, store.capabilities, NOW, options);
      expect(await reclaimExpired(store.db, store.capabilities, NOW + 59_000, 100)).toBe(0);
      expect(await reclaimExpired(store.db, store.capabilities, NOW + 61_000, 100)).toBe(1);
      const row = await store.db.selectFrom('invoices').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', stage: 'uncertain', lease_owner: null, next_attempt_at: NOW + 61_000 });
      expect(await store.db.transaction().execute((tx) => settleLease(tx, store.capabilities, NOW, lease!, issued()))).toBe('lost');
      const [again] = await leaseDue(store.db, store.capabilities, NOW + 61_000, { ...options, workerId: 'w2' });
      expect(again?.stage).toBe('uncertain');
    });

    it.runIf(DIALECT === 'postgres')('gives concurrent workers (separate connections) disjoint invoices', async () => {
      await Promise.all(Array.from({ length: 40 }, (_, i) => accept(`k${i}`)));
      const second = await openStore(database.location);
      const [a, b] = await Promise.all([
        leaseDue(store.db, store.capabilities, NOW, { ...options, limit: 25 }),
        leaseDue(second.db, second.capabilities, NOW, { ...options, workerId: 'w2', limit: 25 }),
      ]);
      await second.close();
      const ids = [...a, ...b].map((lease) => lease.invoiceId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(40);
    });

    it('claims at most the limit in one statement', async () => {
      for (let i = 0; i < 12; i++) await accept(`k${i}`);
      const first = await leaseDue(store.db, store.capabilities, NOW, { ...options, limit: 5 });
      expect(first).toHaveLength(5);
      const rest = await leaseDue(store.db, store.capabilities, NOW, { ...options, limit: 5 });
      expect(rest).toHaveLength(5);
      expect(await leaseDue(store.db, store.capabilities, NOW, { ...options, limit: 5 })).toHaveLength(2);
      const leased = await store.db.selectFrom('invoices').select('id').where('lease_owner', 'is not', null).execute();
      expect(leased).toHaveLength(12);
    });
  });

  it('chains every audit entry to the one before', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => accept(`k${i}`)));
    await leaseDue(store.db, store.capabilities, NOW, { workerId: 'w', limit: 5, leaseMs: 1000, usableChannels: ['sim'], newWorkChannel: 'sim' });
    await reclaimExpired(store.db, store.capabilities, NOW + 2000, 100);
    // Each transaction took a free chain; one at a time here, so all are chain 1.
    const entries = await store.db.selectFrom('audit_log').selectAll().orderBy('chain').orderBy('seq').execute();
    expect(entries).toHaveLength(20);
    let previous = '0'.repeat(64);
    entries.forEach((entry, index) => {
      expect(Number(entry.seq)).toBe(index + 1);
      expect(entry.prev_hash).toBe(previous);
      expect(entry.hash).toBe(auditHash(previous, { ...entry, seq: Number(entry.seq), at: Number(entry.at) }));
      previous = entry.hash;
    });
    expect(entries.every((entry) => entry.chain === 1)).toBe(true);
    const head = await store.db.selectFrom('audit_chains').selectAll().where('chain', '=', 1).executeTakeFirstOrThrow();
    expect([Number(head.seq), head.hash]).toEqual([20, previous]);
  });
});
