// `fapiao sellers` and `fapiao keys` as an operator runs them, on a SQLite file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const db = join(mkdtempSync(join(tmpdir(), 'fapiao-cli-')), 'fapiao.db');

function fapiao(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('fapiao sellers and keys', () => {
  it('registers sellers, refusing a mistyped tax ID unless it is a declared sandbox', () => {
    expect(fapiao('sellers', 'add', '--tax-id', '91330106MA2B0Y5R34', '--name', '演示科技（杭州）有限公司')).toMatchObject({ status: 0, stdout: 'added seller 91330106MA2B0Y5R34 演示科技（杭州）有限公司\n' });
    expect(fapiao('sellers', 'add', '--tax-id', '91330106MA2B0Y5R34', '--name', '演示科技', '--bank-name', '工行')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^updated/) as string });
    const typo = fapiao('sellers', 'add', '--tax-id', '91330106MA2B0Y5R35', '--name', 'x');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/tax_id_checksum.*--sandbox/);
    expect(fapiao('sellers', 'add', '--tax-id', '339902999999789113', '--name', '诺诺沙箱', '--sandbox').status).toBe(0);
    const list = fapiao('sellers', 'list');
    expect(list.stdout).toContain('339902999999789113  诺诺沙箱  (sandbox)');
    expect(list.stdout).toContain('91330106MA2B0Y5R34  演示科技');
  });

  it('creates a key printed alone on the last line, lists it, and revokes it', async () => {
    fapiao('sellers', 'add', '--tax-id', '91330106MA2B0Y5R34', '--name', '演示科技');
    const created = fapiao('keys', 'create', '--seller', '91330106MA2B0Y5R34', '--scope', 'issue,read', '--expires', '90d');
    expect(created.status).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const key = lines.at(-1)!;
    expect(key).toMatch(/^fk_[0-9a-z]{12}_[A-Za-z0-9_-]{32}$/);
    const keyId = `key_${key.split('_')[1]}`;
    expect(fapiao('keys', 'list').stdout).toMatch(new RegExp(`${keyId}  active  issue,read  91330106MA2B0Y5R34`));
    expect(fapiao('keys', 'revoke', keyId)).toMatchObject({ status: 0, stdout: `revoked ${keyId}\n` });
    expect(fapiao('keys', 'list').stdout).toContain(`${keyId}  revoked`);
    const store = await openStore({ kind: 'sqlite', file: db });
    expect(await checkApiKey(store.db, key, Date.now())).toEqual({ ok: false, reason: 'revoked' });
    await store.close();
  });

  it('refuses keys for unregistered sellers, unknown scopes and bad durations with exit 2', () => {
    for (const args of [
      ['keys', 'create', '--seller', '91440300708461136T'],
      ['keys', 'create', '--seller', '91330106MA2B0Y5R34', '--scope', 'everything'],
      ['keys', 'create', '--seller', '91330106MA2B0Y5R34', '--expires', 'soon'],
      ['keys', 'revoke', 'key_nosuchkey000'],
    ]) {
      const run = fapiao(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^fapiao: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('serve refuses to start without a channel', () => {
    const run = fapiao('serve', '--port', '0');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--channel NAME=URL');
  });
});

describe('fapiao audit verify', () => {
  it('passes an intact chain of 100,000 entries and names the entry changed behind its back', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fapiao-audit-')), 'fapiao.db');
    const store = await openStore({ kind: 'sqlite', file });
    const { appendAudit } = await import('../../src/store/audit-log.js');
    await store.db.transaction().execute((tx) =>
      appendAudit(tx, store.capabilities, Date.now(), Array.from({ length: 100_000 }, (_, i) => ({ invoiceId: `inv_${i}`, event: 'accepted', from: null, to: 'pending/queued' }))),
    );
    await store.close();
    const run = (..._args: string[]) => spawnSync(process.execPath, [BIN, 'audit', 'verify', '--db', file], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    const intact = run();
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(/^intact: 100000 entries in 1 chain, head [0-9a-f]{64} \(\d+\.\d+ s\)\n$/);
    const tamper = await openStore({ kind: 'sqlite', file });
    await tamper.db.updateTable('audit_log').set({ event: 'issued' }).where('seq', '=', 54_321).execute();
    await tamper.close();
    const broken = run();
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain('broken at entry 54321 of chain 1 (invoice inv_54320)');
  });
});
