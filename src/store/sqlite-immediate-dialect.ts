/**
 * Kysely's SQLite dialect, with transactions that begin IMMEDIATE. A deferred transaction that
 * reads and then writes must upgrade its lock, and SQLite refuses that upgrade at once (no busy
 * wait) when another process wrote meanwhile, e.g. `fapiao keys create` beside `fapiao serve`.
 * Taking the write lock up front makes such a writer wait its turn (busy_timeout) instead.
 */
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { errorMessage } from '../domain/error-message.js';

class ImmediateSqliteDriver extends SqliteDriver {
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
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
