/** Seller profiles: the registered parties an API key may issue for; the profile fills the invoice's seller block. */
import type { Kysely } from 'kysely';
import type { SellerParty } from '../domain/invoice-json.js';
import type { Database, SellerRow } from './schema/index.js';

export interface SellerProfile extends SellerParty {
  /** A provider sandbox ID that is no real USCC; allowed only when flagged (domain.md decision 4). */
  readonly sandbox: boolean;
}

function profile(row: SellerRow): SellerProfile {
  return {
    taxId: row.tax_id,
    name: row.name,
    ...(row.address !== null && { address: row.address }),
    ...(row.phone !== null && { phone: row.phone }),
    ...(row.bank_name !== null && { bankName: row.bank_name }),
    ...(row.bank_account !== null && { bankAccount: row.bank_account }),
    sandbox: row.sandbox === 1,
  };
}

/** Registers a seller or updates its profile; returns whether it was new. */
export async function saveSeller(db: Kysely<Database>, seller: SellerProfile, now: number): Promise<'added' | 'updated'> {
  const values = {
    name: seller.name,
    address: seller.address ?? null,
    phone: seller.phone ?? null,
    bank_name: seller.bankName ?? null,
    bank_account: seller.bankAccount ?? null,
    sandbox: seller.sandbox ? 1 : 0,
  };
  const updated = await db.updateTable('sellers').set(values).where('tax_id', '=', seller.taxId).executeTakeFirst();
  if (updated.numUpdatedRows > 0n) return 'updated';
  await db.insertInto('sellers').values({ tax_id: seller.taxId, created_at: now, ...values }).execute();
  return 'added';
}

export async function findSeller(db: Kysely<Database>, taxId: string): Promise<SellerProfile | undefined> {
  const row = await db.selectFrom('sellers').selectAll().where('tax_id', '=', taxId).executeTakeFirst();
  return row ? profile(row) : undefined;
}

export async function listSellers(db: Kysely<Database>): Promise<SellerProfile[]> {
  const rows = await db.selectFrom('sellers').selectAll().orderBy('tax_id').execute();
  return rows.map(profile);
}
