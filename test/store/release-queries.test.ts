// The statements of the release before run on this release's schema (issue 25 item 6): during a
// rolling upgrade the old processes keep issuing, reading and settling against the new migrations.
// test/store/release-queries/<dialect>.json holds every statement (with its parameters) a gateway
// of the last release ran through one invoice's whole life — accept, lease, issue, settle, render,
// webhook, email-free reads and lists, a red-flush — recorded when that release was cut
// (FAPIAO_RECORD_RELEASE_QUERIES=1, docs/development.md). Here they run again, in order, on a
// database migrated by this release: a migration that drops, renames or retypes something they use
// fails this test.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator } from '../../src/simulator/simulator-server.js';
import { openStore } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { registerSellers } from '../support/fixtures.js';
import { http, startTestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

interface Recorded {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

const CORPUS = join(import.meta.dirname, 'release-queries', `${DIALECT}.json`);
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

/** Parameters as JSON: binary as base64 (cut to a few bytes: documents are large and their content does not matter here). */
function storable(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $bytes: Buffer.from(value).subarray(0, 16).toString('base64') };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  return value;
}

function revived(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$bytes' in value) return Buffer.from(String((value as { $bytes: string }).$bytes), 'base64');
  if (value !== null && typeof value === 'object' && '$bigint' in value) return BigInt((value as { $bigint: string }).$bigint);
  return value;
}

/** One invoice's whole life on a gateway of this release, every statement recorded. */
async function record(): Promise<Recorded[]> {
  const statements: Recorded[] = [];
  const simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-corpus-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  const t = await startTestGateway(
    { channels: [{ name: 'sim', url: simulator.url }], renderThreads: 1, deliveries: { allowPrivate: true } },
    { onQuery: (sql, parameters) => statements.push({ sql, parameters: parameters.map(storable) }) },
  );
  try {
    await http(`${t.gateway.url}/v1/webhooks`, { key: t.adminKey, json: { url: `${simulator.url}/_hook`, events: ['*'] } });
    const accepted = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'corpus-1', json: validRequest({ orderNo: 'CORPUS-1' }) });
    const id = String(accepted.body.id);
    await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'corpus-1', json: validRequest({ orderNo: 'CORPUS-1' }) });
    await eventually(async () => ((await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body.documents as { status?: string } | null)?.status === 'rendered' || undefined, 20_000, () => 'not rendered');
    await http(`${t.gateway.url}/v1/invoices?status=issued&buyerName=${encodeURIComponent('杭州')}`, { key: t.key });
    await http(`${t.gateway.url}/v1/invoices/${id}/timeline`, { key: t.key });
    await http(`${t.gateway.url}/v1/invoices/${id}/pdf`, { key: t.key });
    const red = await http(`${t.gateway.url}/v1/invoices/${id}/red-flush`, { key: t.key, idempotencyKey: 'corpus-red', json: { reason: 'issued_in_error' } });
    await eventually(async () => (await http(`${t.gateway.url}/v1/invoices/${String(red.body.id)}`, { key: t.key })).body.status === 'issued' || undefined, 20_000, () => 'red not issued');
    await http(`${t.gateway.url}/v1/channels`, { key: t.operatorKey });
  } finally {
    await t.close();
    await simulator.close();
  }
  return statements;
}

describe(`the last release's statements on this release's schema (${DIALECT})`, () => {
  it('all run, in order, on a database this release migrated', async () => {
    if (process.env.FAPIAO_RECORD_RELEASE_QUERIES === '1') {
      mkdirSync(join(import.meta.dirname, 'release-queries'), { recursive: true });
      writeFileSync(CORPUS, `${JSON.stringify(await record())}\n`);
    }
    expect(existsSync(CORPUS), `${CORPUS} is recorded when a release is cut`).toBe(true);
    // The migrator's own bookkeeping names the schema it was recorded in; it is not the release's code.
    const corpus = (JSON.parse(readFileSync(CORPUS, 'utf8')) as Recorded[]).filter((statement) => !/kysely_migration/.test(statement.sql));
    expect(corpus.length).toBeGreaterThan(50);

    const database = await freshDatabase();
    databases.push(database);
    const store = await openStore(database.location);
    try {
      await registerSellers(store.db);
      const failures: string[] = [];
      for (const statement of corpus) {
        try {
          await store.db.executeQuery(CompiledQuery.raw(statement.sql, statement.parameters.map(revived)));
        } catch (error) {
          failures.push(`${(error as Error).message}: ${statement.sql.slice(0, 160)}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
