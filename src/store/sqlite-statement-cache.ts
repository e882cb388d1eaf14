/**
 * better-sqlite3 as Kysely's SQLite dialect sees it, with prepared statements kept for reuse.
 * Kysely prepares every query afresh; profiling the accept path showed `prepare` at 14 % of the
 * gateway's CPU. Our queries come from a few builders, so a small LRU of statements covers them
 * (a statement is reusable once its synchronous call returned, which is always, here).
 */
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept; IN-lists and multi-row inserts of many sizes make more than a few. */
const CAPACITY = 500;

export function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => void sqlite.close(),
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached) {
        // Refresh its place: the Map's order is the LRU order.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql) as unknown as SqliteStatement;
      cache.set(sql, statement);
      if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}
