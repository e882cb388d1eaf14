/**
 * Indexes for the invoice list's exact filters, each ending in the id so that a page comes out in
 * list order and stops at its limit: with a million invoices a lookup by number, total, buyer tax
 * ID, a rare status or a buyer's name scanned the seller's whole history (1–4 s measured; bench/RESULTS.md). The
 * date range needs none: ids begin with their creation time (src/store/ids.ts). Only adds indexes:
 * safe for a rolling upgrade (the version before neither needs nor minds them). Frozen.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists invoices_number_idx on invoices (seller_tax_id, "number", id)`.execute(db);
  await sql`create index if not exists invoices_total_idx on invoices (seller_tax_id, total, id)`.execute(db);
  await sql`create index if not exists invoices_buyer_tax_id_idx on invoices (seller_tax_id, buyer_tax_id, id) where buyer_tax_id is not null`.execute(db);
  await sql`create index if not exists invoices_status_idx on invoices (seller_tax_id, status, id)`.execute(db);
  // A search by part of the name reads the distinct names from this index (src/store/buyer-names.ts).
  await sql`create index if not exists invoices_buyer_name_idx on invoices (seller_tax_id, buyer_name, id)`.execute(db);
}
