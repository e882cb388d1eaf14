/**
 * Online backup and restore of an SQLite gateway: a consistent copy of the database taken with
 * SQLite's backup API while the gateway keeps writing (invoices, audit chain and documents are all
 * in it), plus the signing key, so a restored gateway signs as the old one did, and the key that
 * seals secrets (secrets.key), so it can still sign webhooks and use its channel tokens. Both keys
 * are kept as the database is: owner-only files in an owner-only directory.
 * PostgreSQL deployments use pg_dump or point-in-time recovery instead (docs/operations.md).
 */
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { SECRETS_KEY_FILE } from '../runtime/secret-box.js';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

const BACKUP_DB_FILE = 'fapiao.db';

function emptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** A directory only its owner may enter: backups hold buyers' data and the signing key. */
function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Copies a key file, readable by its owner only; false when there is none. */
function copyPrivate(from: string, to: string): boolean {
  if (!existsSync(from)) return false;
  copyFileSync(from, to);
  chmodSync(to, 0o600);
  return true;
}

/** Copies the live database and the keys into `dest` (a new or empty directory). */
export async function backupSqlite(dbFile: string, dataDir: string, dest: string): Promise<{ pages: number; bytes: number; secretsKey: boolean }> {
  if (!emptyOrMissing(dest)) throw new Error(`${dest} is not empty; back up into a new directory`);
  if (!existsSync(dbFile)) throw new Error(`no database at ${dbFile}`);
  privateDirectory(dest);
  // Created empty and private first: SQLite's backup writes into it and keeps its mode.
  closeSync(openSync(join(dest, BACKUP_DB_FILE), 'wx', 0o600));
  const source = new SqliteDatabase(dbFile, { readonly: true, fileMustExist: true });
  try {
    const progress = await source.backup(join(dest, BACKUP_DB_FILE));
    chmodSync(join(dest, BACKUP_DB_FILE), 0o600);
    const keys = join(dataDir, 'keys');
    if (existsSync(keys)) cpSync(keys, join(dest, 'keys'), { recursive: true, preserveTimestamps: true });
    const secretsKey = copyPrivate(join(dataDir, SECRETS_KEY_FILE), join(dest, SECRETS_KEY_FILE));
    const pageSize = source.pragma('page_size', { simple: true }) as number;
    return { pages: progress.totalPages, bytes: progress.totalPages * pageSize, secretsKey };
  } finally {
    source.close();
  }
}

/** Puts a backup in place as a new data directory; refuses to overwrite an existing gateway. */
export function restoreSqlite(src: string, dataDir: string): { integrity: string } {
  const backup = join(src, BACKUP_DB_FILE);
  if (!existsSync(backup)) throw new Error(`${src} holds no ${BACKUP_DB_FILE}; is it a backup directory?`);
  if (existsSync(join(dataDir, BACKUP_DB_FILE))) throw new Error(`${dataDir} already holds a gateway database; restore into a new data directory`);
  privateDirectory(dataDir);
  cpSync(backup, join(dataDir, BACKUP_DB_FILE));
  chmodSync(join(dataDir, BACKUP_DB_FILE), 0o600);
  if (existsSync(join(src, 'keys'))) cpSync(join(src, 'keys'), join(dataDir, 'keys'), { recursive: true, preserveTimestamps: true });
  copyPrivate(join(src, SECRETS_KEY_FILE), join(dataDir, SECRETS_KEY_FILE));
  const restored = new SqliteDatabase(join(dataDir, BACKUP_DB_FILE), { fileMustExist: true });
  try {
    return { integrity: String(restored.pragma('integrity_check', { simple: true })) };
  } finally {
    restored.close();
  }
}
