/** Where a command's store is: DATABASE_URL (PostgreSQL) when set, else exactly the SQLite file of --db. */
import { environment } from '../runtime/env.js';
import { dirname, join } from 'node:path';
import { SecretBox } from '../runtime/secret-box.js';
import { checkDatabaseUrl } from '../runtime/config.js';
import type { Store, StoreLocation } from '../store/database.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

export const DEFAULT_DB_FILE = join('data', 'fapiao.db');

/** The SQLite file when no --db is given: fapiao.db in FAPIAO_DATA_DIR when it is set, else ./data/fapiao.db. */
export function defaultDbFile(): string {
  return environment.dataDir ? join(environment.dataDir, 'fapiao.db') : DEFAULT_DB_FILE;
}

export function storeLocation(dbFile: string | undefined): StoreLocation {
  const url = environment.databaseUrl;
  if (url) {
    try {
      return { kind: 'postgres', url: checkDatabaseUrl(url) };
    } catch (error) {
      throw new UsageError(errorMessage(error));
    }
  }
  return { kind: 'sqlite', file: dbFile ?? defaultDbFile() };
}

/** The key that seals secrets, as the gateway on this database has it: FAPIAO_SECRETS_KEY, else the data directory's file. */
export function secretBoxFor(dbFile: string | undefined): SecretBox {
  return SecretBox.open({ key: environment.secretsKey, dataDir: environment.dataDir ?? dirname(dbFile ?? defaultDbFile()) });
}

/**
 * Whether the command may create the database: only serve, demo, sellers add and restore do (and
 * say so); every other command refuses a missing one, so a mistyped --db is an error, not a new,
 * empty installation that looks intact.
 */
export type StoreUse = 'create' | 'existing';

/** Checks the SQLite file before opening; says on stderr when a new database is about to be created. */
export async function prepareStoreLocation(location: StoreLocation, use: StoreUse): Promise<void> {
  if (location.kind !== 'sqlite') return;
  const { sqliteFileMissing } = await import('../store/database.js');
  let missing: boolean;
  try {
    missing = sqliteFileMissing(location.file);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  if (!missing) return;
  if (use === 'existing') {
    throw new UsageError(
      `no database at ${location.file}: check --db (or DATABASE_URL); a new gateway's database is created by fapiao serve, fapiao demo or fapiao sellers add`,
    );
  }
  process.stderr.write(`fapiao: no database at ${location.file}; creating a new one\n`);
}

/** Opens the store, runs `work`, and always closes it. */
export async function withStore<T>(dbFile: string | undefined, work: (store: Store) => Promise<T>, use: StoreUse = 'existing'): Promise<T> {
  const location = storeLocation(dbFile);
  await prepareStoreLocation(location, use);
  const { openStore } = await import('../store/database.js');
  let store: Store;
  try {
    store = await openStore(location, { poolSize: 2, mustExist: use === 'existing' });
  } catch (error) {
    throw new UsageError(`cannot open the database ${location.kind === 'sqlite' ? location.file : '(DATABASE_URL)'}: ${errorMessage(error)}`);
  }
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
