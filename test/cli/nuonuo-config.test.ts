// A gateway configured by file for 诺诺: `fapiao serve --config FILE` with the secret read from the
// environment issues through `fapiao simulator --protocol nuonuo`, and the secret shows nowhere; a
// wrong file is refused with the path of what is wrong.
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

const SECRET = 'nn-secret-never-shown-7f3a';
const running: RunningProcess[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) await process.kill();
});

function file(dir: string, name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  return path;
}

describe('channels from a configuration file', () => {
  it('issues through 诺诺 with the secret from the environment, and shows the secret nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-nn-config-'));
    const simulator = await startFapiao(['simulator', '--protocol', 'nuonuo', '--app-key', 'APPKEY1', '--app-secret', SECRET, '--port', '0', '--data', join(dir, 'sim'), '--processing-ms', '200']);
    running.push(simulator);
    const db = join(dir, 'fapiao.db');
    const setup = await openStore({ kind: 'sqlite', file: db });
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read', 'admin'], expiresAt: null }, Date.now());
    await setup.close();
    const config = file(dir, 'fapiao.json', {
      channels: [
        { name: 'nuonuo', protocol: 'nuonuo', url: `${simulator.url}/open/v1/services`, tokenUrl: `${simulator.url}/accessToken`, appKey: 'APPKEY1', appSecret: { env: 'TEST_NUONUO_SECRET' }, extensionNumber: '923' },
      ],
    });
    const gateway = await startFapiao(['serve', '--port', '0', '--db', db, '--config', config], { TEST_NUONUO_SECRET: SECRET, FAPIAO_RENDER_THREADS: '0', FAPIAO_LOG_LEVEL: 'info', FAPIAO_POLL_INTERVAL_MS: '50' });
    running.push(gateway);
    expect(gateway.output()).toContain('channels: nuonuo');

    const created = await http(`${gateway.url}/v1/invoices`, { key, idempotencyKey: 'nn-1', json: validRequest({ orderNo: 'NN-1' }) });
    expect(created.status).toBe(202);
    const issued = await eventually(
      async () => {
        const invoice = await http(`${gateway.url}/v1/invoices/${String(created.body.id)}`, { key });
        return invoice.body.status === 'issued' ? invoice.body : undefined;
      },
      15_000,
      () => gateway.output(),
    );
    expect(issued).toMatchObject({ channel: 'nuonuo', number: expect.stringMatching(/^\d{20}$/) as unknown });
    const ledger = (await http(`${simulator.url}/_admin/ledger`)).body as unknown as Array<{ serialNo: string; number: string; total: string }>;
    expect(ledger.map((record) => [record.serialNo, record.number, record.total])).toEqual([[issued.serialNo, issued.number, '1060.00']]);

    const channels = await http(`${gateway.url}/v1/channels`, { key });
    expect(channels.text).not.toContain(SECRET);
    expect(gateway.output()).not.toContain(SECRET);
  });

  it('refuses a file with the path of what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fapiao-config-'));
    const nuonuo = { name: 'nuonuo', protocol: 'nuonuo', url: 'https://sdk.nuonuo.com/open/v1/services', tokenUrl: 'https://open.nuonuo.com/accessToken', appKey: 'K' };
    const refused = (json: unknown) => () => configFileInput(file(dir, `c${Math.random()}.json`, json));
    expect(refused('{ "channels": [ ')).toThrow(/not JSON/);
    expect(refused({ chanels: [] })).toThrow(/chanels: unknown setting/);
    expect(refused({ channels: [{ ...nuonuo, appSecret: { env: 'FAPIAO_TEST_UNSET_VARIABLE' } }] })).toThrow(/channels\[0\]\.appSecret: the environment variable FAPIAO_TEST_UNSET_VARIABLE is not set/);
    expect(refused({ channels: [{ ...nuonuo, appSecret: { file: 'missing-secret' } }] })).toThrow(/channels\[0\]\.appSecret: cannot read the file .*missing-secret \(ENOENT\)/);
    expect(refused({ channels: [{ ...nuonuo, appSecret: 42 }] })).toThrow(/appSecret: must be \{ "env": "NAME" \}/);
    expect(refused({ channels: [{ ...nuonuo, protocol: 'aisino', appSecret: 'x' }] })).toThrow(/channels\[0\]\.protocol: must be one of reference, nuonuo, baiwang/);
    expect(refused({ channels: [{ ...nuonuo, protocol: 'baiwang', appSecret: 'x' }] })).toThrow(/channels\[0\]\.tokenUrl: unknown for protocol baiwang/);
    expect(refused({ channels: [{ name: 'ref', url: 'https://a.example', appKey: 'K' }] })).toThrow(/channels\[0\]\.appKey: unknown for protocol reference/);
    expect(refused({ channels: [{ ...nuonuo, tokenUrl: 'open.nuonuo.com', appSecret: 'x' }] })).toThrow(/tokenUrl: "open.nuonuo.com" is not an http/);
    expect(() => configFileInput(join(dir, 'nowhere.json'))).toThrow(/no such file/);

    writeFileSync(join(dir, 'secret.txt'), 'from-a-file\n');
    const config = configFileInput(file(dir, 'ok.json', { channels: [{ ...nuonuo, appSecret: { file: 'secret.txt' } }, { name: 'backup', url: 'https://b.example' }] }));
    expect(config.channels).toEqual([
      { ...nuonuo, protocol: 'nuonuo', appSecret: 'from-a-file' },
      { name: 'backup', protocol: 'reference', url: 'https://b.example' },
    ]);
  });
});
