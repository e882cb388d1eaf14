/**
 * The local layer: the machine the gateway runs on — room and permission to write in the data
 * directory, the open-files limit, and whether the system clock is kept in sync.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fail, ok, warn, type Finding } from './check.js';

/** Free space below which commits and renders start failing, and below which it is worth a warning. */
const DISK_FAIL_BYTES = 200 * 1024 * 1024;
const DISK_WARN_BYTES = 1024 * 1024 * 1024;

const MEANING: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};
const errno = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  if (!code) return String(error);
  return MEANING[code] ? `${code}: ${MEANING[code]}` : code;
};
const mib = (bytes: number) => (bytes >= 10 * 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(0)} GiB` : bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);

/** The directory itself, or the nearest ancestor that exists (the gateway creates the rest). */
async function existingDirectory(path: string): Promise<{ dir: string; exists: boolean } | { notDirectory: string }> {
  let dir = resolve(path);
  for (;;) {
    try {
      const info = await stat(dir);
      if (!info.isDirectory()) return { notDirectory: dir };
      return { dir, exists: dir === resolve(path) };
    } catch (error) {
      if (errno(error) !== 'ENOENT' || dirname(dir) === dir) throw error;
      dir = dirname(dir);
    }
  }
}

/** Writes, syncs and removes a small file: the same steps a commit and a rendered document need. */
export async function dataDirFinding(dataDir: string): Promise<Finding> {
  const who = typeof process.getuid === 'function' ? ` as uid ${process.getuid()}` : '';
  let where: Awaited<ReturnType<typeof existingDirectory>>;
  try {
    where = await existingDirectory(dataDir);
  } catch (error) {
    return fail('local.data_dir_not_writable', `${dataDir}: cannot be looked at${who} (${errno(error)})`);
  }
  if ('notDirectory' in where) return fail('local.data_dir_not_writable', `${where.notDirectory} is a file, not a directory`);
  const probe = join(where.dir, `.fapiao-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.write('fapiao doctor\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
  } catch (error) {
    return fail('local.data_dir_not_writable', `${where.dir}: cannot write${who} (${errno(error)})`);
  }
  return ok(where.exists ? `${where.dir} is writable` : `${resolve(dataDir)} does not exist yet; ${where.dir} is writable, so the gateway can create it`);
}

/**
 * The database holds buyers' names, tax IDs and bank accounts and the API keys' hashes: no one but
 * the gateway's user should read it, nor list the directory it lives in.
 */
export async function privacyFinding(dataDir: string, dbFile: string | undefined): Promise<Finding> {
  const paths = [dataDir, ...(dbFile ? [dbFile, `${dbFile}-wal`, `${dbFile}-shm`, dirname(dbFile)] : [])];
  const open: string[] = [];
  for (const path of new Set(paths.map((p) => resolve(p)))) {
    try {
      const info = await stat(path);
      if ((info.mode & 0o077) !== 0) open.push(`${path} (${(info.mode & 0o777).toString(8).padStart(3, '0')})`);
    } catch {
      // Not there (yet): nothing to expose.
    }
  }
  if (open.length > 0) return warn('local.data_readable_by_others', `readable by other users: ${open.join(', ')}`);
  return ok('the data directory and database are readable by their owner only');
}

export async function diskFinding(dataDir: string): Promise<Finding> {
  const where = await existingDirectory(dataDir);
  if ('notDirectory' in where) return fail('local.data_dir_not_writable', `${where.notDirectory} is a file, not a directory`);
  const fs = await statfs(where.dir);
  const free = fs.bavail * fs.bsize;
  const share = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  const detail = `${mib(free)} free of ${mib(fs.blocks * fs.bsize)} (${(share * 100).toFixed(0)} %) at ${where.dir}`;
  if (free < DISK_FAIL_BYTES) return fail('local.disk_low', detail);
  if (free < DISK_WARN_BYTES) return warn('local.disk_low', detail);
  return ok(detail);
}

/**
 * Descriptors the gateway needs at its configured concurrency: a socket per upstream call, the
 * database, render threads, client connections, and room to spare.
 */
function descriptorsNeeded(concurrency: number): number {
  return Math.max(1024, concurrency * 4 + 256);
}

export async function fdLimitFinding(concurrency: number): Promise<Finding> {
  let limits: string;
  try {
    limits = await readFile('/proc/self/limits', 'utf8');
  } catch {
    return ok('not readable on this system (no /proc/self/limits)');
  }
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return ok('not readable on this system');
  // Node raises its soft limit to the hard one at start, so this is what a gateway process gets.
  const soft = match[1] === 'unlimited' ? Infinity : Number(match[1]);
  const needed = descriptorsNeeded(concurrency);
  const detail = `${match[1]} open files allowed (soft), ${match[2]} (hard); the gateway wants ${needed} at concurrency ${concurrency}`;
  return soft < needed ? warn('local.fd_limit_low', detail) : ok(detail);
}

function run(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { timeout: 1000 }, (error, stdout) => resolvePromise(error ? null : stdout.trim()));
  });
}

/** What systemd-timesyncd or chrony say, where either is there to ask. */
export async function clockSyncFinding(): Promise<Finding> {
  const timedatectl = await run('timedatectl', ['show', '--property=NTPSynchronized', '--value']);
  if (timedatectl === 'yes') return ok('synchronised (timedatectl)');
  if (timedatectl === 'no') return warn('local.clock_unsynced', 'timedatectl says the clock is not synchronised (NTPSynchronized=no)');
  const chrony = await run('chronyc', ['-n', 'tracking']);
  const leap = chrony ? /^Leap status\s*:\s*(.+)$/m.exec(chrony)?.[1] : undefined;
  if (leap === 'Normal') return ok('synchronised (chronyc tracking)');
  if (leap) return warn('local.clock_unsynced', `chronyc tracking says: ${leap}`);
  return ok('sync state not readable here (neither timedatectl nor chronyc answered); the clock layer compares with each upstream');
}
