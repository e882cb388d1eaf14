// Idempotency and the order-number rule across gateway processes (PostgreSQL, where several share
// one database): the same requests sent at once to two processes make one invoice per key and one
// per order number, whatever the interleaving — the other answers are replays of the same invoice,
// or 409 order_no_taken naming it.
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { DIALECT, type TestDatabase } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';
import { startFapiao, type RunningProcess } from '../support/processes.js';

let database: TestDatabase | undefined;
afterAll(async () => {
  await database?.drop();
});

/** One request as a client sends it: again, with the same key, after a 503's Retry-After (a fresh process sheds a burst). */
async function post(url: string, key: string, idempotencyKey: string, orderNo: string): Promise<{ status: number; id: string | undefined; invoiceId: string | undefined; code: string | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const response = await request(`${url}/v1/invoices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(validRequest({ orderNo })),
    });
    const body = (await response.body.json()) as { id?: string; invoiceId?: string; code?: string };
    if (response.statusCode === 503 && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers['retry-after'] ?? 1) * 1000));
      continue;
    }
    return { status: response.statusCode, id: body.id, invoiceId: body.invoiceId, code: body.code };
  }
}

describe.skipIf(DIALECT !== 'postgres')('accepting on two gateway processes at once', () => {
  it('makes one invoice per idempotency key and one per order number', async () => {
    const { database: db, key } = await databaseWithKey();
    database = db;
    const env = { ...db.env, FAPIAO_CONCURRENCY: '0', FAPIAO_RENDER_THREADS: '0' };
    const gateways: RunningProcess[] = await Promise.all([0, 1].map(() => startFapiao(['serve', '--port', '0', '--channel', 'sim=http://127.0.0.1:9'], env)));
    const [a, b] = gateways.map((gateway) => gateway.url) as [string, string];

    // The same key and body to both processes, four times each, for 40 keys.
    const sameKey = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => post(n % 2 ? a : b, key, `twice-${i}`, `TWO-KEY-${i}`)));
        return answers;
      }),
    );
    for (const answers of sameKey) {
      expect(answers.filter((answer) => answer.status !== 202)).toEqual([]);
      expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    }

    // One order number under different keys to both processes: one invoice, the rest refused naming it.
    const sameOrder = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => Promise.all(Array.from({ length: 6 }, (_, n) => post(n % 2 ? a : b, key, `order-${i}-${n}`, `TWO-ORDER-${i}`)))),
    );
    for (const answers of sameOrder) {
      const created = answers.filter((answer) => answer.status === 202);
      expect(created).toHaveLength(1);
      for (const refused of answers.filter((answer) => answer.status !== 202)) expect(refused).toMatchObject({ status: 409, invoiceId: created[0]!.id });
    }

    const store = await openStore(db.location);
    const invoices = await store.db.selectFrom('invoices').select(['order_no']).execute();
    const { verifyAuditChain } = await import('../../src/store/audit-verify.js');
    const verdict = await verifyAuditChain(store.db, store.capabilities);
    await store.close();
    expect(invoices).toHaveLength(80);
    expect(new Set(invoices.map((invoice) => invoice.order_no)).size).toBe(80);
    // Both processes wrote at once: several chains, all intact.
    expect(verdict).toMatchObject({ ok: true, entries: 80 });
    await Promise.all(gateways.map((gateway) => gateway.kill()));
  });
});
