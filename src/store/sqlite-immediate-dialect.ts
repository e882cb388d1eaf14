/**
 * Kysely's SQLite dialect, with transactions that begin IMMEDIATE. A deferred transaction that
 * reads and then writes must upgrade its lock, and SQLite refuses that upgrade at once (no busy
 * wait) when another process wrote meanwhile, e.g. `fapiao keys create` beside `fapiao serve`.
 * Taking the write lock up front makes such a writer wait its turn (busy_timeout) instead.
 * With a WalSync, every statement that ends a write waits until it is on disk (src/store/wal-sync.ts).
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type QueryResult, type SqliteDialectConfig } from 'kysely';
import { errorMessage } from '../domain/error-message.js';
import type { WalSync } from './wal-sync.js';

/** What the dialect needs to make commits durable itself: the log's sync, and whether a transaction is open. */
export interface CommitDurability {
  readonly walSync: WalSync;
  readonly inTransaction: () => boolean;
}

export interface ImmediateSqliteDialectConfig extends SqliteDialectConfig {
  readonly durability?: CommitDurability;
}

/**
 * The connection, with each statement that ended a write (it changed rows or ended a transaction,
 * and no transaction is open after it) held until the log is synced.
 */
function durableConnection(connection: DatabaseConnection, durability: CommitDurability): DatabaseConnection {
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const result = await connection.executeQuery<R>(query);
      // better-sqlite3 reports affected rows only for statements that are not reads.
      if (result.numAffectedRows !== undefined && !durability.inTransaction()) await durability.walSync.durable();
      return result;
    },
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #durability: CommitDurability | undefined;

  constructor(config: ImmediateSqliteDialectConfig) {
    super(config);
    this.#durability = config.durability;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    return this.#durability ? durableConnection(connection, this.#durability) : connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * After SQLITE_FULL, SQLITE_IOERR and a few others SQLite has already rolled the transaction
   * back; Kysely's own ROLLBACK then fails with "cannot rollback - no transaction is active" and
   * that error would replace the real one. Nothing is left to undo, so let the real one through.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch (error) {
      if (!/no transaction is active/.test(errorMessage(error))) throw error;
    }
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ImmediateSqliteDialectConfig;

  constructor(config: ImmediateSqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
