/** Database errors recognised the same way in both dialects. */
import { errorMessage } from '../domain/error-message.js';

/** A unique or primary-key constraint refused the write (PostgreSQL 23505, SQLite CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Why the database cannot take writes now: nothing a client did, and it may pass. */
export type StorageFault = 'disk_full' | 'read_only' | 'io_error' | 'unavailable';

/**
 * The storage fault behind an error, if it is one: a full disk or quota, a read-only file or
 * server, an I/O error, or a database server that cannot be reached. Anything else is a bug.
 */
export function storageFault(error: unknown): StorageFault | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const raw = (error as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (code === 'SQLITE_FULL' || code === '53100' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk_full';
  if (code.startsWith('SQLITE_READONLY') || code === '25006' || code === 'EROFS') return 'read_only';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === '58030' || code === 'EIO') return 'io_error';
  // PostgreSQL: cannot connect now, admin shutdown, too many connections, connection exceptions.
  if (code === '57P03' || code === '57P01' || code === '57P02' || code === '53300' || code.startsWith('08') || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE') {
    return 'unavailable';
  }
  // node-postgres says a connection died in words, without a code.
  if (code === '' && /Connection terminated|connection error and is not queryable|Client was closed|timeout exceeded when trying to connect/i.test(errorMessage(error))) return 'unavailable';
  return undefined;
}

/** A one-line account of a database error for logs and not-ready answers: its code and message. */
export function describeDatabaseError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = errorMessage(error);
  return typeof code === 'string' && code !== '' ? `${code}: ${message}` : message;
}
