/**
 * The db layer: is the gateway's database there, migrated, quick to answer, with connections to
 * spare, and do the secrets sealed in it open with the key this installation has?
 */
import type { SecretBox } from '../runtime/secret-box.js';
import { isMigrated, pingDatabase, postgresConnections, primaryState, type Store } from '../store/database.js';
import { sealedSecrets } from '../store/sealed-secrets.js';
import { fail, ok, warn, type Finding } from './check.js';

/** A round trip slower than this makes every accepted invoice wait. */
const SLOW_DATABASE_MS = 50;
/** Connections one gateway process opens to PostgreSQL (its pool size). */
const GATEWAY_POOL_SIZE = 10;

export async function reachableFinding(store: Store, where: string): Promise<Finding> {
  const trips: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await pingDatabase(store.db);
    trips.push(performance.now() - started);
  }
  // The first trip opens the connection; the median of three is the round trip.
  const rtt = [...trips].sort((a, b) => a - b)[1]!;
  const detail = `${where}: select 1 in ${rtt.toFixed(1)} ms`;
  return rtt > SLOW_DATABASE_MS ? warn('db.slow', `${detail} (over ${SLOW_DATABASE_MS} ms)`) : ok(detail);
}

export async function migratedFinding(store: Store): Promise<Finding> {
  let migrated: boolean;
  try {
    migrated = await isMigrated(store.db);
  } catch (error) {
    // An empty PostgreSQL schema has no migration table at all: nothing has run yet.
    if ((error as { code?: string }).code === '42P01') return fail('db.not_migrated', 'an empty database: the gateway has never started on it');
    throw error;
  }
  return migrated ? ok('every migration has run') : fail('db.not_migrated', 'migrations are missing: this database is older than this gateway');
}

/**
 * Whether the database reached takes writes: on PostgreSQL a primary (not in recovery, not
 * read-only), named by its host — with several hosts in DATABASE_URL, the one found as primary.
 */
export async function primaryFinding(store: Store): Promise<Finding> {
  if (store.capabilities.dialect === 'sqlite') return ok('embedded SQLite: the only copy, writable');
  const row = await primaryState(store.db);
  const named = store.primary?.() ?? (row.address === null ? 'a local socket' : `${row.address}:${row.port ?? 5432}`);
  if (row.recovery) return fail('db.not_primary', `${named} is a standby (in recovery): it takes no writes; point DATABASE_URL at the primary, or list every host with target_session_attrs=read-write`);
  if (row.readOnly) return fail('db.not_primary', `${named} is read-only (default_transaction_read_only is on): it takes no writes`);
  return ok(`${named} is a writable primary`);
}

export async function connectionsFinding(store: Store): Promise<Finding> {
  if (store.capabilities.dialect === 'sqlite') return ok('embedded SQLite: one writer and one reader connection, no pool to run out of');
  const { max, reserved, used } = await postgresConnections(store.db);
  const free = max - reserved - used;
  const detail = `${used} of ${max - reserved} connections in use, ${free} free; a gateway process opens up to ${GATEWAY_POOL_SIZE}`;
  return free < GATEWAY_POOL_SIZE ? warn('db.pool_low', detail) : ok(detail);
}

/**
 * Webhook secrets and channel tokens are sealed with FAPIAO_SECRETS_KEY or data/secrets.key: a
 * data directory restored without that key, or a key changed, leaves every webhook unsigned.
 */
export async function sealedSecretsFinding(store: Store, secrets: SecretBox | undefined): Promise<Finding> {
  const sealed = await sealedSecrets(store.db);
  if (sealed.length === 0) return ok('no sealed secrets yet (webhook secrets, channel tokens)');
  if (!secrets) return fail('db.secrets_key_missing', `${sealed.length} sealed secrets (${describe(sealed)}), and no key to open them: neither FAPIAO_SECRETS_KEY nor data/secrets.key`);
  const shut = sealed.filter((item) => {
    try {
      secrets.open(item.sealed);
      return false;
    } catch {
      return true;
    }
  });
  if (shut.length > 0) return fail('db.secrets_key_wrong', `${shut.length} of ${sealed.length} sealed secrets do not open with this key (${describe(shut)})`);
  return ok(`${sealed.length} sealed secrets open with this key (${describe(sealed)})`);
}

function describe(items: ReadonlyArray<{ readonly what: string }>): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.what, (counts.get(item.what) ?? 0) + 1);
  return [...counts].map(([what, count]) => `${count} ${what}`).join(', ');
}
