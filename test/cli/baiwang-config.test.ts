// A gateway configured by file for 百望: `fapiao serve --config FILE` with the secret and the password
// read from the environment issues through `fapiao simulator --protocol baiwang`, and neither shows
// anywhere; a wrong file is refused with the path of what is wrong.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFileInput } from '../../src/cli/serve-command.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { http } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';

const SECRET = 'bw-secret-never-shown-91c2';
const PASSWORD = 'bw-password-never-shown-44d0';
const running: RunningProcess[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) await process.kill();
});

function file(dir: string, name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  return path;
}

describe('a 百望 channel from a configuration file', () => {
  it('issues through 百望 with the secrets from the environment, and shows them nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-bw-config-'));
    const simulator = await startFapiao(['simulator', '--protocol', 'baiwang', '--app-key', 'BWAPP', '--app-secret', SECRET, '--username', 'finance', '--password', PASSWORD, '--salt', 'pepper', '--port', '0', '--data', join(dir, 'sim'), '--processing-ms', '200']);
    running.push(simulator);
    const db = join(dir, 'fapiao.db');
    const setup = await openStore({ kind: 'sqlite', file: db });
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read', 'admin'], expiresAt: null }, Date.now());
    await setup.close();
    const config = file(dir, 'fapiao.json', {
      channels: [{ name: 'baiwang', protocol: 'baiwang', url: `${simulator.url}/router/rest`, appKey: 'BWAPP', appSecret: { env: 'TEST_BW_SECRET' }, username: 'finance', password: { env: 'TEST_BW_PASSWORD' }, salt: 'pepper' }],
    });
    const gateway = await startFapiao(['serve', '--port', '0', '--db', db, '--config', config], { TEST_BW_SECRET: SECRET, TEST_BW_PASSWORD: PASSWORD, FAPIAO_RENDER_THREADS: '0', FAPIAO_LOG_LEVEL: 'info', FAPIAO_POLL_INTERVAL_MS: '50' });
    running.push(gateway);
    expect(gateway.output()).toContain('channels: baiwang');

    const created = await http(`${gateway.url}/v1/invoices`, { key, idempotencyKey: 'bw-1', json: validRequest({ orderNo: 'BW-1' }) });
    expect(created.status).toBe(202);
    const issued = await eventually(
      async () => {
        const invoice = await http(`${gateway.url}/v1/invoices/${String(created.body.id)}`, { key });
        return invoice.body.status === 'issued' ? invoice.body : undefined;
      },
      15_000,
      () => gateway.output(),
    );
    expect(issued).toMatchObject({ channel: 'baiwang', number: expect.stringMatching(/^\d{20}$/) as unknown });
    const ledger = (await http(`${simulator.url}/_admin/ledger`)).body as unknown as Array<{ serialNo: string; number: string; total: string }>;
    expect(ledger.map((record) => [record.serialNo, record.number, record.total])).toEqual([[issued.serialNo, issued.number, '1060.00']]);
    // The token is kept in the database, sealed: neither it nor the password is there in the clear.
    const store = await openStore({ kind: 'sqlite', file: db });
    const tokens = await store.db.selectFrom('channel_tokens').select(['channel', 'token']).execute();
    await store.close();
    expect(tokens.map((row) => row.channel).sort()).toEqual(['baiwang', 'baiwang:refresh']);
    for (const row of tokens) expect(row.token).not.toMatch(/^[0-9a-f]{32}$/);
    const channels = await http(`${gateway.url}/v1/channels`, { key });
    for (const secret of [SECRET, PASSWORD]) {
      expect(channels.text).not.toContain(secret);
      expect(gateway.output()).not.toContain(secret);
    }
  });

  it('refuses a file with the path of what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-bw-config-'));
    const baiwang = { name: 'baiwang', protocol: 'baiwang', url: 'https://openapi.baiwang.com/router/rest', appKey: 'K', appSecret: 'S', username: 'u', password: 'p' };
    const refused = (json: unknown) => () => configFileInput(file(dir, `c${Math.random()}.json`, json));
    expect(refused({ channels: [{ ...baiwang, username: undefined }] })).toThrow(/channels\[0\]\.username: must be a non-empty string/);
    expect(refused({ channels: [{ ...baiwang, password: { env: 'FAPIAO_TEST_UNSET_VARIABLE' } }] })).toThrow(/channels\[0\]\.password: the environment variable FAPIAO_TEST_UNSET_VARIABLE is not set/);
    expect(refused({ channels: [{ ...baiwang, extensionNumber: '1' }] })).toThrow(/channels\[0\]\.extensionNumber: unknown for protocol baiwang/);
    expect(refused({ channels: [{ ...baiwang, url: 'openapi.baiwang.com' }] })).toThrow(/channels\[0\]\.url: "openapi.baiwang.com" is not an http/);
    expect(configFileInput(file(dir, 'ok.json', { channels: [{ ...baiwang, salt: 'x', settleWindowSeconds: 60 }] })).channels).toEqual([{ ...baiwang, salt: 'x', settleWindowMs: 60_000 }]);
  });
});
