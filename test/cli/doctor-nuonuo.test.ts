// `fapiao doctor --channel NAME` for a 诺诺 channel of the configuration file, against the simulator
// in 诺诺 mode: the network layers, the credentials proven by a query for an order no one placed
// (E9500), the token kept in the gateway's database and reused (诺诺 allows 50 token calls in 30
// days), and the drawer's login reported before invoices pile up.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { openStore } from '../../src/store/database.js';
import { HANG_GUARD_MS } from '../support/hang-guard.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const CREDENTIALS = { appKey: 'DOCTORKEY', appSecret: 'doctor-secret-never-shown' };

interface Report {
  target: string;
  checks: { layer: string; name: string; status: string; code: string | null; detail: string; remedy: { zh: string; en: string } | null }[];
}

function doctor(args: string[], env: Record<string, string>): Promise<{ code: number; report: Report; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'doctor', '--json', '--gateway', 'http://127.0.0.1:9', ...args], { env: { ...process.env, FAPIAO_CHANNELS: '', DATABASE_URL: '', NO_COLOR: '1', ...env }, timeout: HANG_GUARD_MS }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, report: (stdout ? JSON.parse(stdout) : { checks: [] }) as Report, stderr, stdout }),
    );
  });
}

describe('fapiao doctor for a 诺诺 channel', () => {
  let sim: RunningSimulator;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fapiao-doctor-nn-'));
    sim = await startSimulator({ dataDir: join(dir, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, protocol: { kind: 'nuonuo', credentials: CREDENTIALS } });
    config = join(dir, 'fapiao.json');
    writeFileSync(config, JSON.stringify({ channels: [{ name: 'nuonuo', protocol: 'nuonuo', url: `${sim.url}/open/v1/services`, tokenUrl: `${sim.url}/accessToken`, appKey: CREDENTIALS.appKey, appSecret: { env: 'TEST_NN_SECRET' }, extensionNumber: '923' }] }));
    // The gateway's database, as a first start leaves it: the doctor keeps its token there.
    const store = await openStore({ kind: 'sqlite', file: join(dir, 'fapiao.db') });
    await store.close();
  });
  afterAll(async () => {
    await sim.close();
  });
  const run = (extra: Record<string, string> = {}) => doctor(['--channel', 'nuonuo', '--config', config, '--data-dir', dir], { TEST_NN_SECRET: CREDENTIALS.appSecret, ...extra });
  const check = (report: Report, name: string) => report.checks.find((c) => c.layer === 'upstream' && c.name === name);

  it('proves the credentials and reads the drawer’s login, fetching one token for any number of runs', async () => {
    const first = await run();
    expect(first.report.target).toBe(`channel nuonuo (${sim.url}/open/v1/services)`);
    for (const c of first.report.checks.filter((c) => ['dns', 'tcp', 'http', 'clock', 'upstream'].includes(c.layer))) expect(c.status, `${c.layer} ${c.name}: ${c.detail}`).toBe('ok');
    expect(check(first.report, 'credentials')?.detail).toContain('E9500');
    expect(check(first.report, 'drawer login')?.detail).toBe('the drawer of extension 923 is logged in, identity confirmed');
    const second = await run();
    expect(check(second.report, 'credentials')?.status).toBe('ok');
    expect(sim.tokenCalls()).toBe(1);
    expect(first.stdout + first.stderr + second.stdout).not.toContain(CREDENTIALS.appSecret);
  });

  it('fails with upstream.drawer_logged_out, its cause and fix, while the drawer is logged out or unconfirmed', async () => {
    sim.setFaults({});
    for (const state of [{ loggedIn: false }, { loggedIn: true, identityConfirmed: false }]) {
      await fetch(`${sim.url}/_admin/drawer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(state) });
      const lapsed = await run();
      expect(lapsed.code).toBe(2);
      const drawer = check(lapsed.report, 'drawer login');
      expect(drawer).toMatchObject({ status: 'fail', code: 'upstream.drawer_logged_out' });
      expect(drawer?.remedy?.zh).toContain('扫码');
    }
    await fetch(`${sim.url}/_admin/drawer`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loggedIn: true, identityConfirmed: true }) });
  });

  it('says the credentials were refused for a wrong secret, and asks nothing further', async () => {
    // Another database: a wrong secret cannot have a token kept for it.
    const elsewhere = mkdtempSync(join(tmpdir(), 'fapiao-doctor-nn-wrong-'));
    const refused = await doctor(['--channel', 'nuonuo', '--config', config, '--data-dir', elsewhere], { TEST_NN_SECRET: 'wrong' });
    expect(refused.code).toBe(2);
    expect(check(refused.report, 'credentials')).toMatchObject({ status: 'fail', code: 'upstream.auth_refused' });
    expect(check(refused.report, 'drawer login')).toBeUndefined();
  });

  it('names the configured channels when asked for one that is not there', async () => {
    const unknown = await doctor(['--channel', 'baiwang', '--config', config], { TEST_NN_SECRET: CREDENTIALS.appSecret });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--channel baiwang: no such channel; configured: nuonuo');
  });
});
