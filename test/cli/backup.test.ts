// Backup while invoices stream in, restore into a new data directory, and a gateway on the
// restored data serves every invoice the backup holds, with its documents, and an intact chain.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPdf } from '../../src/documents/pdf-signature.js';
import { loadPublicKey, publicKeyPath } from '../../src/documents/signing-key.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao } from '../support/processes.js';
import { verifyWebhook } from '../../src/outbound/webhook-signature.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const ENV = { DATABASE_URL: '', FAPIAO_DATA_DIR: '', FAPIAO_POLL_INTERVAL_MS: '50', FAPIAO_POLL_AFTER_MS: '50' };
let simulator: RunningSimulator | undefined;
afterAll(async () => simulator?.close());

function fapiao(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...ENV } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('fapiao backup and restore', () => {
  it('takes a consistent copy during a stream of writes that a restored gateway serves in full', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fapiao-backup-'));
    const db = join(root, 'live', 'fapiao.db');
    const setup = await openStore({ kind: 'sqlite', file: db });
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read'], expiresAt: null }, Date.now());
    await setup.close();
    simulator = await startSimulator({ dataDir: join(root, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
    const live = await startFapiao(['serve', '--port', '0', '--db', db, '--channel', `sim=${simulator.url}`], ENV);

    const post = async (i: number) => {
      const response = await request(`${live.url}/v1/invoices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `b-${i}` },
        body: JSON.stringify(validRequest({ orderNo: `B-${i}` })),
      });
      await response.body.dump();
      expect(response.statusCode).toBe(202);
    };
    // One invoice with its documents rendered before the stream begins: the backup must hold documents.
    await post(-1);
    const first = ((await (await request(`${live.url}/v1/invoices?orderNo=B--1`, { headers: { authorization: `Bearer ${key}` } })).body.json()) as { data: Array<{ id: string }> }).data[0]!.id;
    await eventually(async () => ((await request(`${live.url}/v1/invoices/${first}/pdf`, { headers: { authorization: `Bearer ${key}` } })).statusCode === 200 ? true : undefined), 30_000, () => 'the first invoice was never rendered');
    let next = 0;
    let backup: Promise<{ status: number | null; stdout: string; stderr: string }> | undefined;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < 240) {
          const i = next++;
          await post(i);
          if (i === 120) backup = fapiao(['backup', join(root, 'backup'), '--db', db]);
        }
      }),
    );
    const taken = await backup!;
    expect(taken.stderr).toBe('');
    expect(taken.status).toBe(0);
    // It says how much it copied and how fast, so an operator can size the window for a big one.
    expect(taken.stdout).toMatch(/\(\d+ pages, [\d.]+ MiB in [\d.]+ s, \d+ MiB\/s\)/);
    await live.kill('SIGTERM');

    const restored = await fapiao(['restore', join(root, 'backup'), '--data-dir', join(root, 'restored')]);
    expect(restored.stdout).toContain('integrity: ok');
    const audit = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--db', join(root, 'restored', 'fapiao.db')], { encoding: 'utf8', env: { ...process.env, ...ENV } });
    expect(audit.stdout).toMatch(/^intact: \d+ entries/);
    expect(audit.status).toBe(0);

    const copy = new SqliteDatabase(join(root, 'restored', 'fapiao.db'), { readonly: true });
    const contained = copy.prepare("select invoices.id, invoices.status, jobs.status as documents_status from invoices left join jobs on jobs.queue = 'documents' and jobs.subject_id = invoices.id").all() as Array<{ id: string; status: string; documents_status: string | null }>;
    copy.close();
    expect(contained.length).toBeGreaterThan(100);
    expect(contained.length).toBeLessThanOrEqual(241);

    const again = await startFapiao(['serve', '--port', '0', '--db', join(root, 'restored', 'fapiao.db'), '--channel', `sim=${simulator.url}`], ENV);
    for (const invoice of contained) {
      const response = await request(`${again.url}/v1/invoices/${invoice.id}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await response.body.json()) as { id: string };
      expect(response.statusCode).toBe(200);
      expect(body.id).toBe(invoice.id);
    }
    // A document rendered before the backup is served by the restored gateway, signed by the same key.
    const withDocuments = contained.find((invoice) => invoice.documents_status === 'done');
    expect(withDocuments).toBeDefined();
    if (withDocuments) {
      const pdf = await request(`${again.url}/v1/invoices/${withDocuments.id}/pdf`, { headers: { authorization: `Bearer ${key}` } });
      const bytes = Buffer.from(await pdf.body.arrayBuffer());
      expect(verifyPdf(bytes, loadPublicKey(publicKeyPath(join(root, 'live')))).valid).toBe(true);
    }
    await again.kill('SIGTERM');
  });

  it('restores a gateway that still signs webhooks, and the doctor says when the secrets key is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fapiao-backup-'));
    const db = join(root, 'live', 'fapiao.db');
    const setup = await openStore({ kind: 'sqlite', file: db });
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read', 'admin'], expiresAt: null }, Date.now());
    await setup.close();
    simulator ??= await startSimulator({ dataDir: join(root, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
    const heard: Array<{ body: string; headers: Record<string, string | string[] | undefined> }> = [];
    const receiver = createServer((incoming, response) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
      incoming.on('end', () => {
        heard.push({ body, headers: incoming.headers });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hooks = { ...ENV, FAPIAO_WEBHOOK_ALLOW_PRIVATE: '1', FAPIAO_WEBHOOK_RETRY_SCHEDULE: '200,200,200' };
    const call = async (url: string, path: string, json: unknown, idempotencyKey?: string) => {
      const response = await request(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) }, body: JSON.stringify(json) });
      return (await response.body.json()) as Record<string, unknown>;
    };
    try {
      const live = await startFapiao(['serve', '--port', '0', '--db', db, '--channel', `sim=${simulator.url}`], hooks);
      const { port } = receiver.address() as { port: number };
      const subscription = await call(live.url, '/v1/webhooks', { url: `http://127.0.0.1:${port}/hooks`, events: ['invoice.issued'] });
      const secret = String(subscription.secret);
      expect(secret).toMatch(/^whsec_/);
      await live.kill('SIGTERM');

      const taken = await fapiao(['backup', join(root, 'backup'), '--db', db]);
      expect(taken.stdout).toContain('and the secrets key');
      expect(statSync(join(root, 'backup', 'secrets.key')).mode & 0o777).toBe(0o600);
      expect((await fapiao(['restore', join(root, 'backup'), '--data-dir', join(root, 'restored')])).stdout).toContain('integrity: ok');
      const restoredDb = join(root, 'restored', 'fapiao.db');
      const doctor = await fapiao(['doctor', '--db', restoredDb, '--json']);
      expect((JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string }> }).checks.find((check) => check.name === 'sealed secrets open')).toMatchObject({ status: 'ok' });

      const again = await startFapiao(['serve', '--port', '0', '--db', restoredDb, '--channel', `sim=${simulator.url}`], hooks);
      await call(again.url, '/v1/invoices', validRequest({ orderNo: 'AFTER-RESTORE' }), 'after-restore');
      const delivered = await eventually(async () => heard.find((item) => item.body.includes('AFTER-RESTORE')), 20_000, () => `no webhook; heard ${heard.length}: ${again.output()}`);
      const signed = verifyWebhook(secret, { id: String(delivered.headers['webhook-id']), timestamp: String(delivered.headers['webhook-timestamp']), signature: String(delivered.headers['webhook-signature']) }, delivered.body, Math.floor(Date.now() / 1000));
      expect(signed).toBe(true);
      await again.kill('SIGTERM');

      // Restored without its secrets key: the doctor says so, and what to do.
      rmSync(join(root, 'restored', 'secrets.key'));
      const missing = await fapiao(['doctor', '--db', restoredDb, '--json']);
      expect((JSON.parse(missing.stdout) as { checks: Array<{ name: string; status: string; code?: string }> }).checks.find((check) => check.name === 'sealed secrets open')).toMatchObject({ status: 'fail', code: 'db.secrets_key_missing' });
    } finally {
      receiver.close();
    }
  });

  it('refuses to overwrite, and sends PostgreSQL users to pg_dump', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fapiao-backup-'));
    const db = join(root, 'live', 'fapiao.db');
    const store = await openStore({ kind: 'sqlite', file: db });
    await store.close();
    expect((await fapiao(['backup', join(root, 'live'), '--db', db])).stderr).toContain('is not empty');
    const pg = spawnSync(process.execPath, [BIN, 'backup', join(root, 'x')], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' } });
    expect(pg.status).toBe(2);
    expect(pg.stderr).toContain('pg_dump');
  });
});
