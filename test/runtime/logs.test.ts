// Logs are JSON lines with the request id and, where an invoice is concerned, its id and channel;
// they never hold an API key, a bank account or the signing key, whatever happens.
import { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/runtime/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { FAST, http } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const BANK_ACCOUNT = '6222020200112233445';
const lines: string[] = [];
let gateway: Gateway;
let simulator: RunningSimulator;
let key: string;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-logs-'));
  const setup = await openStore({ kind: 'sqlite', file: join(dataDir, 'fapiao.db') });
  await registerSellers(setup.db);
  key = (await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now())).key;
  await setup.close();
  simulator = await startSimulator({ dataDir: join(dataDir, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, rejectRate: 0 } });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = resolveConfig({ ...FAST, renderThreads: 1, dataDir, port: 0, channels: [{ name: 'sim', url: simulator.url }] });
  gateway = await startGateway(config, { log: pino({ level: 'debug', redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, sink) });
});

afterAll(async () => {
  await gateway.close();
  await simulator.close();
});

describe('logs', () => {
  it('carry request ids and invoice ids, and never a key, a bank account or the signing key', async () => {
    const buyer = { name: '杭州某某科技有限公司', taxId: '91330100716105852F', bankName: '工行', bankAccount: BANK_ACCOUNT };
    const accepted = await http(`${gateway.url}/v1/invoices`, { key, idempotencyKey: 'log-1', json: validRequest({ buyer }) });
    const id = String(accepted.body.id);
    await http(`${gateway.url}/v1/invoices`, { key, idempotencyKey: 'log-2', json: { ...validRequest({ buyer }), lines: 'x' } });
    await http(`${gateway.url}/v1/invoices`, { key: `${key}x`, idempotencyKey: 'log-3', json: validRequest({ buyer }) });
    // Search terms are personal data (a buyer's name, a total): the log names the route instead.
    await http(`${gateway.url}/v1/invoices?buyerName=${encodeURIComponent('张三丰')}&total=1060.00`, { key });
    await eventually(
      async () => ((await http(`${gateway.url}/v1/invoices/${id}`, { key })).body.documents as { status?: string } | null)?.status === 'rendered' ? true : undefined,
      20_000,
      () => 'documents not rendered',
    );
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(text).toContain('"reqId"');
    expect(lines.some((line) => line.includes(`"invoiceId":"${id}"`) && line.includes('"channel":"sim"'))).toBe(true);
    expect(text).not.toContain(key.slice(3));
    expect(text).not.toContain(BANK_ACCOUNT);
    expect(text).not.toContain(encodeURIComponent('张三丰'));
    expect(text).not.toContain('张三丰');
    expect(text).not.toContain('buyerName=');
    expect(lines.some((line) => line.includes('"url":"/v1/invoices"'))).toBe(true);
    expect(text).not.toContain('PRIVATE KEY');
    const secret = gateway.signingKey.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64').slice(40, 80);
    expect(text).not.toContain(secret);
  });
});
