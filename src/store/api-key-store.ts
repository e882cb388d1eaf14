/**
 * API keys: `fk_<id>_<secret>`. Only the SHA-256 of the whole key is stored; a key acts for the
 * sellers it was created for, within its scopes, until it expires or is revoked.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newApiKey } from './ids.js';
import type { Database } from './schema/index.js';

/**
 * `issue`, `read` and `admin` act for the key's sellers; `operator` is bound to no seller and runs
 * what every seller shares: the channels (isolate, restore, the doctor) and backlogs across sellers.
 */
export const API_KEY_SCOPES = ['issue', 'read', 'admin', 'operator'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Why a key of these scopes and sellers cannot be made; undefined when it can. */
export function keyShapeFault(scopes: readonly ApiKeyScope[], sellers: readonly string[]): string | undefined {
  if (scopes.length === 0) return 'a key needs a scope';
  if (scopes.includes('operator')) {
    if (scopes.length > 1) return 'an operator key has the scope operator alone: it acts for no seller';
    if (sellers.length > 0) return 'an operator key is bound to no seller: leave out --seller';
    return undefined;
  }
  return sellers.length === 0 ? 'a key for issue, read or admin needs --seller <taxId>: the seller(s) it acts for; list sellers with fapiao sellers list' : undefined;
}

export interface ApiKeyInfo {
  readonly id: string;
  readonly sellers: readonly string[];
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

export type KeyCheck = { ok: true; key: ApiKeyInfo } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

const KEY_FORMAT = /^fk_([0-9a-z]{12})_[A-Za-z0-9_-]{32}$/;

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Creates a key for registered sellers; the returned secret is shown once and never again. */
export async function createApiKey(
  db: Kysely<Database>,
  input: { sellers: readonly string[]; scopes: readonly ApiKeyScope[]; expiresAt: number | null },
  now: number,
): Promise<{ id: string; key: string }> {
  const fault = keyShapeFault(input.scopes, input.sellers);
  if (fault) throw new Error(fault);
  const { id, key } = newApiKey();
  await db.transaction().execute(async (tx) => {
    const known = input.sellers.length === 0 ? [] : await tx.selectFrom('sellers').select('tax_id').where('tax_id', 'in', [...input.sellers]).execute();
    const missing = input.sellers.filter((taxId) => !known.some((row) => row.tax_id === taxId));
    if (missing.length > 0) throw new Error(`not registered: ${missing.join(', ')} (add with: fapiao sellers add)`);
    await tx
      .insertInto('api_keys')
      .values({ id, secret_hash: hashKey(key).toString('hex'), scopes: input.scopes.join(','), created_at: now, expires_at: input.expiresAt, revoked_at: null })
      .execute();
    if (input.sellers.length > 0) await tx.insertInto('api_key_sellers').values(input.sellers.map((taxId) => ({ key_id: id, seller_tax_id: taxId }))).execute();
  });
  return { id, key };
}

/** Checks a presented key; constant-time on the secret. */
export async function checkApiKey(db: Kysely<Database>, presented: string, now: number): Promise<KeyCheck> {
  const match = KEY_FORMAT.exec(presented);
  if (!match) return { ok: false, reason: 'unknown' };
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', `key_${match[1]}`).executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), hashKey(presented))) return { ok: false, reason: 'unknown' };
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
  if (row.expires_at !== null && row.expires_at <= now) return { ok: false, reason: 'expired' };
  const sellers = await db.selectFrom('api_key_sellers').select('seller_tax_id').where('key_id', '=', row.id).execute();
  return { ok: true, key: keyInfo(row, sellers.map((s) => s.seller_tax_id)) };
}

function keyInfo(
  row: { id: string; scopes: string; created_at: number; expires_at: number | null; revoked_at: number | null },
  sellers: string[],
): ApiKeyInfo {
  return {
    id: row.id,
    sellers,
    scopes: row.scopes.split(',') as ApiKeyScope[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  const links = await db.selectFrom('api_key_sellers').selectAll().execute();
  return rows.map((row) =>
    keyInfo(
      row,
      links.filter((link) => link.key_id === row.id).map((link) => link.seller_tax_id),
    ),
  );
}

/** Revokes a key at once; returns false when no such key exists. */
export async function revokeApiKey(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  if (result.numUpdatedRows > 0n) return true;
  return (await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
