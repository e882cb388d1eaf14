/**
 * Which of a seller's buyer names contain a fragment, read from the (seller, buyer_name, id) index
 * one distinct name at a time (a loose index scan), so that a search by name reads each matching
 * buyer's newest invoices instead of the seller's whole history.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema/index.js';

/**
 * Distinct names read before giving up on the index: a seller with more buyers than this (a shop
 * selling to people) is searched by scanning its invoices, as before.
 */
const MOST_NAMES = 5_000;
/** Matching names beyond which matches are common enough that scanning finds a page sooner. */
const MOST_MATCHES = 32;

export type BuyerNameMatches = { readonly kind: 'names'; readonly names: readonly { seller: string; name: string }[] } | { readonly kind: 'scan' };

/** The LIKE pattern for a fragment: its own wildcards taken literally. */
export function containsPattern(fragment: string): string {
  return `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function buyerNamesContaining(db: Kysely<Database>, sellers: readonly string[], fragment: string): Promise<BuyerNameMatches> {
  const pattern = containsPattern(fragment);
  const names: { seller: string; name: string }[] = [];
  for (const seller of sellers) {
    // Each step seeks the next name after the last: one index probe per distinct buyer.
    const { rows } = await sql<{ name: string; hit: number | boolean }>`
      with recursive names(name) as (
        select min(buyer_name) from invoices where seller_tax_id = ${seller}
        union all
        select (select min(i.buyer_name) from invoices i where i.seller_tax_id = ${seller} and i.buyer_name > names.name)
        from names where names.name is not null
      )
      select name, name like ${pattern} escape '\\' as hit from names where name is not null limit ${MOST_NAMES + 1}`.execute(db);
    if (rows.length > MOST_NAMES) return { kind: 'scan' };
    for (const row of rows) if (row.hit === true || row.hit === 1) names.push({ seller, name: row.name });
    if (names.length > MOST_MATCHES) return { kind: 'scan' };
  }
  return { kind: 'names', names };
}
