// A real full disk: the gateway's SQLite file on a small tmpfs that fills up. Requests then get
// 503 storage_unavailable with Retry-After (never a 500), /readyz says not ready and why, the log
// names SQLITE_FULL; when the disk grows again everything recovers and nothing accepted is lost.
// Needs root to mount (as CI is); skipped elsewhere.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { resolveConfig } from '../../src/runtime/config.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { FAST, http } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';

const mountPoint = join(mkdtempSync(join(tmpdir(), 'fapiao-full-')), 'disk');
mkdirSync(mountPoint);
const canMount = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=700', 'tmpfs', mountPoint]).status === 0;
let gateway: Gateway | undefined;

afterAll(async () => {
  await gateway?.close();
  if (canMount) spawnSync('umount', [mountPoint]);
});

describe('a full disk', () => {
  it.runIf(canMount)('refuses with 503 and Retry-After, reports not ready, and recovers with nothing lost', async () => {
    const file = join(mountPoint, 'fapiao.db');
    const setup = await openStore({ kind: 'sqlite', file });
    await registerSellers(setup.db);
    const key = (await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now())).key;
    await setup.close();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const config = resolveConfig({ ...FAST, dataDir: mountPoint, dbFile: file, port: 0, channels: [{ name: 'nowhere', url: 'http://127.0.0.1:1' }], dispatcher: { ...FAST.dispatcher, concurrency: 0 } });
    gateway = await startGateway(config, { log: pino({ level: 'info' }, sink) });
    const url = gateway.url;
    const issue = (i: number) =>
      http(`${url}/v1/invoices`, { key, idempotencyKey: `full-${i}`, json: validRequest({ orderNo: `FULL-${i}`, remarks: '备注'.repeat(90) }) });

    const accepted: string[] = [];
    let refused: Awaited<ReturnType<typeof issue>> | undefined;
    let i = 0;
    for (; i < 3000 && !refused; i++) {
      const answer = await issue(i);
      if (answer.status === 202) accepted.push(String(answer.body.id));
      else refused = answer;
    }
    expect(refused, 'the disk never filled').toBeDefined();
    expect(refused!.status).toBe(503);
    expect(refused!.body.code).toBe('storage_unavailable');
    expect(refused!.body.detail).toContain('disk is full');
    expect(refused!.headers['retry-after']).toBe('5');
    const ready = await http(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(String(ready.body.detail)).toContain('SQLITE_FULL');
    expect((await http(`${url}/healthz`)).status).toBe(200);
    expect(lines.some((line) => line.includes('SQLITE_FULL') && line.includes('the database refused a write'))).toBe(true);
    expect(lines.some((line) => line.includes('no transaction is active'))).toBe(false);
    expect(lines.some((line) => line.includes('unexpected error'))).toBe(false);

    // The operator makes room; the same request with the same key now goes through.
    expect(spawnSync('mount', ['-o', 'remount,size=64m', mountPoint]).status).toBe(0);
    expect((await http(`${url}/readyz`)).status).toBe(200);
    const retried = await issue(i - 1);
    expect(retried.status).toBe(202);
    accepted.push(String(retried.body.id));
    for (let j = i; j < i + 20; j++) expect((await issue(j)).status).toBe(202);

    // Nothing that was accepted is missing, and nothing was half-written.
    for (const id of accepted) expect((await http(`${url}/v1/invoices/${id}`, { key })).status, id).toBe(200);
    const count = await gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(accepted.length + 20);
    const keys = await gateway.store.db.selectFrom('idempotency_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(keys.n)).toBe(accepted.length + 20);
  });
});

describe('storage faults by their codes', () => {
  it('tells full, read-only, I/O and unreachable apart on both databases, and nothing else', async () => {
    const { storageFault } = await import('../../src/store/db-errors.js');
    const fault = (code: string) => storageFault(Object.assign(new Error('x'), { code }));
    expect(['SQLITE_FULL', '53100', 'ENOSPC'].map(fault)).toEqual(['disk_full', 'disk_full', 'disk_full']);
    expect(['SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', '25006'].map(fault)).toEqual(['read_only', 'read_only', 'read_only']);
    expect(['SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN'].map(fault)).toEqual(['io_error', 'io_error']);
    expect(['57P03', '08006', 'ECONNREFUSED'].map(fault)).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(['SQLITE_CONSTRAINT_UNIQUE', '23505', '42P01', undefined as unknown as string].map(fault)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
