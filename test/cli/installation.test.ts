// An installation as an operator handles it: the database file is exactly the one named, a typo
// never creates a new installation, files are private, and a start that cannot work says why and
// exits 2 instead of hanging.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFapiao } from '../support/processes.js';
import { HANG_GUARD_MS } from '../support/hang-guard.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const SELLER = '91330106MA2B0Y5R34';

function fapiao(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', FAPIAO_LOG_LEVEL: 'warn', ...env }, timeout: HANG_GUARD_MS });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Runs `fapiao ARGS` until it exits, or kills it after `ms`: a start that hangs fails the test. */
function exitWithin(args: string[], ms: number, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, DATABASE_URL: '', FAPIAO_LOG_LEVEL: 'warn', ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('--db names exactly one file', () => {
  it('serves the file it is given, whatever it is called, with the key made for that file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-db-'));
    const db = join(dir, 'shop-a.sqlite');
    expect(fapiao(['sellers', 'add', '--tax-id', SELLER, '--name', '演示科技', '--db', db])).toMatchObject({ status: 0 });
    const key = fapiao(['keys', 'create', '--seller', SELLER, '--db', db]).stdout.trimEnd().split('\n').at(-1)!;
    const gateway = await startFapiao(['serve', '--with-simulator', '--port', '0', '--db', db], { DATABASE_URL: '' });
    const answer = await fetch(`${gateway.url}/v1/invoices`, { headers: { authorization: `Bearer ${key}` } });
    expect(answer.status).toBe(200);
    await gateway.kill();
    expect(readdirSync(dir).filter((name) => name.endsWith('.db'))).toEqual([]);
  });

  it('refuses a missing database in every command that only reads or changes one, creating nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-typo-'));
    const typo = join(dir, 'typo.db');
    for (const args of [
      ['audit', 'verify', '--db', typo],
      ['sellers', 'list', '--db', typo],
      ['keys', 'list', '--db', typo],
      ['keys', 'create', '--seller', SELLER, '--db', typo],
      ['keys', 'revoke', 'key_x', '--db', typo],
      ['backup', join(dir, 'backup'), '--db', typo],
    ]) {
      const run = fapiao(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toContain(`no database at ${typo}`);
      expect(run.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(typo)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory given as --db with what to write instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-dir-'));
    const run = fapiao(['sellers', 'list', '--db', dir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${dir} is a directory; --db names the database file itself`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says on stderr when a command creates a new database', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'fapiao-new-')), 'new.db');
    const first = fapiao(['sellers', 'add', '--tax-id', SELLER, '--name', '演示科技', '--db', db]);
    expect(first.stderr).toBe(`fapiao: no database at ${db}; creating a new one\n`);
    const second = fapiao(['sellers', 'add', '--tax-id', SELLER, '--name', '演示科技', '--db', db]);
    expect(second.stderr).toBe('');
  });
});

describe('files readable by their owner only', () => {
  it('creates the data directory 0700 and the database, its WAL and backups 0600; the doctor warns about open ones', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'fapiao-modes-')), 'data');
    const db = join(dataDir, 'fapiao.db');
    const gateway = await startFapiao(['serve', '--with-simulator', '--port', '0', '--db', db], { DATABASE_URL: '' });
    expect(mode(dataDir)).toBe('700');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(mode(file), file).toBe('600');
    const backup = join(dataDir, '..', 'backup');
    expect(fapiao(['backup', backup, '--db', db]).status).toBe(0);
    expect(mode(backup)).toBe('700');
    expect(mode(join(backup, 'fapiao.db'))).toBe('600');
    await gateway.kill();

    const doctor = (extra: string[]) => JSON.parse(fapiao(['doctor', '--json', '--data-dir', dataDir, '--db', db, '--channel', 'x=http://127.0.0.1:1', ...extra]).stdout) as { checks: Array<{ code?: string; status: string; name: string }> };
    const privacy = () => doctor([]).checks.find((check) => check.name === 'data private to its owner');
    expect(privacy()).toMatchObject({ status: 'ok' });
    chmodSync(db, 0o644);
    chmodSync(dataDir, 0o755);
    expect(privacy()).toMatchObject({ status: 'warn', code: 'local.data_readable_by_others' });
  });
});

describe('a start that cannot work exits 2 with the reason', () => {
  it('a port already taken: demo (npm start) exits at once, naming the port and how to choose another', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-busy-'));
    try {
      const run = await exitWithin(['demo', '--port', String(port), '--db', join(dir, 'fapiao.db')], 60_000);
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(run.output).toContain('npm start -- --port N');
      expect(run.output).toContain('FAPIAO_PORT');
      const viaEnv = await exitWithin(['serve', '--with-simulator', '--db', join(dir, 'fapiao.db')], 60_000, { FAPIAO_PORT: String(port) });
      expect(viaEnv.code, viaEnv.output).toBe(2);
    } finally {
      busy.close();
    }
  });

  it('the simulator: a missing certificate file or a taken port is named, exit 2', async () => {
    const missing = fapiao(['simulator', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem', '--port', '0']);
    expect(missing).toMatchObject({ status: 2, stderr: 'fapiao: --tls-cert /nonexistent/cert.pem: cannot read it (no such file); give a PEM file\n' });
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    try {
      const run = await exitWithin(['simulator', '--port', String(port), '--data', mkdtempSync(join(tmpdir(), 'fapiao-sim-busy-'))], 10_000);
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      busy.close();
    }
  });

  it('a second gateway on one SQLite file is refused while the first keeps serving', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'fapiao-two-')), 'fapiao.db');
    const first = await startFapiao(['serve', '--with-simulator', '--port', '0', '--db', db], { DATABASE_URL: '' });
    const second = await exitWithin(['serve', '--with-simulator', '--port', '0', '--db', db], 60_000);
    expect(second.code, second.output).toBe(2);
    expect(second.output).toContain(`another gateway process is already serving ${db}`);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    // The lock dies with its process: after a SIGKILL a new gateway starts.
    await first.kill('SIGKILL');
    const third = await startFapiao(['serve', '--with-simulator', '--port', '0', '--db', db], { DATABASE_URL: '' });
    await third.kill();
  });

  it('names the setting, what was wrong and what is allowed, for settings from the environment', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'fapiao-env-')), 'fapiao.db');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ FAPIAO_LOG_LEVEL: 'verbose' }, /FAPIAO_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL "mysql:\/\/x": only PostgreSQL is supported/],
      [{ FAPIAO_CHANNELS: 'garbage' }, /FAPIAO_CHANNELS: "garbage": write NAME=URL/],
      [{ FAPIAO_PORT: '99999' }, /FAPIAO_PORT must be a port number/],
      [{ FAPIAO_HEAP_GROWING_PERCENT: '401' }, /FAPIAO_HEAP_GROWING_PERCENT must be a whole number from 0 \(V8's own growth\) to 400, not "401"/],
      [{ FAPIAO_HEAP_GROWING_PERCENT: '12.5' }, /FAPIAO_HEAP_GROWING_PERCENT must be a whole number from 0 \(V8's own growth\) to 400, not "12.5"/],
    ];
    for (const [env, message] of cases) {
      const run = fapiao(['serve', '--db', db], env);
      expect(run.status, JSON.stringify(env)).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fapiao(['sellers', 'list', '--db', db], { DATABASE_URL: 'mysql://x' })).toMatchObject({ status: 2, stderr: expect.stringMatching(/only PostgreSQL is supported/) as string });
    expect(fapiao(['doctor', '--db', db], { FAPIAO_CHANNELS: 'garbage' }).status).toBe(2);
    expect(existsSync(db)).toBe(false);
  });
});

describe('small operator mistakes', () => {
  it('keys create without --seller says what is missing instead of an SQL error', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'fapiao-keys-')), 'fapiao.db');
    fapiao(['sellers', 'add', '--tax-id', SELLER, '--name', '演示科技', '--db', db]);
    for (const args of [['keys', 'create'], ['keys', 'create', '--scope', 'admin']]) {
      const run = fapiao([...args, '--db', db]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toBe('fapiao: a key for issue, read or admin needs --seller <taxId>: the seller(s) it acts for; list sellers with fapiao sellers list\n');
    }
    // An operator key runs the shared channels and is bound to no seller.
    expect(fapiao(['keys', 'create', '--scope', 'operator', '--seller', SELLER, '--db', db])).toMatchObject({ status: 2, stderr: 'fapiao: an operator key is bound to no seller: leave out --seller\n' });
    expect(fapiao(['keys', 'create', '--scope', 'operator,issue', '--db', db])).toMatchObject({ status: 2, stderr: 'fapiao: an operator key has the scope operator alone: it acts for no seller\n' });
    const operator = fapiao(['keys', 'create', '--scope', 'operator', '--db', db]);
    expect(operator.status).toBe(0);
    expect(operator.stdout).toMatch(/^created key_\w+ for no seller \(operator\) \(scopes operator\)/);
    expect(fapiao(['keys', 'list', '--db', db]).stdout).toMatch(/active {2}operator {2}\n/);
  });

  it('restore --help says what it does in a sentence', () => {
    const help = fapiao(['restore', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain("restore a backup: copy its database, signing key and secrets key into a new data directory, then check the database's integrity");
    expect(help).toContain('fapiao audit verify --db DIR/fapiao.db');
  });

  it('demo --help offers only what demo uses', () => {
    const help = fapiao(['demo', '--help']).stdout;
    expect(help).toContain('--port');
    expect(help).not.toContain('--channel');
    expect(help).not.toContain('--with-simulator');
  });

  it('creates every missing directory on the way to a new database private', () => {
    const parent = mkdtempSync(join(tmpdir(), 'fapiao-umask-'));
    const db = join(parent, 'deep', 'er', 'fapiao.db');
    expect(fapiao(['sellers', 'add', '--tax-id', SELLER, '--name', '演示科技', '--db', db]).status).toBe(0);
    expect(mode(join(parent, 'deep'))).toBe('700');
    expect(mode(join(parent, 'deep', 'er'))).toBe('700');
    expect(mode(db)).toBe('600');
  });
});
