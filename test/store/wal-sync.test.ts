// Durable commits on SQLite off the event loop (src/store/wal-sync.ts): a COMMIT, or a write
// outside a transaction, does not resolve until the log's sync that follows it has finished; reads
// never wait; commits that arrive while a sync runs share the next one; a failed sync fails the
// commit's caller. And a store opened on a file syncs its log for real.
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { ImmediateSqliteDialect } from '../../src/store/sqlite-immediate-dialect.js';
import { walSyncer, WalSync } from '../../src/store/wal-sync.js';

/** The log of `file` flushed once by a syncer of its own. */
async function syncWriteAheadLog(file: string): Promise<void> {
  const syncer = walSyncer(file);
  try {
    await syncer.sync();
  } finally {
    syncer.close();
  }
}

/** A flush the test finishes by hand, counting how many were started. */
function manualFlush() {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  return {
    pending,
    flush: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    finishNext: () => pending.shift()!.resolve(),
  };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  // Let every microtask and an I/O turn run: a promise that could resolve now has.
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function database() {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  dirs.push(dir);
  const file = join(dir, 'test.db');
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table t (n integer)');
  const manual = manualFlush();
  const db = new Kysely<{ t: { n: number } }>({
    dialect: new ImmediateSqliteDialect({ database: sqlite, durability: { walSync: new WalSync(manual.flush), inTransaction: () => sqlite.inTransaction } }),
  });
  return { db, manual, file };
}

describe('WalSync', () => {
  it('makes a caller that arrives during a sync wait for the next one, shared by every such caller', async () => {
    const manual = manualFlush();
    const sync = new WalSync(manual.flush);
    const first = sync.durable();
    const second = sync.durable();
    const third = sync.durable();
    expect(manual.pending).toHaveLength(1);
    manual.finishNext();
    await first;
    expect(await settled(second)).toBe(false);
    // The second sync started once the first ended, for both callers who came during the first.
    expect(manual.pending).toHaveLength(1);
    manual.finishNext();
    await Promise.all([second, third]);
    expect(manual.pending).toHaveLength(0);
    // With nothing running, the next caller starts a sync of its own.
    const fourth = sync.durable();
    expect(manual.pending).toHaveLength(1);
    manual.finishNext();
    await fourth;
  });

  it('fails the callers of a sync that failed, and starts afresh for the next', async () => {
    const manual = manualFlush();
    const sync = new WalSync(manual.flush);
    const first = sync.durable();
    manual.pending.shift()!.reject(new Error('EIO: i/o error, fdatasync'));
    await expect(first).rejects.toThrow(/EIO/);
    const next = sync.durable();
    manual.finishNext();
    await expect(next).resolves.toBeUndefined();
  });
});

describe('a SQLite connection with WalSync', () => {
  it('holds a commit until the log is synced, and a read not at all', async () => {
    const { db, manual } = database();
    const committing = db.transaction().execute((tx) => tx.insertInto('t').values({ n: 1 }).execute());
    await new Promise((resolve) => setTimeout(resolve, 20));
    // COMMIT ran (the row is there for a reader of this connection once the commit resolves) but the caller waits.
    expect(await settled(committing)).toBe(false);
    expect(manual.pending).toHaveLength(1);
    manual.finishNext();
    await committing;
    const read = db.selectFrom('t').selectAll().execute();
    expect(await read).toEqual([{ n: 1 }]);
    expect(manual.pending).toHaveLength(0);
    await db.destroy();
  });

  it('holds a write outside a transaction until the log is synced, but not the statements inside one', async () => {
    const { db, manual } = database();
    const writing = db.insertInto('t').values({ n: 2 }).execute();
    expect(await settled(writing)).toBe(false);
    manual.finishNext();
    await writing;
    // Inside a transaction no statement waits: only its COMMIT does, once.
    const committing = db.transaction().execute(async (tx) => {
      for (let n = 0; n < 5; n++) await tx.insertInto('t').values({ n }).execute();
      expect(manual.pending).toHaveLength(0);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(manual.pending).toHaveLength(1);
    manual.finishNext();
    await committing;
    await db.destroy();
  });

  it('fails the committer when the sync fails', async () => {
    const { db, manual } = database();
    const committing = db.transaction().execute((tx) => sql`insert into t values (3)`.execute(tx));
    await new Promise((resolve) => setTimeout(resolve, 20));
    manual.pending.shift()!.reject(new Error('EIO: i/o error, fdatasync'));
    await expect(committing).rejects.toThrow(/EIO/);
    await db.destroy();
  });
});

describe('a store on a file', () => {
  it('runs with synchronous=NORMAL and syncs the log itself; the log is what syncWriteAheadLog flushes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-store-'));
    dirs.push(dir);
    const file = join(dir, 'fapiao.db');
    const store = await openStore({ kind: 'sqlite', file });
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    expect(rows[0]!.synchronous).toBe(1);
    await sql`create table probe (n integer)`.execute(store.db);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    await expect(syncWriteAheadLog(file)).resolves.toBeUndefined();
    await store.close();
    // With the last connection closed SQLite removed the log: the database file is flushed instead.
    await expect(syncWriteAheadLog(file)).resolves.toBeUndefined();
    await expect(syncWriteAheadLog(join(dir, 'missing.db'))).rejects.toThrow(/ENOENT/);
  });

  /** What this process's descriptors point at (Linux), to see which file a syncer holds. */
  const heldPaths = () =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return [];
      }
    });

  it.skipIf(process.platform !== 'linux')('keeps the log open between syncs, and syncs a log put in its place instead of the one it held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-held-'));
    dirs.push(dir);
    const file = join(dir, 'fapiao.db');
    writeFileSync(`${file}-wal`, 'first');
    const syncer = walSyncer(file);
    await syncer.sync();
    await syncer.sync();
    expect(heldPaths().filter((path) => path === `${file}-wal`)).toHaveLength(1);
    // Were SQLite ever to delete the log and start a new one while it is held, the old descriptor
    // would sync a file nobody reads: the syncer sees it has no links left and takes the new one.
    unlinkSync(`${file}-wal`);
    writeFileSync(`${file}-wal`, 'second');
    await syncer.sync();
    expect(heldPaths().filter((path) => path.startsWith(`${file}-wal`))).toEqual([`${file}-wal`]);
    syncer.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heldPaths().filter((path) => path.startsWith(`${file}-wal`))).toEqual([]);
  });
});
