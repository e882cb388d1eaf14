// "Nothing a client sends produces a 5xx": every operation of /openapi.json, fed random paths,
// query strings, headers and bodies (JSON of any shape and depth, bytes that are not JSON, wrong
// content types) with no key, a wrong key, a seller's key, an admin's and an operator's, answers
// below 500, and no business table changes.
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let t: TestGateway;
let operations: Array<{ method: string; path: string }>;

beforeAll(async () => {
  t = await startTestGateway({ channels: [] });
  const document = (await (await request(`${t.gateway.url}/openapi.json`)).body.json()) as { paths: Record<string, Record<string, unknown>> };
  operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
});

afterAll(async () => {
  await t.close();
});

const TABLES = ['invoices', 'webhook_subscriptions', 'channel_isolations', 'email_deliveries', 'api_keys', 'console_users'] as const;

async function businessRows(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await t.gateway.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

const segment = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('inv_01JZZZZZZZZZZZZZZZZZZZZZZZ', 'sim', '..', '%00', '%E4%B8', 'a'.repeat(300), '91330106MA2B0Y5R34'));
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => ({ type: 'application/json', bytes: Buffer.from(JSON.stringify(value) ?? 'null') })),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ type: 'application/json', bytes: Buffer.from(bytes) })),
  fc.integer({ min: 1, max: 8000 }).map((depth) => ({ type: 'application/json', bytes: Buffer.from('['.repeat(depth) + ']'.repeat(depth)) })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: fc.sample(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=gbk', ''), 1)[0]!, bytes: Buffer.from(text) })),
  fc.constant(undefined),
);
const query = fc.dictionary(fc.constantFrom('status', 'limit', 'cursor', 'buyerName', 'total', 'from', 'to', 'orderNo', 'stage', 'x'), fc.string({ unit: 'binary', maxLength: 30 }), { maxKeys: 4 });

describe('fuzzing every operation', () => {
  it('refuses JSON nested 5,000 deep on every operation that takes a body, with a key that may use it', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const deepObject = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const writes = operations.filter((operation) => ['POST', 'PUT', 'PATCH'].includes(operation.method));
    expect(writes.length).toBeGreaterThan(8);
    for (const operation of writes) {
      const path = operation.path.replace(/\{[^}]+\}/g, 'inv_01JZZZZZZZZZZZZZZZZZZZZZZZ');
      for (const [key, text] of [[t.adminKey, deep], [t.operatorKey, deepObject]] as const) {
        const answer = await request(`${t.gateway.url}${path}`, { method: operation.method as 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'deep-1' }, body: text });
        const problem = (await answer.body.json()) as { code?: string };
        expect(answer.statusCode, `${operation.method} ${path}`).toBeLessThan(500);
        // Where the key may call it at all, the body itself is refused for its depth.
        if (answer.statusCode !== 401 && answer.statusCode !== 403) expect([answer.statusCode, problem.code], `${operation.method} ${path}`).toEqual([422, 'json_too_deep']);
      }
    }
  });

  it('answers every random request below 500 and writes nothing', async () => {
    const before = await businessRows();
    const keys = [undefined, 'fk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', t.key, t.adminKey, t.operatorKey];
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(segment, { minLength: 3, maxLength: 3 }), query, body, fc.nat({ max: keys.length - 1 }), fc.option(fc.string({ maxLength: 200 })), async (pick, segments, params, sent, keyIndex, idempotencyKey) => {
        const operation = operations[pick % operations.length]!;
        let n = 0;
        const path = operation.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[n++ % segments.length]!));
        const search = new URLSearchParams(params).toString();
        const key = keys[keyIndex];
        const headers: Record<string, string> = {
          ...(key && { authorization: `Bearer ${key}` }),
          ...(sent?.type && { 'content-type': sent.type }),
          ...(idempotencyKey !== null && /^[\x20-\x7e]*$/.test(idempotencyKey) && { 'idempotency-key': idempotencyKey }),
        };
        const answer = await request(`${t.gateway.url}${path}${search ? `?${search}` : ''}`, { method: operation.method as 'GET', headers, ...(sent && operation.method !== 'GET' && { body: sent.bytes }) });
        const text = await answer.body.text();
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
        expect(answer.statusCode, `${operation.method} ${path}?${search} → ${text.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 1500, seed: 2026_12_02 },
    );
    expect(await businessRows()).toEqual(before);
    // The runs reached past authentication, validation and lookup, not only the door.
    expect([...statuses.keys()].filter((status) => [400, 401, 403, 404, 415, 422].includes(status)).length).toBeGreaterThanOrEqual(5);
  });
});
