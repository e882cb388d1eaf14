// `fapiao channels list|isolate|restore` as an operator runs them: on the configured channels only,
// written to the database with an audit entry, and refused with what is configured when misnamed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');

describe('fapiao channels', () => {
  it('isolates and restores a configured channel, audited, and lists them', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'fapiao-channels-')), 'fapiao.db');
    await (await openStore({ kind: 'sqlite', file: db })).close();
    const env = { ...process.env, DATABASE_URL: '', FAPIAO_CONFIG: '', FAPIAO_CHANNELS: 'first=http://127.0.0.1:9001,second=http://127.0.0.1:9002' };
    const fapiao = (...args: string[]) => spawnSync(process.execPath, [BIN, 'channels', ...args, '--db', db], { encoding: 'utf8', env });

    expect(fapiao('isolate', 'first', '--reason', '诺诺 维护窗口')).toMatchObject({ status: 0, stdout: 'isolated first: no new work; running gateways follow within a second\n' });
    expect(fapiao('isolate', 'first').stdout).toBe('first was already isolated\n');
    const listed = JSON.parse(fapiao('list', '--json').stdout) as Array<{ name: string; isolated: boolean; isolation: { reason: string; by: string } | null }>;
    expect(listed.map((row) => [row.name, row.isolated, row.isolation?.reason ?? null])).toEqual([
      ['first', true, '诺诺 维护窗口'],
      ['second', false, null],
    ]);
    expect(listed[0]!.isolation!.by).toMatch(/^cli:/);
    expect(fapiao('list').stdout).toMatch(/^first\s+reference\s+ISOLATED since .* 诺诺 维护窗口\nsecond\s+reference\s+takes new work\n$/);

    const wrong = fapiao('isolate', 'thrid');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('no channel thrid; configured: first, second');

    expect(fapiao('restore', 'first').stdout).toBe('restored first: it takes new work again\n');
    expect(fapiao('restore', 'first').stdout).toBe('first was not isolated\n');
    const audit = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--db', db], { encoding: 'utf8', env });
    expect(audit.stdout).toMatch(/^intact: 2 entries/);
  });
});
