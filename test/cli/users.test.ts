// `fapiao users` as an operator runs it: the password from stdin (never an argument), refused when
// short; a duplicate name, an unknown role or seller refused with exit 2; disable and
// reset-password end the user's sessions; every change in the audit chain.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwordMatches } from '../../src/runtime/password-hash.js';
import { findSession, findUser, openSession } from '../../src/store/console-users.js';
import { openStore } from '../../src/store/database.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const db = join(mkdtempSync(join(tmpdir(), 'fapiao-users-')), 'fapiao.db');

function fapiao(input: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', input, env: { ...process.env, DATABASE_URL: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('fapiao users', () => {
  it('adds, lists, disables and resets console users, refusing what it must', async () => {
    expect(fapiao('', 'sellers', 'add', '--tax-id', '91330106MA2B0Y5R34', '--name', '演示科技（杭州）有限公司').status).toBe(0);
    expect(fapiao('a long enough secret\n', 'users', 'add', '--username', 'WangKJ', '--role', 'clerk', '--seller', '91330106MA2B0Y5R34')).toMatchObject({ status: 0, stdout: 'added wangkj (clerk) for 91330106MA2B0Y5R34\n' });
    expect(fapiao('short\n', 'users', 'add', '--username', 'li', '--role', 'viewer', '--seller', '91330106MA2B0Y5R34')).toMatchObject({ status: 2, stderr: expect.stringContaining('at least 12') as unknown });
    // Twelve of one character, twelve spaces, a digit walk, a common password with digits, the name: all refused.
    for (const [password, words] of [['aaaaaaaaaaaa', 'repeated'], ['            ', 'repeated'], ['123456789012', 'run along'], ['Password2026!', 'use most'], ['lili-2026-2027', 'user name']] as const) {
      expect(fapiao(`${password}\n`, 'users', 'add', '--username', 'lili', '--role', 'viewer', '--seller', '91330106MA2B0Y5R34'), password).toMatchObject({ status: 2, stderr: expect.stringContaining(words) as unknown });
    }
    expect(fapiao('a long enough secret\n', 'users', 'add', '--username', 'wangkj', '--role', 'clerk', '--seller', '91330106MA2B0Y5R34')).toMatchObject({ status: 2, stderr: expect.stringContaining('exists') as unknown });
    expect(fapiao('a long enough secret\n', 'users', 'add', '--username', 'zhao', '--role', 'boss', '--seller', '91330106MA2B0Y5R34').status).toBe(2);
    expect(fapiao('a long enough secret\n', 'users', 'add', '--username', 'zhao', '--role', 'viewer', '--seller', '91110000000000000X')).toMatchObject({ status: 2, stderr: expect.stringContaining('not registered') as unknown });
    expect(fapiao('a long enough secret\n', 'users', 'add', '--username', 'x y', '--role', 'viewer', '--seller', '91330106MA2B0Y5R34').status).toBe(2);
    expect(fapiao('', 'users', 'list').stdout).toMatch(/^wangkj {2}clerk {2}active {2}91330106MA2B0Y5R34 {2}last login never\n$/m);
    // An operator with a second factor from the start: the URI to scan and ten recovery codes, once.
    const withTotp = fapiao('the night shift keeps the channels\n', 'users', 'add', '--username', 'ops', '--role', 'operator', '--totp');
    expect(withTotp.status).toBe(0);
    expect(withTotp.stdout).toMatch(/^added ops \(operator\) for no seller \(operator\)\nsecond factor: .*\notpauth:\/\/totp\/.*:ops\?issuer=.*&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30\nrecovery codes.*\n([a-z2-9]{4}-[a-z2-9]{4}\n){10}$/);
    expect(fapiao('', 'users', 'reset-2fa', 'ops')).toMatchObject({ status: 0, stdout: 'second factor removed for ops; their sessions ended\n' });
    expect(fapiao('', 'users', 'reset-2fa', 'nobody').status).toBe(2);
    expect(fapiao('', 'users', 'list').stdout).toContain('ops  operator  active');

    const store = await openStore({ kind: 'sqlite', file: db });
    try {
      const user = (await findUser(store.db, 'wangkj'))!;
      expect(user.passwordHash).toMatch(/^scrypt\$/);
      expect(await passwordMatches('a long enough secret', user.passwordHash)).toBe(true);
      const session = await openSession(store.db, store.capabilities, { username: 'wangkj', from: 'test', now: Date.now() });
      expect(await findSession(store.db, session.token, Date.now())).toBeDefined();

      expect(fapiao('another long secret\n', 'users', 'reset-password', 'wangkj')).toMatchObject({ status: 0 });
      expect(await findSession(store.db, session.token, Date.now())).toBeUndefined();
      expect(await passwordMatches('another long secret', (await findUser(store.db, 'wangkj'))!.passwordHash)).toBe(true);
      const again = await openSession(store.db, store.capabilities, { username: 'wangkj', from: 'test', now: Date.now() });
      expect(fapiao('', 'users', 'disable', 'wangkj')).toMatchObject({ status: 0 });
      expect(await findSession(store.db, again.token, Date.now())).toBeUndefined();
      expect(fapiao('', 'users', 'list').stdout).toContain('wangkj  clerk  disabled');
      expect(fapiao('', 'users', 'disable', 'nobody').status).toBe(2);
      const audit = await store.db.selectFrom('audit_log').select('event').where('invoice_id', '=', 'user:wangkj').execute();
      expect(audit.map((row) => row.event)).toEqual(['user_added', 'login', 'password_reset', 'login', 'user_disabled']);
    } finally {
      await store.close();
    }
  });
});
