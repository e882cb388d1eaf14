// `fapiao doctor --channel NAME` for a 百望 channel of the configuration file, against the simulator
// speaking 百望: the network layers, the credentials and the signature proven by a query for a serial
// no one used, the token kept in the gateway's database and reused, and a refusal reported with 百望's
// own code, its cause and its remedy (the adapter's code table).
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
const APP = { appKey: 'DOCTORBW', appSecret: 'bw-doctor-secret-never-shown', username: 'doctor', password: 'bw-doctor-password-never-shown', salt: 's4lt' };

interface Report {
  target: string;
  checks: { layer: string; name: string; status: string; code: string | null; detail: string; remedy: { zh: string; en: string } | null }[];
}

function doctor(args: string[], env: Record<string, string>): Promise<{ code: number; report: Report; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'doctor', '--json', '--gateway', 'http://127.0.0.1:9', ...args], { env: { ...process.env, FAPIAO_CHANNELS: '', DATABASE_URL: '', NO_COLOR: '1', ...env }, timeout: HANG_GUARD_MS }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, report: (stdout ? JSON.parse(stdout) : { checks: [] }) as Report, output: stdout + stderr }),
    );
  });
}

describe('fapiao doctor for a 百望 channel', () => {
  let sim: RunningSimulator;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fapiao-doctor-bw-'));
    sim = await startSimulator({ dataDir: join(dir, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, protocol: { kind: 'baiwang', credentials: APP } });
    config = join(dir, 'fapiao.json');
    const channel = { name: 'baiwang', protocol: 'baiwang', url: `${sim.url}/router/rest`, appKey: APP.appKey, appSecret: { env: 'TEST_BW_SECRET' }, username: APP.username, password: { env: 'TEST_BW_PASSWORD' }, salt: APP.salt };
    writeFileSync(config, JSON.stringify({ channels: [channel] }));
    const store = await openStore({ kind: 'sqlite', file: join(dir, 'fapiao.db') });
    await store.close();
  });
  afterAll(() => sim.close());
  const run = (password = APP.password, dataDir = dir) => doctor(['--channel', 'baiwang', '--config', config, '--data-dir', dataDir], { TEST_BW_SECRET: APP.appSecret, TEST_BW_PASSWORD: password });
  const credentials = (report: Report) => report.checks.find((c) => c.layer === 'upstream' && c.name === 'credentials');

  it('proves reach, credentials and signature, fetching one token for any number of runs, and shows no secret', async () => {
    const first = await run();
    expect(first.report.target).toBe(`channel baiwang (${sim.url}/router/rest)`);
    for (const c of first.report.checks.filter((c) => ['dns', 'tcp', 'http', 'upstream'].includes(c.layer))) expect(c.status, `${c.layer} ${c.name}: ${c.detail}`).toBe('ok');
    expect(credentials(first.report)?.detail).toContain('token, app and signature accepted');
    const second = await run();
    expect(credentials(second.report)?.status).toBe('ok');
    expect(sim.tokenCalls()).toBe(1);
    for (const secret of [APP.appSecret, APP.password]) expect(first.output + second.output).not.toContain(secret);
  });

  it('names 百望’s own refusal (101) with its cause and remedy, in both languages', async () => {
    // Another database: a wrong password cannot have a token kept for it.
    const refused = await run('wrong', mkdtempSync(join(tmpdir(), 'fapiao-doctor-bw-wrong-')));
    expect(refused.code).toBe(2);
    expect(credentials(refused.report)).toMatchObject({ status: 'fail', code: 'upstream.baiwang_101' });
    expect(credentials(refused.report)?.remedy?.zh).toContain('盐值');
    expect(credentials(refused.report)?.remedy?.en).toContain('salt');
    expect(refused.output).not.toContain(APP.appSecret);
  });
});
