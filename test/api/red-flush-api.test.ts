// Red-flush end to end, on SQLite and PostgreSQL: a blue invoice issued through the simulator is
// flushed in part, the red invoice goes through the dispatcher to the blue invoice's channel and
// lands in the simulator's ledger naming the blue number; concurrent requests on one blue invoice
// never flush more than it has; every refusal writes nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { goodsAndServiceRequest, KIND_REQUESTS, validSpecialRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const work = mkdtempSync(join(tmpdir(), 'fapiao-red-'));
let simulator: RunningSimulator;
let t: TestGateway;
let orders = 0;

const GOODS = goodsAndServiceRequest();

/** Reading, issuing and red-flushing through a provider's gateway, waiting for each to settle. */
function providerClient(gateway: () => TestGateway) {
  const read = async (id: string) => (await http(`${gateway().gateway.url}/v1/invoices/${id}`, { key: gateway().key })).body;
  const settled = (id: string, done: (invoice: Record<string, unknown>) => boolean) =>
    eventually(async () => {
      const invoice = await read(id);
      return done(invoice) ? invoice : undefined;
    }, 20_000, async () => JSON.stringify(await read(id)));
  const issue = async (request: unknown, key: string) => {
    const answer = await http(`${gateway().gateway.url}/v1/invoices`, { key: gateway().key, idempotencyKey: key, json: { ...(request as object), orderNo: key } });
    expect(answer.status).toBe(202);
    return settled(String(answer.body.id), (invoice) => invoice.status === 'issued');
  };
  const redFlushOf = async (blueId: unknown, key: string, json: unknown) => {
    const answer = await http(`${gateway().gateway.url}/v1/invoices/${String(blueId)}/red-flush`, { key: gateway().key, idempotencyKey: key, json });
    expect(answer.status).toBe(202);
    return String(answer.body.id);
  };
  return { read, settled, issue, redFlushOf };
}

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

const url = (path: string) => `${t.gateway.url}${path}`;
const get = async (id: string) => (await http(url(`/v1/invoices/${id}`), { key: t.key })).body;
const flush = (id: string, json: unknown, idempotencyKey = `red-${++orders}`) => http(url(`/v1/invoices/${id}/red-flush`), { key: t.key, idempotencyKey, json });

async function issued(id: string) {
  return eventually(
    async () => {
      const invoice = await get(id);
      return invoice.status === 'issued' || invoice.status === 'rejected' ? invoice : undefined;
    },
    15_000,
    async () => JSON.stringify(await get(id)),
  );
}

async function issueBlue(request = GOODS): Promise<Record<string, unknown>> {
  const n = ++orders;
  const answer = await http(url('/v1/invoices'), { key: t.key, idempotencyKey: `blue-${n}`, json: { ...request, orderNo: `RED-BLUE-${n}` } });
  expect(answer.status).toBe(202);
  return issued(String(answer.body.id));
}

async function invoiceCount(): Promise<number> {
  const row = await t.gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`red-flush on ${DIALECT}`, () => {
  it('flushes part of an issued invoice through the blue invoice channel, linked both ways', async () => {
    const blue = await issueBlue();
    expect(blue).toMatchObject({ status: 'issued', kind: 'blue', redFlushes: [], redFlushableTotal: '271.00' });
    const answer = await flush(String(blue.id), { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ kind: 'red', blueInvoiceId: blue.id, blueNumber: blue.number, redReason: 'sales_return', status: 'pending', channel: 'sim' });
    expect(answer.body.totals).toEqual({ amount: '-100.00', tax: '-9.00', total: '-109.00', totalInWords: '（负数）壹佰零玖圆整' });
    expect((answer.body.lines as Array<Record<string, unknown>>)[0]).toMatchObject({ quantity: '-1', unitPrice: '100.00', amount: '-100.00', blueLine: 0 });

    const red = await issued(String(answer.body.id));
    expect(red).toMatchObject({ status: 'issued', kind: 'red', channel: 'sim' });
    expect(red.number).not.toBe(blue.number);
    const ledger = simulator.ledger.issued(Date.now()).find((record) => record.number === red.number);
    expect(ledger).toMatchObject({ kind: 'red', blueNumber: blue.number, total: '-109.00' });
    expect(await get(String(blue.id))).toMatchObject({ redFlushes: [{ id: red.id, status: 'issued', total: '-109.00' }], redFlushableTotal: '162.00' });

    // The same key and body again: the same red invoice; another body under it: refused.
    const again = await flush(String(blue.id), { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }, `replay-${String(blue.id)}`);
    const replay = await flush(String(blue.id), { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }, `replay-${String(blue.id)}`);
    expect([replay.status, replay.body.id, replay.headers['idempotent-replayed']]).toEqual([202, again.body.id, 'true']);
    const reused = await flush(String(blue.id), { reason: 'sales_allowance', lines: [{ line: 1, amount: '-1.00' }] }, `replay-${String(blue.id)}`);
    expect([reused.status, reused.body.code]).toEqual([409, 'idempotency_key_reused']);
  });

  it('lets one of many concurrent requests on one blue invoice take what is left, and refuses the rest', async () => {
    const blue = await issueBlue();
    const answers = await Promise.all(Array.from({ length: 8 }, () => flush(String(blue.id), { reason: 'sales_return', lines: [{ line: 0, quantity: '-2' }] })));
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
    const refused = answers.filter((answer) => answer.status !== 202);
    expect(refused.map((answer) => [answer.status, answer.body.code])).toEqual(Array.from({ length: 7 }, () => [409, 'red_flush_exceeds_blue']));
    expect((refused[0]!.body.errors as Array<{ code: string }>)[0]!.code).toBe('red_exceeds_line');
    // Partial flushes racing on the rest of the invoice: 50.00 + 4 × 3.00 (tax 6 %) never more than 53.00.
    const rest = await Promise.all(Array.from({ length: 6 }, (_, i) => flush(String(blue.id), { reason: 'sales_allowance', lines: [{ line: 1, amount: i === 0 ? '-41.00' : '-3.00' }] })));
    const taken = rest.filter((answer) => answer.status === 202).map((answer) => Number((answer.body.totals as { amount: string }).amount));
    expect(taken.reduce((sum, amount) => sum + amount, 0)).toBeGreaterThanOrEqual(-50);
    const current = await get(String(blue.id));
    const held = (current.redFlushes as Array<{ total: string }>).reduce((sum, red) => sum + Math.round(Number(red.total) * 100), 0);
    expect(held).toBeGreaterThanOrEqual(-27100);
    expect(Number(current.redFlushableTotal)).toBeCloseTo(271 + held / 100, 2);
  });

  it('previews a red-flush by the same rules, writing nothing', async () => {
    const blue = await issueBlue();
    const before = await invoiceCount();
    const preview = (json: unknown, key = t.key) => http(url(`/v1/invoices/${String(blue.id)}/red-flush/preview`), { key, json });
    const whole = await preview({ reason: 'sales_return' });
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ totals: { total: `-${(blue.totals as { total: string }).total}` }, red: { blueInvoiceId: blue.id, reason: 'sales_return', whole: true } });
    expect(String((whole.body.totals as { totalInWords: string }).totalInWords)).toMatch(/^（负数）/);
    const part = await preview({ reason: 'sales_allowance', lines: [{ line: 0, amount: '-10.00' }] });
    expect(part.status).toBe(200);
    expect(part.body.lines).toEqual([expect.objectContaining({ blueLine: 0, amount: '-10.00' })]);
    expect((await preview({ reason: 'sales_allowance', lines: [{ line: 0, amount: '-99999999.00' }] })).body.code).toBe('red_flush_exceeds_blue');
    expect((await preview({ reason: 'sideways' })).body.code).toBe('red_flush_invalid');
    expect((await preview({ reason: 'sales_return' }, t.otherKey)).status).toBe(404);
    // A read-only key may not ask (it is part of issuing), and a stranger is refused before the body is read.
    expect((await preview({ reason: 'sales_return' }, t.readOnlyKey)).body.code).toBe('scope_missing');
    expect((await http(url(`/v1/invoices/${String(blue.id)}/red-flush/preview`), { json: { reason: 'sales_return' } })).status).toBe(401);
    // Many at once change nothing either.
    const many = await Promise.all(Array.from({ length: 20 }, () => preview({ reason: 'sales_return' })));
    expect(many.every((answer) => answer.status === 200)).toBe(true);
    expect(await invoiceCount()).toBe(before);
  });

  it('refuses what it must and writes nothing', async () => {
    const blue = await issueBlue();
    const before = await invoiceCount();
    const cases: Array<[unknown, number, string]> = [
      [{ reason: 'issued_in_error', lines: [{ line: 0, quantity: '-1' }] }, 422, 'red_flush_invalid'],
      [{ reason: 'sales_return', lines: [{ line: 0, quantity: '1' }] }, 422, 'red_flush_invalid'],
      [{ reason: 'sales_allowance', lines: [{ line: 9, amount: '-1.00' }] }, 422, 'red_flush_invalid'],
      [{ reason: 'sales_return', lines: [{ line: 0, quantity: '-3' }] }, 409, 'red_flush_exceeds_blue'],
      [{ reason: 'void' }, 422, 'red_flush_invalid'],
      [[], 422, 'red_flush_invalid'],
    ];
    for (const [json, status, code] of cases) {
      const answer = await flush(String(blue.id), json);
      expect([answer.status, answer.body.code], JSON.stringify(json)).toEqual([status, code]);
    }
    const malformed = await http(url(`/v1/invoices/${String(blue.id)}/red-flush`), { key: t.key, idempotencyKey: 'bad-json', raw: '{"reason":' });
    expect(malformed.status).toBe(400);
    const noKey = await http(url(`/v1/invoices/${String(blue.id)}/red-flush`), { key: t.key, json: { reason: 'sales_allowance' } });
    expect([noKey.status, noKey.body.code]).toEqual([400, 'idempotency_key_missing']);
    const readOnly = await http(url(`/v1/invoices/${String(blue.id)}/red-flush`), { key: t.readOnlyKey, idempotencyKey: 'ro', json: { reason: 'sales_allowance' } });
    expect(readOnly.status).toBe(403);
    const otherSeller = await http(url(`/v1/invoices/${String(blue.id)}/red-flush`), { key: t.otherKey, idempotencyKey: 'other', json: { reason: 'sales_allowance' } });
    expect([otherSeller.status, otherSeller.body.code]).toEqual([404, 'not_found']);
    expect((await flush('inv_nonexistent', { reason: 'sales_allowance' })).status).toBe(404);
    expect(await invoiceCount()).toBe(before);

    // A whole red-flush; then the red invoice itself, and the blue once nothing is left, are refused.
    const whole = await flush(String(blue.id), { reason: 'issued_in_error' });
    expect(whole.status).toBe(202);
    expect(whole.body.totals).toMatchObject({ total: '-271.00' });
    expect((await flush(String(whole.body.id), { reason: 'issued_in_error' })).body.code).toBe('red_flush_of_red');
    const nothing = await flush(String(blue.id), { reason: 'sales_allowance' });
    expect([nothing.status, (nothing.body.errors as Array<{ code: string }>)[0]!.code]).toEqual([409, 'red_flush_nothing_left']);
  });

  it('issues each kind of invoice, shows its fields, and flushes 差额征税 whole only, keeping （个人）', async () => {
    // By hand (docs/kinds/*.md): 9 % of 6000.00 including tax is 495.41; of 109000.00, 9000.00; of
    // 2180.00, 180.00; of 327.00, 27.00; (10000.00 − 6000.00) at 6 % is 226.42; 免税 is 0.00.
    const taxes: Record<keyof typeof KIND_REQUESTS, string> = { propertyLease: '495.41', construction: '9000.00', freight: '180.00', passenger: '27.00', differential: '226.42', exemptForPerson: '0.00' };
    for (const [kind, build] of Object.entries(KIND_REQUESTS) as Array<[keyof typeof KIND_REQUESTS, () => Record<string, unknown>]>) {
      const blue = await issueBlue(build());
      expect(blue, kind).toMatchObject({ status: 'issued', totals: { tax: taxes[kind] } });
    }
    const differential = await issueBlue(KIND_REQUESTS.differential());
    expect(differential).toMatchObject({ taxation: 'differential', lines: [{ deduction: '6000.00', tax: '226.42' }], totals: { total: '10000.00' } });
    const before = await invoiceCount();
    const partial = await flush(String(differential.id), { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.00' }] });
    expect(partial.status).toBe(422);
    expect(partial.body.errors).toMatchObject([{ path: '/lines', code: 'red_differential_partial' }]);
    expect(await invoiceCount()).toBe(before);
    const whole = await flush(String(differential.id), { reason: 'issued_in_error' });
    expect(whole.status).toBe(202);
    expect(await issued(String(whole.body.id))).toMatchObject({ status: 'issued', taxation: 'differential', totals: { total: '-10000.00' } });

    const person = await issueBlue(KIND_REQUESTS.exemptForPerson());
    expect(person).toMatchObject({ buyer: { name: '张三（个人）', naturalPerson: true }, payee: '李出纳', reviewer: '赵复核', lines: [{ policy: 'exempt', taxRate: 'free' }] });
    const red = await flush(String(person.id), { reason: 'issued_in_error' });
    expect(await issued(String(red.body.id))).toMatchObject({ status: 'issued', buyer: { name: '张三（个人）' } });
    const lease = await issueBlue(KIND_REQUESTS.propertyLease());
    expect(lease.specific).toMatchObject({ kind: 'property_lease', certificateNo: '浙(2020)杭州市不动产权第0012345号' });
  });

  it('refuses an invoice that is not issued', async () => {
    simulator.setFaults({ processingMs: 60_000 });
    try {
      const answer = await http(url('/v1/invoices'), { key: t.key, idempotencyKey: `pending-${++orders}`, json: { ...GOODS, orderNo: `RED-PENDING-${orders}` } });
      const refused = await flush(String(answer.body.id), { reason: 'issued_in_error' });
      expect([refused.status, refused.body.code]).toEqual([409, 'invoice_not_issued']);
    } finally {
      simulator.setFaults({ processingMs: 0 });
    }
  });

  it('keeps the audit trail intact, with the red-flush on the blue invoice', async () => {
    const verdict = await verifyAuditChain(t.gateway.store.db, t.gateway.store.capabilities);
    expect(verdict).toMatchObject({ ok: true });
    const entries = await t.gateway.store.db.selectFrom('audit_log').select('event').where('event', '=', 'red_flush_requested').execute();
    expect(entries.length).toBeGreaterThan(0);
  });
});

describe(`a 红字确认单 on ${DIALECT}`, () => {
  let confirming: RunningSimulator;
  let g: TestGateway;

  beforeAll(async () => {
    confirming = await startSimulator({ dataDir: join(work, 'sim-confirm'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, confirmation: 'required' });
    g = await startTestGateway({ channels: [{ name: 'sim', url: confirming.url }] });
  });

  afterAll(async () => {
    await g.close();
    await confirming.close();
  });

  const read = async (id: string) => (await http(`${g.gateway.url}/v1/invoices/${id}`, { key: g.key })).body;
  const settled = (id: string, done: (invoice: Record<string, unknown>) => boolean) =>
    eventually(async () => {
      const invoice = await read(id);
      return done(invoice) ? invoice : undefined;
    }, 15_000, async () => JSON.stringify(await read(id)));
  const answer = (billNo: string, agree: boolean) => http(`${confirming.url}/_admin/confirmations/${billNo}`, { json: { agree } });

  it('waits for the counterparty on a special invoice, issues once confirmed, and ends refused when refused', async () => {
    const issued = await http(`${g.gateway.url}/v1/invoices`, { key: g.key, idempotencyKey: 'special-1', json: { ...validSpecialRequest(), orderNo: 'SPECIAL-1' } });
    const blue = await settled(String(issued.body.id), (invoice) => invoice.status === 'issued');
    const flushed = await http(`${g.gateway.url}/v1/invoices/${String(blue.id)}/red-flush`, { key: g.key, idempotencyKey: 'special-red-1', json: { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.00' }] } });
    expect(flushed.status).toBe(202);
    const waiting = await settled(String(flushed.body.id), (invoice) => invoice.stage === 'awaiting_confirmation');
    expect(waiting).toMatchObject({ status: 'pending', stage: 'awaiting_confirmation', confirmation: { status: '02' } });
    const billNo = String((waiting.confirmation as { billNo: string }).billNo);
    // Nothing issued while the form waits; the amount is held meanwhile.
    expect(confirming.ledger.issued(Date.now()).some((record) => record.kind === 'red')).toBe(false);
    expect((await read(String(blue.id))).redFlushableTotal).toBe('960.00');

    expect((await answer(billNo, true)).status).toBe(200);
    const red = await settled(String(flushed.body.id), (invoice) => invoice.status === 'issued');
    expect(red).toMatchObject({ kind: 'red', confirmation: { status: '04', billNo } });
    expect(confirming.ledger.issued(Date.now()).find((record) => record.number === red.number)).toMatchObject({ kind: 'red', blueNumber: blue.number, total: '-100.00' });
    expect((await answer(billNo, false)).status).toBe(409);

    const second = await http(`${g.gateway.url}/v1/invoices/${String(blue.id)}/red-flush`, { key: g.key, idempotencyKey: 'special-red-2', json: { reason: 'sales_allowance', lines: [{ line: 0, amount: '-60.00' }] } });
    const secondWaiting = await settled(String(second.body.id), (invoice) => invoice.stage === 'awaiting_confirmation');
    expect((await answer(String((secondWaiting.confirmation as { billNo: string }).billNo), false)).status).toBe(200);
    const refused = await settled(String(second.body.id), (invoice) => invoice.status === 'rejected');
    expect(refused).toMatchObject({ confirmation: { status: '05' }, lastError: { code: 'upstream_confirmation_05' } });
    // A refused form gives its amount back.
    expect((await read(String(blue.id))).redFlushableTotal).toBe('960.00');
  });

  it('cannot withdraw a form through a channel that offers no way to (the reference protocol)', async () => {
    const issued = await http(`${g.gateway.url}/v1/invoices`, { key: g.key, idempotencyKey: 'special-w', json: { ...validSpecialRequest(), orderNo: 'SPECIAL-W' } });
    const blue = await settled(String(issued.body.id), (invoice) => invoice.status === 'issued');
    const flushed = await http(`${g.gateway.url}/v1/invoices/${String(blue.id)}/red-flush`, { key: g.key, idempotencyKey: 'special-w-red', json: { reason: 'sales_allowance', lines: [{ line: 0, amount: '-10.00' }] } });
    await settled(String(flushed.body.id), (invoice) => invoice.stage === 'awaiting_confirmation');
    const refused = await http(`${g.gateway.url}/v1/invoices/${String(flushed.body.id)}/withdraw`, { key: g.key, json: {} });
    expect(refused).toMatchObject({ status: 409, body: { code: 'withdraw_unsupported' } });
    expect((await read(String(flushed.body.id))).stage).toBe('awaiting_confirmation');
  });
});

describe(`red-flush through 诺诺 on ${DIALECT}`, () => {
  const CREDENTIALS = { appKey: 'SIMAPPKEY', appSecret: 'sim-app-secret' };
  let nuonuo: RunningSimulator;
  let g: TestGateway;

  beforeAll(async () => {
    // Answers lost on the way back, now and then, for the form as for the blue invoice.
    nuonuo = await startSimulator({ dataDir: join(work, 'sim-nuonuo'), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, resetRate: 0.3, processingMs: 50 }, protocol: { kind: 'nuonuo', credentials: CREDENTIALS }, confirmation: 'required' });
    g = await startTestGateway({ channels: [{ name: 'nuonuo', protocol: 'nuonuo', url: `${nuonuo.url}/open/v1/services`, tokenUrl: `${nuonuo.url}/accessToken`, ...CREDENTIALS, settleWindowMs: 300 }] });
  });

  afterAll(async () => {
    await g.close();
    await nuonuo.close();
  });

  const { read, settled, issue, redFlushOf } = providerClient(() => g);

  it('files a 红字确认单 and issues the red invoice once, linked both ways, through lost answers', async () => {
    const blue = await issue(GOODS, 'NN-BLUE-1');
    const partial = await settled(await redFlushOf(blue.id, 'nn-red-1', { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }), (invoice) => invoice.status === 'issued');
    expect(partial).toMatchObject({ kind: 'red', channel: 'nuonuo', blueNumber: blue.number, confirmation: { status: '01' }, totals: { total: '-109.00' } });
    const allowance = await settled(await redFlushOf(blue.id, 'nn-red-2', { reason: 'sales_allowance', lines: [{ line: 1, amount: '-50.00' }] }), (invoice) => invoice.status === 'issued');
    expect(await read(String(blue.id))).toMatchObject({ redFlushes: [{ id: partial.id, status: 'issued' }, { id: allowance.id, status: 'issued' }], redFlushableTotal: '109.00' });
    // One form and one red invoice each, however many answers were lost.
    const reds = nuonuo.ledger.issued(Date.now() + 1000).filter((record) => record.kind === 'red');
    expect(reds.map((record) => [record.number, record.total]).sort()).toEqual([[partial.number, '-109.00'], [allowance.number, '-53.00']].sort());
    expect(nuonuo.ledger.formsOf(String(blue.number))).toHaveLength(2);
  });

  it('waits for the counterparty on a special invoice’s form, and issues once it is confirmed', async () => {
    const blue = await issue(validSpecialRequest(), 'NN-SPECIAL-1');
    const id = await redFlushOf(blue.id, 'nn-special-red-1', { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.00' }] });
    const waiting = await settled(id, (invoice) => invoice.stage === 'awaiting_confirmation');
    expect(waiting).toMatchObject({ status: 'pending', confirmation: { status: '02' } });
    const billNo = (waiting.confirmation as { billNo: string }).billNo;
    expect((await http(`${nuonuo.url}/_admin/confirmations/${billNo}`, { json: { agree: true } })).status).toBe(200);
    expect(await settled(id, (invoice) => invoice.status === 'issued')).toMatchObject({ kind: 'red', confirmation: { status: '04', billNo } });
  });

  it('withdraws a waiting form (confirmInfoCancel → 08), through lost answers: asked again, it is withdrawn once', async () => {
    const blue = await issue(validSpecialRequest(), 'NN-SPECIAL-2');
    const id = await redFlushOf(blue.id, 'nn-special-red-2', { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.00' }] });
    await settled(id, (invoice) => invoice.stage === 'awaiting_confirmation');
    // An answer lost on the way back is a 503 with Retry-After; asking again finds the form withdrawn already.
    await eventually(async () => {
      const answer = await http(`${g.gateway.url}/v1/invoices/${id}/withdraw`, { key: g.key, json: {} });
      if (answer.status === 503) expect(answer.headers['retry-after']).toBe('30');
      return answer.status === 202 || (answer.status === 409 && (await read(id)).status === 'rejected') ? true : undefined;
    }, 10_000, () => 'never withdrawn');
    expect(await settled(id, (invoice) => invoice.status === 'rejected')).toMatchObject({ confirmation: { status: '08' }, lastError: { code: 'upstream_confirmation_08' } });
    expect(nuonuo.ledger.formsOf(String(blue.number)).map((form) => form.status)).toEqual(['08']);
    expect((await read(String(blue.id))).redFlushableTotal).toBe('1060.00');
  });
});

describe(`red-flush through 百望 on ${DIALECT}`, () => {
  const APP = { appKey: 'BWAPPKEY', appSecret: 'bw-app-secret', username: 'bw-user', password: 'bw-password', salt: 'bw-salt' };
  let baiwang: RunningSimulator;
  let g: TestGateway;

  beforeAll(async () => {
    // Answers lost on the way back, now and then, for the form as for the blue invoice.
    baiwang = await startSimulator({ dataDir: join(work, 'sim-baiwang'), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, resetRate: 0.2, processingMs: 50 }, protocol: { kind: 'baiwang', credentials: APP }, confirmation: 'required' });
    g = await startTestGateway({ channels: [{ name: 'baiwang', protocol: 'baiwang', url: `${baiwang.url}/router/rest`, ...APP, settleWindowMs: 300 }] });
  });

  afterAll(async () => {
    await g.close();
    await baiwang.close();
  });

  const { read, settled, issue, redFlushOf } = providerClient(() => g);
  const withdraw = (id: string) => http(`${g.gateway.url}/v1/invoices/${id}/withdraw`, { key: g.key, json: {} });

  it('issues a 普票’s red invoice at once (form 01), through lost answers, once', async () => {
    const blue = await issue(GOODS, 'BW-BLUE-1');
    expect(blue).toMatchObject({ channel: 'baiwang', number: expect.stringMatching(/^\d{20}$/) as unknown });
    const red = await settled(await redFlushOf(blue.id, 'bw-red-1', { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }), (invoice) => invoice.status === 'issued');
    expect(red).toMatchObject({ kind: 'red', channel: 'baiwang', blueNumber: blue.number, confirmation: { status: '01' }, totals: { total: '-109.00' } });
    expect(baiwang.ledger.issued(Date.now() + 1000).filter((record) => record.kind === 'red' && record.blueNumber === blue.number)).toHaveLength(1);
  });

  it('withdraws a 专票’s form while it waits for the buyer (08): the red invoice ends rejected and the amount is flushable again', async () => {
    const blue = await issue(validSpecialRequest(), 'BW-SPECIAL-1');
    const redId = await redFlushOf(blue.id, 'bw-special-red-1', { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.00' }] });
    // Not waiting yet, or not a red invoice: nothing to withdraw.
    expect(((await withdraw(String(blue.id))).body as { code: string }).code).toBe('red_not_withdrawable');
    const waiting = await settled(redId, (invoice) => invoice.stage === 'awaiting_confirmation');
    expect(waiting).toMatchObject({ confirmation: { status: '02' } });
    expect((await read(String(blue.id))).redFlushableTotal).toBe('960.00');
    // Another seller's key, a read-only key, no key: as if the invoice did not exist, or refused — and nothing asked upstream.
    const attempts = await Promise.all([g.otherKey, g.readOnlyKey, undefined].map((key) => http(`${g.gateway.url}/v1/invoices/${redId}/withdraw`, { ...(key && { key }), json: {} })));
    expect(attempts.map((attempt) => attempt.status)).toEqual([404, 403, 401]);
    expect((await read(redId)).stage).toBe('awaiting_confirmation');
    // Many at once: one upstream call at a time; the rest are told to come back (503, Retry-After) or find it withdrawn.
    const crowd = await Promise.all(Array.from({ length: 10 }, () => withdraw(redId)));
    expect(crowd.filter((answer) => answer.status === 202).length).toBeGreaterThan(0);
    for (const answer of crowd.filter((one) => one.status !== 202)) {
      expect([409, 503], JSON.stringify(answer.body)).toContain(answer.status);
      if (answer.status === 503) expect(answer.headers['retry-after']).toBe('1');
    }
    const withdrawn = await settled(redId, (invoice) => invoice.status === 'rejected');
    expect(withdrawn).toMatchObject({ confirmation: { status: '08' }, lastError: { code: 'upstream_confirmation_08' } });
    expect((await read(String(blue.id))).redFlushableTotal).toBe('1060.00');
    expect(baiwang.ledger.issued(Date.now() + 1000).some((record) => record.kind === 'red' && record.blueNumber === blue.number)).toBe(false);
    // Once withdrawn, there is nothing more to withdraw; an unknown id is not found.
    expect((await withdraw(redId)).status).toBe(409);
    expect((await withdraw('inv_01KC0000000000000000000000')).status).toBe(404);

    // A second form the buyer confirms (04) is issued.
    const second = await redFlushOf(blue.id, 'bw-special-red-2', { reason: 'sales_allowance', lines: [{ line: 0, amount: '-60.00' }] });
    const secondWaiting = await settled(second, (invoice) => invoice.stage === 'awaiting_confirmation');
    const billNo = (secondWaiting.confirmation as { billNo: string }).billNo;
    expect((await http(`${baiwang.url}/_admin/confirmations/${billNo}`, { json: { agree: true } })).status).toBe(200);
    expect(await settled(second, (invoice) => invoice.status === 'issued')).toMatchObject({ confirmation: { billNo, status: '04' }, totals: { total: '-60.00' } });
  });
});
