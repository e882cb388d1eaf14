/** Where a command's store is: DATABASE_URL (PostgreSQL) when set, else the SQLite file of --db. */
import { join } from 'node:path';
import type { Store, StoreLocation } from '../store/database.js';

export const DEFAULT_DB_FILE = join('data', 'fapiao.db');

export function storeLocation(dbFile: string | undefined): StoreLocation {
  const url = process.env.DATABASE_URL;
  if (url) return { kind: 'postgres', url };
  return { kind: 'sqlite', file: dbFile ?? DEFAULT_DB_FILE };
}

/** Opens the store, runs `work`, and always closes it. */
export async function withStore<T>(dbFile: string | undefined, work: (store: Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('../store/database.js');
  const store = await openStore(storeLocation(dbFile), { poolSize: 2 });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
