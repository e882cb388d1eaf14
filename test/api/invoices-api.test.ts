// The public API: a real gateway on this run's database, a real simulator process as its channel;
// routes are called through Fastify's inject, and over a raw socket where the bytes on the wire
// are the subject. Issue, idempotency, tenancy, every kind of bad input (refused with the right 4xx
// and no change in the database), lists, retry, health and the OpenAPI document.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECT } from '../support/database.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { http, inject, startTestGateway, type CallOptions, type HttpAnswer, type TestGateway } from '../support/gateway.js';
import { validLine, validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';

let simulator: RunningProcess;
let t: TestGateway;
let base: string;
let counter = 0;
const nextKey = () => `key-${Date.now()}-${++counter}`;

beforeAll(async () => {
  simulator = await startFapiao(['simulator', '--port', '0', '--data', `${process.env.TMPDIR ?? '/tmp'}/fapiao-sim-api-${process.pid}-${Date.now()}`]);
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
  base = t.gateway.url;
});

afterAll(async () => {
  await t.close();
  await simulator.kill();
});

/** A call to the gateway's routes through inject: no socket is needed to judge what a route answers. */
const api = (path: string, options: CallOptions = {}) => inject(t.gateway.app, path, options);

const request = (overrides: Record<string, unknown> = {}) => validRequest({ orderNo: `SO-${++counter}`, ...overrides });

/** Bytes as a client wrote them, for what a URL library would normalise or refuse to send. */
async function raw(text: string): Promise<HttpAnswer> {
  const { port } = new URL(base);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(text);
  let received = '';
  for await (const chunk of socket) received += (chunk as Buffer).toString();
  const [head = '', ...rest] = received.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
  const contentType = /content-type: ([^\r]+)/i.exec(head)?.[1];
  const body = rest.join('\r\n\r\n');
  return { status, headers: { 'content-type': contentType }, body: JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1)) as Record<string, unknown>, text: body };
}

async function issue(body: unknown, key = t.key, idempotencyKey = nextKey()) {
  return api(`/v1/invoices`, { key, idempotencyKey, json: body });
}

async function issued(id: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const answer = await api(`/v1/invoices/${id}`, { key: t.key });
      return answer.body.status === 'pending' ? undefined : answer.body;
    },
    15_000,
    async () => JSON.stringify((await api(`/v1/invoices/${id}`, { key: t.key })).body),
  );
}

/** Everything a refused request must leave as it was. */
async function snapshot() {
  const db = t.gateway.store.db;
  const count = async (table: 'invoices' | 'idempotency_keys' | 'attempts' | 'audit_log' | 'sellers' | 'api_keys') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const heads = await db.selectFrom('audit_chains').select(['chain', 'seq', 'hash']).orderBy('chain').execute();
  const latest = await db.selectFrom('invoices').select((eb) => eb.fn.max('updated_at').as('at')).executeTakeFirst();
  return {
    invoices: await count('invoices'),
    idempotency: await count('idempotency_keys'),
    attempts: await count('attempts'),
    audit: await count('audit_log'),
    heads: JSON.stringify(heads),
    latestUpdate: latest?.at ?? null,
  };
}

async function settled(): Promise<void> {
  await eventually(
    async () => {
      const pending = await t.gateway.store.db.selectFrom('invoices').select('id').where('status', '=', 'pending').executeTakeFirst();
      return pending ? undefined : true;
    },
    15_000,
    () => 'invoices still pending',
  );
}

describe(`API on ${DIALECT}`, () => {
  describe('issuing', () => {
    it('answers 202 at once, then issues with the number the simulator assigned', async () => {
      const answer = await issue(request());
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ status: 'pending', stage: 'queued', totals: { total: '1060.00', totalInWords: '壹仟零陆拾圆整' } });
      expect(answer.headers.location).toBe(`/v1/invoices/${String(answer.body.id)}`);
      const done = await issued(String(answer.body.id));
      expect(done).toMatchObject({ status: 'issued', stage: null, channel: 'sim' });
      const ledger = (await http(`${simulator.url}/_admin/ledger`)).body as unknown as Array<{ serialNo: string; number: string }>;
      expect(ledger.find((entry) => entry.serialNo === done.serialNo)?.number).toBe(done.number);
      expect(done.number).toMatch(/^\d{20}$/);
      expect(done.seller).toMatchObject({ taxId: SELLER, name: '演示科技（杭州）有限公司' });
    });

    it('replays the same key and body with Idempotent-Replayed, refuses another body with 409', async () => {
      const key = nextKey();
      const body = request();
      const first = await issue(body, t.key, key);
      const again = await issue(JSON.parse(JSON.stringify(body)) as unknown, t.key, key);
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      const changed = await issue({ ...body, remarks: '另一个备注' }, t.key, key);
      expect(changed.status).toBe(409);
      expect(changed.body.code).toBe('idempotency_key_reused');
    });

    it('issues an order number once per seller: a new key gets 409 order_no_taken naming the invoice', async () => {
      const body = request();
      const first = await issue(body);
      const again = await issue(body);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'order_no_taken', invoiceId: first.body.id });
      expect(again.headers.location).toBe(`/v1/invoices/${String(first.body.id)}`);
      const list = await api(`/v1/invoices?orderNo=${String(body.orderNo)}`, { key: t.key });
      expect(list.body.data).toHaveLength(1);
      // Another seller may use the same order number.
      expect((await issue({ ...body, seller: { taxId: OTHER_SELLER } }, t.otherKey)).status).toBe(202);
    });

    it('makes one invoice of concurrent first requests with one key, all answered alike', async () => {
      const key = nextKey();
      const body = request();
      const answers = await Promise.all(Array.from({ length: 10 }, () => issue(body, t.key, key)));
      expect(answers.every((a) => a.status === 202)).toBe(true);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const rows = await t.gateway.store.db.selectFrom('invoices').select('id').where('order_no', '=', String(body.orderNo)).execute();
      expect(rows).toHaveLength(1);
    });

    it('previews without storing', async () => {
      const before = await snapshot();
      const answer = await api(`/v1/invoices/preview`, { key: t.key, json: request() });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ totals: { tax: '60.00' } });
      const invalid = await api(`/v1/invoices/preview`, { key: t.key, json: request({ lines: [validLine({ taxRate: '0.17' })] }) });
      expect(invalid.status).toBe(422);
      expect((await snapshot()).invoices).toBe(before.invoices);
    });
  });

  describe('tenancy', () => {
    it('refuses another seller with 403, and hides another seller\'s invoice with 404', async () => {
      const mine = await issue(request());
      expect((await issue(request({ seller: { taxId: OTHER_SELLER } }))).body.code).toBe('seller_forbidden');
      // Previewing for another seller is refused as issuing is: it would show that seller's registration.
      const preview = await api(`/v1/invoices/preview`, { key: t.key, json: request({ seller: { taxId: OTHER_SELLER } }) });
      expect([preview.status, preview.body.code]).toEqual([403, 'seller_forbidden']);
      expect((await api(`/v1/invoices/${String(mine.body.id)}`, { key: t.otherKey })).status).toBe(404);
      const list = await api(`/v1/invoices?limit=100`, { key: t.otherKey });
      const sellers = (list.body.data as Array<{ seller: { taxId: string } }>).map((invoice) => invoice.seller.taxId);
      expect(sellers.filter((taxId) => taxId !== OTHER_SELLER)).toEqual([]);
    });
  });

  describe('bad input: the right 4xx, and nothing changes', () => {
    beforeAll(async () => {
      await issue(request());
      await settled();
    });

    const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
      ['no key', () => api(`/v1/invoices`, { idempotencyKey: nextKey(), json: request() }), 401, 'api_key_missing'],
      ['a malformed Authorization header', () => api(`/v1/invoices`, { key: 'x y', idempotencyKey: nextKey(), json: request() }), 401, 'api_key_missing'],
      ['an unknown key', () => issue(request(), 'fk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401, 'api_key_invalid'],
      ['a revoked key', () => issue(request(), t.revokedKey), 401, 'api_key_revoked'],
      ['a read-only key', () => issue(request(), t.readOnlyKey), 403, 'scope_missing'],
      ['another seller\'s tax ID', () => issue(request({ seller: { taxId: OTHER_SELLER } })), 403, 'seller_forbidden'],
      ['no Idempotency-Key', () => api(`/v1/invoices`, { key: t.key, json: request() }), 400, 'idempotency_key_missing'],
      ['an Idempotency-Key of 129 characters', () => issue(request(), t.key, 'k'.repeat(129)), 400, 'idempotency_key_invalid'],
      ['malformed JSON', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: '{"orderNo": ' }), 400, 'json_malformed'],
      ['a GBK-encoded body', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: Buffer.concat([Buffer.from('{"orderNo":"'), Buffer.from([0xba, 0xbc, 0xd6, 0xdd]), Buffer.from('"}')]) }), 400, 'encoding_invalid'],
      ['a declared non-UTF-8 charset', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: '{}', contentType: 'application/json; charset=gbk' }), 415, 'content_type_unsupported'],
      ['a prototype-polluting body', () => issue({ ...request(), ['__proto__']: { admin: true } }), 422, 'invoice_invalid'],
      ['a URL with broken percent-encoding', () => api(`/v1/invoices/%E0%A4%A`, { key: t.key }), 400, 'url_invalid'],
      ['JSON nested 100,000 deep', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: '['.repeat(100_000) + ']'.repeat(100_000) }), 422, 'json_too_deep'],
      ['an empty JSON body', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: '' }), 400, 'body_empty'],
      ['text/plain', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: 'hello', contentType: 'text/plain' }), 415, 'content_type_unsupported'],
      ['form data', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: 'a=1', contentType: 'application/x-www-form-urlencoded' }), 415, 'content_type_unsupported'],
      ['a 2 MB body', () => api(`/v1/invoices`, { key: t.key, idempotencyKey: nextKey(), raw: JSON.stringify({ remarks: 'x'.repeat(2_000_000) }) }), 413, 'body_too_large'],
      ['a JSON array', () => issue([request()]), 422, 'invoice_invalid'],
      ['every field wrong', () => issue({ orderNo: 1, type: 'x', seller: { taxId: SELLER }, buyer: {}, priceIncludesTax: 'yes', lines: [{}] }), 422, 'invoice_invalid'],
      ['an unknown rate', () => issue(request({ lines: [validLine({ taxRate: '0.17' })] })), 422, 'invoice_invalid'],
      ['a bad buyer tax ID', () => issue(request({ buyer: { name: 'x', taxId: '91330100716105852E' } })), 422, 'invoice_invalid'],
      ['amounts that do not add up', () => issue(request({ lines: [validLine({ amount: '1060.02' })] })), 422, 'invoice_invalid'],
      ['2,001 lines', () => issue(request({ lines: Array.from({ length: 2001 }, () => validLine()) })), 422, 'invoice_invalid'],
      ['retry of an issued invoice', async () => {
        // The key's own seller's: which row comes first among all sellers' is the planner's choice.
        const row = await t.gateway.store.db.selectFrom('invoices').select('id').where('status', '=', 'issued').where('seller_tax_id', '=', SELLER).executeTakeFirstOrThrow();
        return api(`/v1/invoices/${row.id}/retry`, { method: 'POST', key: t.key });
      }, 409, 'invoice_not_failed'],
      ['an unknown invoice', () => api(`/v1/invoices/inv_nope`, { key: t.key }), 404, 'not_found'],
      ['an unknown route', () => api(`/v1/nothing`, { key: t.key }), 404, 'not_found'],
      ['a bad list filter', () => api(`/v1/invoices?limit=1000&status=lost`, { key: t.key }), 400, 'query_invalid'],
      ['a list date that is no date', () => api(`/v1/invoices?from=yesterday`, { key: t.key }), 400, 'query_invalid'],
      ['a limit in exponent form', () => api(`/v1/invoices?limit=1e2`, { key: t.key }), 400, 'query_invalid'],
      ['an id longer than any id', () => api(`/v1/invoices/${'a'.repeat(101)}`, { key: t.key }), 404, 'not_found'],
      ['a path climbing out of the docs', () => raw(`GET /docs/static/../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404, 'not_found'],
      ['an encoded climb', () => raw(`GET /docs/static/%2e%2e/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 404, 'not_found'],
      ['a NUL in an id', () => api(`/v1/invoices/%00`, { key: t.key }), 404, 'not_found'],
      ['a NUL in the id of a retry', () => api(`/v1/invoices/inv_%00/retry`, { key: t.key, method: 'POST' }), 404, 'not_found'],
      ['a NUL in the id of a document', () => api(`/v1/invoices/inv_%00/pdf`, { key: t.key }), 404, 'not_found'],
      ['a NUL in an order number filter', () => api(`/v1/invoices?orderNo=SO%00`, { key: t.key }), 400, 'query_invalid'],
      ['headers too large', () => raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'headers_too_large'],
      ['a request line that is no HTTP', () => raw('HELLO THERE\r\n\r\n'), 400, 'request_invalid'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await snapshot();
      const answer = await send();
      expect(answer.status).toBe(status);
      expect(answer.body.code).toBe(code);
      expect(String(answer.body.type)).toBe(`urn:fapiao-gateway:problem:${code}`);
      expect(await snapshot()).toEqual(before);
    });

    it('names each wrong or unknown query parameter with what it accepts', async () => {
      const answer = await api(`/v1/invoices?status=lost&limit=0&colour=red`, { key: t.key });
      expect(answer.status).toBe(400);
      const errors = answer.body.errors as Array<{ path: string; code: string; message: string; messageZh: string }>;
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: '/querystring/colour', code: 'query_parameter_unknown', message: 'unknown query parameter "colour"; the parameters are status, stage, sellerTaxId, buyerTaxId, orderNo, number, buyerName, total, from, to, limit, cursor' }),
          expect.objectContaining({ path: '/querystring/status', code: 'query_parameter_invalid', message: 'query parameter status must be one of pending, issued, rejected, failed' }),
          expect.objectContaining({ path: '/querystring/limit', code: 'query_parameter_invalid', message: 'query parameter limit must be a whole number from 1 to 100, in digits (default 20)' }),
        ]),
      );
      expect(JSON.stringify(answer.body)).not.toMatch(/must be equal to constant|must NOT have/);
    });

    it('lists every field problem of an invalid request', async () => {
      const answer = await issue({ ...request(), priceIncludesTax: 'yes', lines: [validLine({ taxRate: '0.17', amount: 1 })] });
      expect((answer.body.errors as Array<{ path: string; code: string }>).map((e) => `${e.path} ${e.code}`)).toEqual([
        '/priceIncludesTax type_invalid',
        '/lines/0/taxRate tax_rate_unknown',
        '/lines/0/amount decimal_format',
      ]);
    });
  });

  describe('reading', () => {
    it('pages through the list newest first with a cursor, and filters', async () => {
      const since = `from=${encodeURIComponent(new Date(Date.now() - 1).toISOString())}`;
      for (let i = 0; i < 5; i++) await issue(request({ orderNo: `LIST-${Date.now()}-${i}` }));
      const first = await api(`/v1/invoices?${since}&limit=2`, { key: t.key });
      const second = await api(`/v1/invoices?${since}&limit=2&cursor=${String(first.body.nextCursor)}`, { key: t.key });
      const third = await api(`/v1/invoices?${since}&limit=2&cursor=${String(second.body.nextCursor)}`, { key: t.key });
      const ids = [first, second, third].flatMap((page) => (page.body.data as Array<{ id: string }>).map((invoice) => invoice.id));
      expect(ids).toHaveLength(5);
      expect([...ids].sort().reverse()).toEqual(ids);
      expect(third.body.nextCursor).toBeNull();
      const future = await api(`/v1/invoices?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: t.key });
      expect(future.body.data).toEqual([]);
    });

    it('finds invoices by a part of the buyer name, the total and the invoice number, wildcards taken literally', async () => {
      const stamp = Date.now();
      const named = await issue(request({ orderNo: `FIND-${stamp}`, buyer: { name: `寻找_测试%公司${stamp}`, taxId: '91330100716105852F' } }));
      await issue(request({ orderNo: `FIND-${stamp}-other`, buyer: { name: `寻找X测试Y公司${stamp}`, taxId: '91330100716105852F' } }));
      const ids = async (query: string) => ((await api(`/v1/invoices?${query}`, { key: t.key })).body.data as Array<{ id: string }>).map((invoice) => invoice.id);
      expect(await ids(`buyerName=${encodeURIComponent(`_测试%公司${stamp}`)}`)).toEqual([named.body.id]);
      expect(await ids(`buyerName=${encodeURIComponent(`寻找`)}&orderNo=FIND-${stamp}`)).toEqual([named.body.id]);
      expect(await ids(`total=1060&orderNo=FIND-${stamp}`)).toEqual([named.body.id]);
      expect(await ids(`total=1061.00&orderNo=FIND-${stamp}`)).toEqual([]);
      const issuedOne = String((await issued(String(named.body.id))).number);
      expect(await ids(`number=${issuedOne}`)).toEqual([named.body.id]);
      expect(await ids(`stage=queued&orderNo=FIND-${stamp}`)).toEqual([]);
      for (const bad of ['stage=sleeping', 'number=123', 'total=1e3', 'total=1.001', 'buyerName=']) expect((await api(`/v1/invoices?${bad}`, { key: t.key })).body.code, bad).toBe('query_invalid');
    });

    it('shows channel health and backlog', async () => {
      const answer = await api(`/v1/channels`, { key: t.key });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual([expect.objectContaining({ name: 'sim', circuit: 'closed' })]);
    });
  });

  describe('operations endpoints', () => {
    it('answers /healthz and /readyz', async () => {
      expect((await api(`/healthz`)).body).toEqual({ status: 'ok' });
      expect((await api(`/readyz`)).body).toEqual({ status: 'ready' });
    });

    it('serves the OpenAPI document and a page to read it', async () => {
      const document = await api(`/openapi.json`);
      expect(document.body.openapi).toBe('3.1.0');
      expect(Object.keys(document.body.paths as object)).toEqual(expect.arrayContaining(['/v1/invoices', '/v1/invoices/{id}', '/v1/invoices/{id}/retry', '/v1/channels']));
      const page = await api(`/docs/`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('swagger');
    });

    it('echoes a request id, or makes one', async () => {
      expect((await api(`/healthz`)).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
