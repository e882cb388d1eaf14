/**
 * Walks the audit trail and reports the first thing that does not hold. The registry first: chains
 * numbered 1…N without a gap, each creation linked to the one before, the registry's head naming N
 * and the last link (a whole chain removed shows here). Then each chain from its genesis: a missing
 * or repeated sequence number, a link to the wrong previous hash, a hash that does not match the
 * entry's content (changed after it was written), and a head row that disagrees with the last
 * entry (entries removed from the end). Reads in pages, so 100,000 entries take about half a second.
 */
import { sql, type Kysely } from 'kysely';
import { auditHash, chainGenesis, chainLink, GENESIS, headsDigest } from './audit-links.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

export type AuditVerdict =
  | {
      readonly ok: true;
      readonly entries: number;
      readonly chains: number;
      /** One digest of every chain's head: keep it outside the database to compare with later. */
      readonly head: string;
    }
  | { readonly ok: false; readonly entries: number; readonly chain: number | null; readonly seq: number; readonly invoiceId: string | null; readonly problem: string };

const PAGE = 5000;

/**
 * Verifies the trail as of one moment: a snapshot (PostgreSQL: a repeatable-read transaction;
 * SQLite: a read transaction on a connection held for the walk), so writers committing meanwhile —
 * a running gateway — never show a head ahead of the entries read before it as a break.
 */
export async function verifyAuditChain(db: Kysely<Database>, capabilities: StoreCapabilities): Promise<AuditVerdict> {
  if (capabilities.isolationLevels) return db.transaction().setIsolationLevel('repeatable read').execute((tx) => verifyAt(tx));
  return db.connection().execute(async (connection) => {
    await sql`begin`.execute(connection);
    try {
      return await verifyAt(connection);
    } finally {
      await sql`commit`.execute(connection);
    }
  });
}

async function verifyAt(db: Kysely<Database>): Promise<AuditVerdict> {
  const chains = await db.selectFrom('audit_chains').selectAll().orderBy('chain').execute();
  const registryBroken = (chain: number | null, problem: string): AuditVerdict => ({ ok: false, entries: 0, chain, seq: 0, invoiceId: null, problem });
  let link = GENESIS;
  for (const [index, row] of chains.entries()) {
    const expected = index + 1;
    if (row.chain !== expected) return registryBroken(expected, `chain ${expected} is missing from the registry (the next is ${row.chain}): a whole chain was removed`);
    const next = chainLink(link, row.chain, Number(row.created_at));
    if (row.link !== next) return registryBroken(row.chain, `chain ${row.chain}'s creation does not link to the chain before it: the registry was changed`);
    link = next;
  }
  const registry = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!registry || Number(registry.seq) !== chains.length || registry.hash !== link) {
    return registryBroken(null, `the registry's head says ${registry ? `${registry.seq} chains` : 'nothing'}, the table holds ${chains.length}: chains were removed or added`);
  }
  const stray = await db.selectFrom('audit_log').select('chain').distinct().where('chain', 'not in', chains.length > 0 ? chains.map((c) => c.chain) : [0]).executeTakeFirst();
  if (stray) return registryBroken(stray.chain, `entries of chain ${stray.chain}, which the registry does not know`);

  let entries = 0;
  for (const chain of chains) {
    let previous = chainGenesis(chain.chain);
    let expected = 1;
    for (;;) {
      const page = await db.selectFrom('audit_log').selectAll().where('chain', '=', chain.chain).where('seq', '>=', expected).orderBy('seq').limit(PAGE).execute();
      for (const row of page) {
        const seq = Number(row.seq);
        const broken = (problem: string): AuditVerdict => ({ ok: false, entries, chain: chain.chain, seq, invoiceId: row.invoice_id, problem });
        if (seq !== expected) return { ok: false, entries, chain: chain.chain, seq: expected, invoiceId: null, problem: `entry ${expected} is missing (the next one is ${seq})` };
        if (row.prev_hash !== previous) return broken('it does not link to the entry before it (prev_hash differs)');
        if (auditHash(previous, { ...row, seq, at: Number(row.at) }) !== row.hash) return broken('its content does not match its hash: it was changed after it was written');
        previous = row.hash;
        expected += 1;
        entries += 1;
      }
      if (page.length < PAGE) break;
    }
    const held = expected - 1;
    if (Number(chain.seq) !== held || chain.hash !== previous) {
      return {
        ok: false,
        entries,
        chain: chain.chain,
        seq: held + 1,
        invoiceId: null,
        problem: `the head of chain ${chain.chain} says ${chain.seq} entries ending ${chain.hash.slice(0, 12)}…, the log holds ${held} ending ${previous.slice(0, 12)}…: entries were removed or added`,
      };
    }
  }
  return { ok: true, entries, chains: chains.length, head: headsDigest(chains.map((c) => ({ chain: c.chain, seq: Number(c.seq), hash: c.hash }))) };
}
