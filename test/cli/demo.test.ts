// The newcomer's path: `fapiao demo` (what `npm start` runs) starts a gateway with the built-in
// simulator and shows an invoice issued end to end, with the key and the curl to issue more.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, startFapiao } from '../support/processes.js';

describe('fapiao demo', () => {
  it('issues a first invoice and prints the key and a curl that works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-demo-'));
    const demo = await startFapiao(['demo', '--port', '0', '--db', join(dir, 'fapiao.db')], { DATABASE_URL: '' });
    const output = await eventually(async () => (demo.output().includes('Ctrl-C stops') ? demo.output() : undefined), 15_000, () => demo.output());
    expect(output).toMatch(/First invoice, issued through the simulator: inv_\w+ issued \d{20} \(价税合计 1060\.00\)/);
    const key = /demo API key: (fk_\S+)/.exec(output)?.[1];
    expect(key).toBeDefined();
    const curl = /curl -s (http:\/\/\S+)\/v1\/invoices/.exec(output)?.[1];
    const answer = await fetch(`${curl}/v1/invoices?limit=1`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await answer.json()) as { data: unknown[] }).data).toHaveLength(1);
    await demo.kill('SIGTERM');
    // A second start reuses the same demo key.
    const again = await startFapiao(['demo', '--port', '0', '--db', join(dir, 'fapiao.db')], { DATABASE_URL: '' });
    const second = await eventually(async () => (again.output().includes('Ctrl-C stops') ? again.output() : undefined), 15_000, () => again.output());
    expect(second).toContain(`demo API key: ${key}`);
    await again.kill('SIGTERM');
  });

  it('keeps its database, key and simulator in FAPIAO_DATA_DIR when only that is given, creating it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fapiao-demo-dir-')), 'not-yet');
    const demo = await startFapiao(['demo', '--port', '0'], { DATABASE_URL: '', FAPIAO_DATA_DIR: dir });
    const output = await eventually(async () => (demo.output().includes('Ctrl-C stops') ? demo.output() : undefined), 15_000, () => demo.output());
    expect(output).toMatch(/First invoice, issued through the simulator: inv_\w+ issued/);
    await demo.kill('SIGTERM');
    for (const file of ['fapiao.db', 'demo-api-key.txt']) expect(existsSync(join(dir, file)), file).toBe(true);
  });
});
