/**
 * One gateway process per SQLite file. SQLite has one writer, and two gateways on one file would
 * each run a dispatcher believing it alone holds the leases; the second is refused at start.
 * The lock is an SQLite exclusive lock on a small side file: the kernel drops it when the process
 * dies, so a crash never leaves a stale lock behind (a PID file would).
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

export class GatewayLockedError extends Error {
  override readonly name = 'GatewayLockedError';
}

export interface GatewayLock {
  release(): void;
}

function gatewayLockFile(dbFile: string): string {
  return `${dbFile}-gateway-lock`;
}

/** Takes the lock of `dbFile`, or throws GatewayLockedError when another process holds it. */
export function takeGatewayLock(dbFile: string): GatewayLock {
  const file = gatewayLockFile(dbFile);
  if (!existsSync(file)) {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  const lock = new SqliteDatabase(file);
  try {
    lock.pragma('busy_timeout = 0');
    // In exclusive locking mode the lock of the first write is kept until the connection closes.
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('create table if not exists holder (pid integer not null, started_at text not null)');
    lock.exec('delete from holder');
    lock.prepare('insert into holder values (?, ?)').run(process.pid, new Date().toISOString());
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY' || (error as { code?: string }).code === 'SQLITE_LOCKED') {
      throw new GatewayLockedError(
        `another gateway process is already serving ${dbFile}; SQLite means one gateway process (stop the other, give this one its own --db, or share PostgreSQL through DATABASE_URL)`,
      );
    }
    throw error;
  }
  return { release: () => lock.close() };
}
