/**
 * Opens the store: SQLite (embedded, one process) by default, PostgreSQL when a URL is given, with
 * the same migrations and the same queries. Dialect differences are settled once here, in
 * StoreCapabilities; code elsewhere branches on a capability, never on a dialect name.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, sql, type KyselyConfig, type MigrationProvider, type PostgresPool } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations/index.js';
import type { StoreLocation } from '../runtime/config.js';
import type { Database } from './schema/index.js';
import { ImmediateSqliteDialect } from './sqlite-immediate-dialect.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { walSyncer, WalSync } from './wal-sync.js';
import { AuditChainOpener } from './audit-log.js';
import { postgresCapabilities, SQLITE_CAPABILITIES, type StoreCapabilities } from './capabilities.js';
import { FailoverPool } from './failover-pool.js';
import { postgresHosts } from './postgres-hosts.js';

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
  /** Where several processes write (PostgreSQL): opens audit chains ahead of the writers. */
  readonly auditChains?: AuditChainOpener;
  /** PostgreSQL: the host:port writes go to now (the primary found among several); undefined on SQLite or while looking. */
  readonly primary?: () => string | undefined;
  close(): Promise<void>;
}

export type { StoreLocation };

const PG_INT8 = 20;

/** Why an SQLite file cannot be opened as a store, before anything is created: a missing file, a directory. */
export class StoreMissingError extends Error {
  override readonly name = 'StoreMissingError';
}

export interface OpenStoreOptions {
  readonly poolSize?: number;
  /**
   * Refuse a missing SQLite file instead of creating it: a mistyped --db must not silently start
   * a new, empty installation. @default false
   */
  readonly mustExist?: boolean;
  /** Told of every statement run, with its parameters (the rolling-upgrade test records a release's queries with it). */
  readonly onQuery?: (sql: string, parameters: readonly unknown[]) => void;
}

/** Kysely's log option for OpenStoreOptions.onQuery. */
function queryLog(onQuery: OpenStoreOptions['onQuery']): KyselyConfig['log'] {
  if (!onQuery) return undefined;
  return (event) => {
    if (event.level === 'query') onQuery(event.query.sql, event.query.parameters);
  };
}

/** Whether an SQLite file would be created by opening it (so a caller can say so first). */
export function sqliteFileMissing(file: string): boolean {
  if (file === ':memory:') return false;
  if (!existsSync(file)) return true;
  if (statSync(file).isDirectory()) throw new StoreMissingError(`${file} is a directory; --db names the database file itself (e.g. ${file}/fapiao.db)`);
  return false;
}

/**
 * Creates the database file readable by its owner alone, in a directory only the owner can enter:
 * it holds buyers' names, bank accounts and API key hashes. SQLite gives the -wal and -shm files
 * the mode of the database file, so creating it first is enough.
 */
function createPrivateFile(file: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  closeSync(openSync(file, 'wx', 0o600));
  chmodSync(file, 0o600);
}

/** Opens (creating the file or schema objects as needed) and migrates the store. */
export async function openStore(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  if (location.kind === 'sqlite' && sqliteFileMissing(location.file)) {
    if (options.mustExist) throw new StoreMissingError(`no database at ${location.file}`);
    createPrivateFile(location.file);
  }
  const log = queryLog(options.onQuery);
  const store = location.kind === 'sqlite' ? openSqlite(location.file, log) : openPostgres(location.url, options.poolSize ?? 10, undefined, log);
  try {
    const applied = await migrate(store.db);
    // Migrations write through the WAL, which keeps its size until it is truncated: give the space
    // back now (on a small disk it would hold hundreds of kB the first writes may need).
    if (applied > 0 && location.kind === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(store.db);
    // SQLite plans without statistics unless asked (see openSqlite): gathered once the schema is there.
    if (location.kind === 'sqlite') await sql`pragma optimize=0x10002`.execute(store.db);
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
  return { db, reader: db, capabilities: SQLITE_CAPABILITIES, close: () => db.destroy() };
}

/** How often a SQLite store refreshes its planner statistics (PRAGMA optimize). */
const OPTIMIZE_EVERY_MS = 3_600_000;

function openSqlite(file: string, log?: KyselyConfig['log']): Store {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // A 2xx promises durability, so every commit waits for the log's fsync (design.md invariant 1):
  // FULL does it inside COMMIT on the event loop's thread; NORMAL with the dialect's WalSync does
  // it on the thread pool, and the commit's caller still waits for it (src/store/wal-sync.ts).
  // An in-memory database has nothing to sync.
  const writeAheadLog = file === ':memory:' ? undefined : walSyncer(file);
  const durability = writeAheadLog && { walSync: new WalSync(() => writeAheadLog.sync()), inTransaction: () => sqlite.inTransaction };
  sqlite.pragma(durability ? 'synchronous = NORMAL' : 'synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite), ...(durability && { durability }) }), ...(log && { log }) });
  // Opened lazily: the file and its schema must exist first (migrations run on `db`).
  let reader: Kysely<Database> | undefined;
  const openReader = () => {
    const connection = new SqliteDatabase(file);
    connection.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(connection) }), ...(log && { log }) });
  };
  // With a million invoices and no statistics SQLite read a week of the seller's index for one
  // status instead of the status index (94 ms against 5). PRAGMA optimize, SQLite's advice for
  // long-lived connections, analyses on a sample the tables whose size changed much; PostgreSQL's
  // autovacuum does the same by itself.
  const optimizing = setInterval(() => {
    // Statistics only steer the planner: what could not be gathered now is gathered next hour.
    sql`pragma optimize`.execute(db).catch(() => undefined);
  }, OPTIMIZE_EVERY_MS);
  optimizing.unref();
  return {
    db,
    get reader() {
      reader ??= file === ':memory:' ? db : openReader();
      return reader;
    },
    capabilities: SQLITE_CAPABILITIES,
    close: async () => {
      clearInterval(optimizing);
      if (reader && reader !== db) await reader.destroy();
      await db.destroy();
      writeAheadLog?.close();
    },
  };
}

function openPostgres(url: string, poolSize: number, connectTimeoutMs?: number, log?: KyselyConfig['log']): Store {
  const settings: Omit<pg.PoolConfig, 'connectionString'> = {
    max: poolSize,
    ...(connectTimeoutMs !== undefined && { connectionTimeoutMillis: connectTimeoutMs }),
    // Times are epoch milliseconds in bigint columns: well inside 2^53, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  };
  const hosts = postgresHosts(url);
  let primary: () => string | undefined;
  let pool: PostgresPool;
  if (hosts.primaryOnly) {
    // Several hosts, or only a primary will do: follow the primary through a failover.
    const failover = new FailoverPool(hosts.urls, hosts.names, { pool: settings, ...(connectTimeoutMs !== undefined && { checkTimeoutMs: connectTimeoutMs }) });
    pool = failover;
    primary = () => failover.currentPrimary;
  } else {
    const single = new pg.Pool({ ...settings, connectionString: url });
    // An idle connection whose server restarted emits 'error' on the pool: unhandled, it would end
    // the process. The pool drops that connection; the next query opens a new one.
    single.on('error', () => undefined);
    // Nor one checked out between two queries (a transaction in progress): its next query fails with the reason.
    single.on('connect', (client) => client.on('error', () => undefined));
    pool = single;
    primary = () => hosts.names[0];
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log && { log }) });
  const capabilities: StoreCapabilities = postgresCapabilities(() => chains.soon());
  const chains = new AuditChainOpener(db, capabilities);
  return {
    db,
    reader: db,
    capabilities,
    auditChains: chains,
    primary,
    close: () => db.destroy(),
  };
}

const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) };

/**
 * The migrator of this database. On PostgreSQL its bookkeeping tables are named in the current
 * schema (the one of search_path): Kysely's check for them otherwise finds another schema's
 * tables of the same name, skips creating its own, and fails (seen with one schema per tenant,
 * or per test).
 */
async function migrator(db: Kysely<Database>): Promise<Migrator> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (schema) return new Migrator({ db, provider, migrationTableSchema: schema });
  }
  return new Migrator({ db, provider });
}

/** Brings the schema up to date; Kysely's migrator locks so that two processes cannot race. How many migrations ran. */
export async function migrate(db: Kysely<Database>): Promise<number> {
  const { error, results } = await (await migrator(db)).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return results?.filter((result) => result.status === 'Success').length ?? 0;
}

/** One round trip to the database (`select 1`); throws when it does not answer. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** PostgreSQL's connection limit, the part kept for superusers, and the client connections open now. */
export async function postgresConnections(db: Kysely<Database>): Promise<{ max: number; reserved: number; used: number }> {
  const { rows } = await sql<{ max: number; reserved: number; used: number }>`
    select current_setting('max_connections')::int as max,
           current_setting('superuser_reserved_connections')::int as reserved,
           (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as used`.execute(db);
  return rows[0]!;
}

/** Whether the PostgreSQL reached takes writes (not a standby, not read-only), and its address. */
export async function primaryState(db: Kysely<Database>): Promise<{ recovery: boolean; readOnly: boolean; address: string | null; port: number | null }> {
  const { rows } = await sql<{ recovery: boolean; read_only: string; address: string | null; port: number | null }>`
    select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only,
           host(inet_server_addr()) as address, inet_server_port() as port`.execute(db);
  const row = rows[0]!;
  return { recovery: row.recovery, readOnly: row.read_only !== 'off', address: row.address, port: row.port };
}

/** Whether every migration has run, for /readyz. */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const migrations = await (await migrator(db)).getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}
