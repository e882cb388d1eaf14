/**
 * The hashes of the audit trail, written once for the writer and the verifier: an entry's hash
 * chained to the one before it in its chain, where each chain starts, and the registry of chains
 * (each chain's creation chained to the one before, so a whole chain cannot vanish unseen).
 */
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** What an entry's hash covers. */
export interface HashedEntry {
  readonly seq: number;
  readonly at: number;
  readonly invoice_id: string;
  readonly event: string;
  readonly from_state: string | null;
  readonly to_state: string;
  readonly detail: string | null;
}

/** The hash of one entry, chained to the previous entry's hash. */
export function auditHash(prevHash: string, entry: HashedEntry): string {
  const line = JSON.stringify([entry.seq, entry.at, entry.invoice_id, entry.event, entry.from_state, entry.to_state, entry.detail]);
  return createHash('sha256').update(prevHash).update('\n').update(line).digest('hex');
}

/**
 * Where chain `chain` starts. Chain 1 is the single chain of databases before there were several,
 * and keeps the zero genesis; every other chain starts from its own number, so its entries cannot
 * be passed off as another chain's.
 */
export function chainGenesis(chain: number): string {
  return chain === 1 ? GENESIS : createHash('sha256').update(`fapiao audit chain ${chain}`).digest('hex');
}

/** The registry link of chain `chain`, created at `createdAt`, after the link of the chain before. */
export function chainLink(previousLink: string, chain: number, createdAt: number): string {
  return createHash('sha256').update(previousLink).update('\n').update(JSON.stringify([chain, createdAt])).digest('hex');
}

/** One digest of every chain's head, to keep outside the database (a ticket, an email) and compare later. */
export function headsDigest(heads: ReadonlyArray<{ readonly chain: number; readonly seq: number; readonly hash: string }>): string {
  const hash = createHash('sha256');
  for (const head of heads) hash.update(`${head.chain}:${head.seq}:${head.hash}\n`);
  return hash.digest('hex');
}
