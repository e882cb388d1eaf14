/**
 * Opens the store: SQLite (embedded, one process) by default, PostgreSQL when a URL is given, with
 * the same migrations and the same queries. Dialect differences are settled once here, in
 * StoreCapabilities; code elsewhere branches on a capability, never on a dialect name.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema/index.js';
import { ImmediateSqliteDialect } from './sqlite-immediate-dialect.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export interface StoreCapabilities {
  readonly dialect: 'sqlite' | 'postgres';
  /** `for update skip locked`: several processes may lease from one table. */
  readonly skipLocked: boolean;
  /** Several gateway processes may share this database. */
  readonly multipleWriters: boolean;
}

export interface Store {
  /** Every write, and reads that must see this process's uncommitted work. */
  readonly db: Kysely<Database>;
  /**
   * Reads that need only committed data (auth, lookups, GET and list). On SQLite a second
   * connection: in WAL mode readers never wait for the writer, so a request's key check does not
   * queue behind a batch of commits. On PostgreSQL the same pool as `db`.
   */
  readonly reader: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;
}

export type StoreLocation = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

const PG_INT8 = 20;

/** Opens (creating the file or schema objects as needed) and migrates the store. */
export async function openStore(location: StoreLocation, options: { readonly poolSize?: number } = {}): Promise<Store> {
  const store = location.kind === 'sqlite' ? openSqlite(location.file) : openPostgres(location.url, options.poolSize ?? 10);
  try {
    await migrate(store.db);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Opens an existing store as it is, for inspection (`fapiao doctor`): nothing is created or
 * migrated, and a PostgreSQL server that does not answer within `connectTimeoutMs` is an error.
 */
export function openExistingStore(location: StoreLocation, options: { readonly connectTimeoutMs: number }): Store {
  if (location.kind === 'postgres') return openPostgres(location.url, 2, options.connectTimeoutMs);
  const sqlite = new SqliteDatabase(location.file, { fileMustExist: true });
  sqlite.pragma('busy_timeout = 1000');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  return { db, reader: db, capabilities: { dialect: 'sqlite', skipLocked: false, multipleWriters: false }, close: () => db.destroy() };
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // better-sqlite3 defaults to NORMAL, which survives a process crash but not a power loss.
  // A 2xx promises durability, so every commit waits for the fsync (design.md invariant 1).
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  // Opened lazily: the file and its schema must exist first (migrations run on `db`).
  let reader: Kysely<Database> | undefined;
  const openReader = () => {
    const connection = new SqliteDatabase(file);
    connection.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(connection) }) });
  };
  return {
    db,
    get reader() {
      reader ??= file === ':memory:' ? db : openReader();
      return reader;
    },
    capabilities: { dialect: 'sqlite', skipLocked: false, multipleWriters: false },
    close: async () => {
      if (reader && reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}

function openPostgres(url: string, poolSize: number, connectTimeoutMs?: number): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    ...(connectTimeoutMs !== undefined && { connectionTimeoutMillis: connectTimeoutMs }),
    // Times are epoch milliseconds in bigint columns: well inside 2^53, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    reader: db,
    capabilities: { dialect: 'postgres', skipLocked: true, multipleWriters: true },
    close: () => db.destroy(),
  };
}

const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) };

/** Brings the schema up to date; Kysely's migrator locks so that two processes cannot race. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
}

/** Whether every migration has run, for /readyz. */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const migrations = await new Migrator({ db, provider }).getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}
