/**
 * Walks the audit chain from the first entry and reports the first one that does not hold: a
 * missing or repeated sequence number, a link to the wrong previous hash, or a hash that does not
 * match the entry's content (the entry was changed after it was written). Reads in pages by
 * sequence, so 100,000 entries take a second or two.
 */
import type { Kysely } from 'kysely';
import { auditHash } from './audit-log.js';
import type { Database } from './schema/index.js';

export type AuditVerdict =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly entries: number; readonly seq: number; readonly invoiceId: string | null; readonly problem: string };

const GENESIS = '0'.repeat(64);
const PAGE = 5000;

export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditVerdict> {
  let previous = GENESIS;
  let expected = 1;
  let entries = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expected)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of page) {
      const seq = Number(row.seq);
      const broken = (problem: string): AuditVerdict => ({ ok: false, entries, seq, invoiceId: row.invoice_id, problem });
      if (seq !== expected) return { ok: false, entries, seq: expected, invoiceId: null, problem: `entry ${expected} is missing (the next one is ${seq})` };
      if (row.prev_hash !== previous) return broken('it does not link to the entry before it (prev_hash differs)');
      const hash = auditHash(previous, { ...row, seq, at: Number(row.at) });
      if (hash !== row.hash) return broken('its content does not match its hash: it was changed after it was written');
      previous = row.hash;
      expected += 1;
      entries += 1;
    }
    if (page.length < PAGE) break;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head || Number(head.seq) !== entries || head.hash !== previous) {
    return { ok: false, entries, seq: entries + 1, invoiceId: null, problem: `the chain head says ${head ? `${head.seq} entries ending ${head.hash.slice(0, 12)}…` : 'nothing'}, the log holds ${entries} ending ${previous.slice(0, 12)}…: entries were removed or added` };
  }
  return { ok: true, entries, head: previous };
}
