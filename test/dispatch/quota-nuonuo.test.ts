// The quota read through 诺诺 by a running gateway: getCreditLine gives the figures, and the reader
// keeps within 诺诺's own limit — asked again at once (POST …/quota/read) within 30 s of the last read,
// it makes no call (the simulator would refuse it: E9803) and reads as soon as the 30 s have passed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { SELLER } from '../support/fixtures.js';
import { eventually } from '../support/processes.js';

const CREDENTIALS = { appKey: 'QUOTANUONUO', appSecret: 'quota-nuonuo-secret' };
const clock = { at: Date.now(), now() { return this.at; } };
let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-quota-nn-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, protocol: { kind: 'nuonuo', credentials: CREDENTIALS }, quotaFen: 12_345_600n, clock });
  t = await startTestGateway(
    { channels: [{ name: 'nuonuo', protocol: 'nuonuo', url: `${simulator.url}/open/v1/services`, tokenUrl: `${simulator.url}/accessToken`, ...CREDENTIALS }], quota: { readIntervalMs: 1000, refreshMs: 50, pollIntervalMs: 50 } },
    { clock },
  );
}, 60_000);

afterAll(async () => {
  await t?.close();
  await simulator?.close();
});

const quota = async () => (await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { key: t.key })).body as { known: boolean; total: string; read: { channel: string; at: string | null; error: string | null; today: number } };

describe('the quota through 诺诺', () => {
  it('is read by getCreditLine, within 30 s apart and 20 a day', async () => {
    const first = await eventually(async () => {
      const view = await quota();
      return view.known ? view : undefined;
    }, 10_000, () => 'never read');
    expect(first).toMatchObject({ total: '123456.00', read: { channel: 'nuonuo', error: null, today: 1 } });
    // Asked again at once: the reader's turn comes, but 诺诺's 30 s have not passed — no call.
    expect((await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota/read`, { method: 'POST', key: t.adminKey })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await quota()).read).toMatchObject({ today: 1, error: null, at: first.read.at });
    // 31 s later (on the gateway's and the simulator's clock): the ask is kept, not spread over the
    // day's reads left (one every ~40 min) — read again without asking twice, and without an error.
    clock.at += 31_000;
    const second = await eventually(async () => {
      const view = await quota();
      return view.read.today === 2 ? view : undefined;
    }, 10_000, () => 'never read again');
    expect(second.read.error).toBeNull();
  });
});
