/**
 * What a database can do, named, so that code asks for the capability it needs instead of which
 * dialect it runs on: the one place that knows SQLite's and PostgreSQL's differences as such.
 */
export interface StoreCapabilities {
  readonly dialect: 'sqlite' | 'postgres';
  /** `for update skip locked`: several processes may lease from one table. */
  readonly skipLocked: boolean;
  /** Several gateway processes may share this database. */
  readonly multipleWriters: boolean;
  /**
   * A group commit writes its requests' rows in a few multi-row statements rather than one request
   * after the other: each statement is a round trip to a server (PostgreSQL). SQLite runs statements
   * in the process, where one request at a time costs nothing more and keeps each request's own checks simple.
   */
  readonly batchedWrites: boolean;
  /**
   * A transaction may ask for a repeatable-read snapshot (PostgreSQL). SQLite takes no isolation
   * level: a read transaction held on one connection is its snapshot.
   */
  readonly isolationLevels: boolean;
  /**
   * Asks for one more audit chain, opened in its own short transaction in the background: a writer
   * found every chain held by another transaction (PostgreSQL; SQLite has one writer and one chain).
   */
  readonly openAuditChainSoon?: () => void;
}

export const SQLITE_CAPABILITIES: StoreCapabilities = { dialect: 'sqlite', skipLocked: false, multipleWriters: false, batchedWrites: false, isolationLevels: false };

export function postgresCapabilities(openAuditChainSoon: () => void): StoreCapabilities {
  return { dialect: 'postgres', skipLocked: true, multipleWriters: true, batchedWrites: true, isolationLevels: true, openAuditChainSoon };
}
