/**
 * The audit log: every state change of every invoice, appended in the same transaction as the
 * change, each entry carrying the hash of the one before it in its chain (SHA-256). There are
 * several chains so that writers never queue on one row: a transaction takes whichever chain no
 * other transaction holds (its head row, locked FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has
 * one writer and one chain), and opens a new one, recorded in the registry of chains, only when
 * every chain is held. `fapiao audit verify` walks the registry and every chain.
 */
import type { Kysely, Transaction } from 'kysely';
import { auditHash, chainGenesis, chainLink, type HashedEntry } from './audit-links.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';
import { textRows } from './sql-text.js';

export { auditHash } from './audit-links.js';

export interface AuditEntry {
  readonly invoiceId: string;
  /** What happened: `accepted`, or an invoice event of src/domain/invoice-state.ts. */
  readonly event: string;
  /** `pending/queued` …; null for the first entry of an invoice. */
  readonly from: string | null;
  readonly to: string;
  /** A small JSON-able detail (error code, number, channel); never secrets. */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** When it happened, if not at the time the append is given (entries of several requests). */
  readonly at?: number;
}

/** A chain's head: its number, and the seq and hash of its last entry. */
export interface ChainHead {
  readonly chain: number;
  readonly seq: number;
  readonly hash: string;
}

/** An entry as stored, linked into its chain. */
export interface AuditRow extends HashedEntry {
  readonly chain: number;
  readonly prev_hash: string;
  readonly hash: string;
}

/**
 * The chain this transaction appends to, and its head as the transaction left it: taken once per
 * transaction (a group commit appends for a whole batch), then carried forward in memory. Keyed by
 * the transaction object, so it is gone with it and never shared across transactions.
 */
const headInTransaction = new WeakMap<Transaction<Database>, ChainHead>();

/**
 * The chain this transaction holds, taking a free one at its first append. When every chain is
 * held it asks for another to be opened (in the background, in its own transaction: opening one
 * here would hold the registry's lock until this transaction ends, and queue every other opener
 * behind it), and waits for the first chain meanwhile: a wait on one writer, not on all of them.
 */
export async function heldChain(tx: Transaction<Database>, capabilities: StoreCapabilities, now: number): Promise<ChainHead> {
  const held = headInTransaction.get(tx);
  if (held) return held;
  const chains = () => tx.selectFrom('audit_chains').select(['chain', 'seq', 'hash']).orderBy('chain').limit(1);
  let row = await (capabilities.skipLocked ? chains().forUpdate().skipLocked() : chains()).executeTakeFirst();
  if (!row && capabilities.skipLocked) {
    capabilities.openAuditChainSoon?.();
    row = await chains().forUpdate().executeTakeFirst();
  }
  const head = row ? { chain: Number(row.chain), seq: Number(row.seq), hash: row.hash } : await openChain(tx, capabilities, now);
  headInTransaction.set(tx, head);
  return head;
}

/** A new chain, recorded in the registry, whose head is locked for it until `tx` ends. */
async function openChain(tx: Transaction<Database>, capabilities: StoreCapabilities, now: number): Promise<ChainHead> {
  let registry = tx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (capabilities.multipleWriters) registry = registry.forUpdate();
  const head = await registry.executeTakeFirstOrThrow();
  const chain = Number(head.seq) + 1;
  const link = chainLink(head.hash, chain, now);
  const genesis = chainGenesis(chain);
  await tx.insertInto('audit_chains').values({ chain, seq: 0, hash: genesis, created_at: now, link }).execute();
  await tx.updateTable('audit_head').set({ seq: chain, hash: link }).where('id', '=', 1).execute();
  return { chain, seq: 0, hash: genesis };
}

/** Opens chains in their own transactions, one at a time, for a store with several writers. */
export class AuditChainOpener {
  private opening: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: StoreCapabilities,
  ) {}

  /** One more chain soon; a request while one is being opened is the same request. */
  soon(): void {
    this.opening ??= this.db
      .transaction()
      .execute((tx) => openChain(tx, this.capabilities, Date.now()))
      .then(
        () => undefined,
        // A failed opening costs only a wait: the writer waits for a held chain instead.
        () => undefined,
      )
      .finally(() => (this.opening = undefined));
  }

  /** At least `count` chains, opened now (at start-up, so that the first writers need not wait). */
  async atLeast(count: number): Promise<void> {
    for (;;) {
      const row = await this.db.selectFrom('audit_chains').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(row.n) >= count) return;
      await this.db.transaction().execute((tx) => openChain(tx, this.capabilities, Date.now()));
    }
  }
}

/** The rows for `entries` after `head`, and the head they leave. Pure: the caller writes them. */
export function linkEntries(head: ChainHead, at: number, entries: readonly AuditEntry[]): { rows: AuditRow[]; head: ChainHead } {
  let seq = head.seq;
  let hash = head.hash;
  const rows = entries.map((entry) => {
    seq += 1;
    const row = { chain: head.chain, seq, at: entry.at ?? at, invoice_id: entry.invoiceId, event: entry.event, from_state: entry.from, to_state: entry.to, detail: entry.detail ? JSON.stringify(entry.detail) : null };
    const prev_hash = hash;
    hash = auditHash(prev_hash, row);
    return { ...row, prev_hash, hash };
  });
  return { rows, head: { chain: head.chain, seq, hash } };
}

/** Records that this transaction wrote entries up to `head` itself (the PostgreSQL accept statement does). */
export function advanceHeldChain(tx: Transaction<Database>, head: ChainHead): void {
  headInTransaction.set(tx, head);
}

const AUDIT_ROW_TEXT = 'insert into audit_log (chain, seq, at, invoice_id, event, from_state, to_state, detail, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const CHAIN_HEAD_TEXT = 'update audit_chains set seq = ?, hash = ? where chain = ?';

/** Appends entries in order, inside the caller's transaction. */
export async function appendAudit(tx: Transaction<Database>, capabilities: StoreCapabilities, at: number, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const linked = linkEntries(await heldChain(tx, capabilities, at), at, entries);
  if (capabilities.batchedWrites) {
    // Insert in slices of a few hundred rows: one round trip each.
    for (let i = 0; i < linked.rows.length; i += 500) {
      await tx.insertInto('audit_log').values(linked.rows.slice(i, i + 500)).execute();
    }
  } else {
    // In the process (SQLite) a statement written once and run per row costs less than building a multi-row one.
    for (const row of linked.rows) {
      await textRows(tx, capabilities, AUDIT_ROW_TEXT, [row.chain, row.seq, row.at, row.invoice_id, row.event, row.from_state, row.to_state, row.detail, row.prev_hash, row.hash]);
    }
  }
  await textRows(tx, capabilities, CHAIN_HEAD_TEXT, [linked.head.seq, linked.head.hash, linked.head.chain]);
  headInTransaction.set(tx, linked.head);
}
