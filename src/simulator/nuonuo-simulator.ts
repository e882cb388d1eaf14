/**
 * The simulator speaking 诺诺's protocol (shared/api.md "The simulator speaking 诺诺's protocol"):
 * POST /accessToken (client_credentials) and POST /open/v1/services with the envelope, the
 * signature, the token and the timestamp checked as 诺诺 checks them, E9106 per seller and order
 * number, and statuses with 诺诺's lag: E9500 for a moment after acceptance, then 20, 21, and 2 or
 * 22. It stands for somebody else's server, so it verifies signatures with its own code rather than
 * the gateway's adapter.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatFen, parseMoney, sumFen, type Fen } from '../domain/money.js';
import type { Faults } from './faults.js';
import { orderKindRefusal, type OrderFields } from './nuonuo-order-rules.js';
import { invoiceSerialNum, nuonuoAnswer as answer, nuonuoRedDesk } from './nuonuo-red-desk.js';
import type { LedgerRecord, SimulatorLedger } from './simulator-ledger.js';
import type { SimulatorQuota } from './simulator-quota.js';
import type { SimulatorClock } from './simulator-clock.js';
import { beijingTime } from '../domain/beijing-time.js';

const beijingDateTime = (ms: number) => beijingTime(ms).slice(0, 19).replace('T', ' ');

export interface NuonuoCredentials {
  readonly appKey: string;
  readonly appSecret: string;
}

/** What every protocol of the simulator shares: the faults applied before work, and resets. */
export interface SimulatorGate {
  faults(): Faults;
  /** The faults before any work; false when the call has been answered (or dropped) already. */
  before(reply: FastifyReply): Promise<boolean>;
  reset(request: FastifyRequest, reply: FastifyReply): void;
}

// The simulator's codes where 诺诺's own are not published (docs/api.md lists them).
const CODES = {
  signature: ['070102', '签名校验失败'],
  timestamp: ['070103', '时间戳已过期或超前'],
  token: ['070301', 'accessToken无效或已过期'],
  appKey: ['070101', 'appKey无效'],
  loggedOut: ['E9701', '开票员未登录电子税务局，请扫码登录'],
  identity: ['E9702', '开票员需进行实名认证（刷脸）后才能开票'],
  quota: ['E9801', '当月发票额度不足'],
} as const;
const TIMESTAMP_WINDOW_S = 300;
const TOKEN_LIFETIME_S = 86_400;

interface OrderDetail {
  taxIncludedAmount?: unknown;
  taxExcludedAmount?: unknown;
  tax?: unknown;
}
interface Order {
  orderNo?: unknown;
  salerTaxNum?: unknown;
  buyerName?: unknown;
  invoiceDetail?: unknown;
}

function fen(value: unknown): Fen | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = parseMoney(value, { allowNegative: true });
  return parsed.ok ? parsed.fen : undefined;
}

/** The three totals of an order, summed from its lines; undefined when a line's amounts are unreadable. */
function orderTotals(details: readonly OrderDetail[]): { exTax: Fen; tax: Fen; total: Fen } | undefined {
  const exTax = details.map((line) => fen(line.taxExcludedAmount));
  const tax = details.map((line) => fen(line.tax));
  const total = details.map((line) => fen(line.taxIncludedAmount));
  if ([...exTax, ...tax, ...total].some((value) => value === undefined)) return undefined;
  return { exTax: sumFen(exTax as Fen[]), tax: sumFen(tax as Fen[]), total: sumFen(total as Fen[]) };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function registerNuonuoRoutes(
  app: FastifyInstance,
  options: {
    readonly ledger: SimulatorLedger;
    readonly gate: SimulatorGate;
    readonly credentials: NuonuoCredentials;
    readonly confirmation: 'none' | 'required';
    readonly quota: SimulatorQuota;
    readonly clock: SimulatorClock;
  },
): { tokenCalls(): number } {
  const { ledger, gate, credentials, quota, clock } = options;
  const redDesk = nuonuoRedDesk({ ledger, faults: () => gate.faults(), confirmation: options.confirmation, quota, clock });
  const tokens = new Map<string, number>();
  let tokenCalls = 0;

  /** The 数电 drawer's session with the tax bureau (PUT /_admin/drawer changes it). */
  const drawer = { loggedIn: true, identityConfirmed: true };

  // 诺诺's routes in their own scope: their bodies are kept as text (the signature covers them
  // exactly as sent), while /_admin keeps Fastify's JSON parsing.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerProtocolRoutes(scope);
  });

  app.get('/_admin/drawer', async () => drawer);
  app.put('/_admin/drawer', async (request, reply) => {
    const update = request.body as Record<string, unknown> | null;
    if (typeof update !== 'object' || update === null || Array.isArray(update)) return reply.code(400).send({ error: 'expected a JSON object' });
    for (const [key, value] of Object.entries(update)) {
      if (key !== 'loggedIn' && key !== 'identityConfirmed') return reply.code(400).send({ error: `unknown field ${key}: loggedIn, identityConfirmed` });
      if (typeof value !== 'boolean') return reply.code(400).send({ error: `${key} must be true or false` });
      drawer[key] = value;
    }
    return drawer;
  });

  function registerProtocolRoutes(app: FastifyInstance): void {
    app.post('/accessToken', async (request, reply) => {
      if (!(await gate.before(reply))) return reply;
      tokenCalls++;
      const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
      if (form.get('grant_type') !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
      if (form.get('client_id') !== credentials.appKey || form.get('client_secret') !== credentials.appSecret) {
        return reply.code(400).send({ error: 'invalid_client', error_description: 'client_id 或 client_secret 错误' });
      }
      const token = randomBytes(16).toString('hex');
      tokens.set(token, Date.now() + TOKEN_LIFETIME_S * 1000);
      return { access_token: token, expires_in: TOKEN_LIFETIME_S };
    });

    /** The simulator's clock, shifted like its Date header by the clock-skew fault. */
    const now = () => Date.now() + gate.faults().clockSkewSeconds * 1000;

    /** The envelope's checks, in 诺诺's order; an answer to send when one fails. */
    function refusal(request: FastifyRequest, body: string): ReturnType<typeof answer> | undefined {
      const query = request.query as Record<string, string | undefined>;
      const { senid = '', nonce = '', timestamp = '', appkey = '' } = query;
      if (appkey !== credentials.appKey) return answer(...CODES.appKey);
      const signed = `a=services&l=v1&p=open&k=${appkey}&i=${senid}&n=${nonce}&t=${timestamp}&f=${body}`;
      const expected = createHmac('sha1', credentials.appSecret).update(signed, 'utf8').digest('base64');
      const given = request.headers['x-nuonuo-sign'];
      if (typeof given !== 'string' || !sameText(given, expected)) return answer(...CODES.signature);
      if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) - now() / 1000) > TIMESTAMP_WINDOW_S) return answer(...CODES.timestamp);
      const token = request.headers.accesstoken;
      const expiresAt = typeof token === 'string' ? tokens.get(token) : undefined;
      if (expiresAt === undefined || expiresAt <= Date.now()) return answer(...CODES.token);
      return undefined;
    }

    app.post('/open/v1/services', async (request, reply) => {
      if (!(await gate.before(reply))) return reply;
      const body = typeof request.body === 'string' ? request.body : '';
      const refused = refusal(request, body);
      if (refused) return refused;
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return answer('E4000', '请求报文不是合法的 JSON');
      }
      const method = request.headers.method;
      if (method === 'nuonuo.OpeMplatform.requestBillingNew') return requestBilling(request, reply, payload.order as Order | undefined);
      if (method === 'nuonuo.OpeMplatform.queryInvoiceResult') return queryResult(payload);
      if (method === 'nuonuo.OpeMplatform.reInvoice') return answer('E0000', '开票中（重试中）');
      if (method === 'nuonuo.OpeMplatform.getCertificationStatus') return certificationStatus(payload);
      if (method === 'nuonuo.OpeMplatform.getCreditLine') return creditLine(request, payload);
      const red = typeof method === 'string' ? redDesk.handle(method, payload) : undefined;
      if (red) {
        // The work is done; its answer may still be lost on the way back, as for an issue.
        const faults = gate.faults();
        if (red.code === 'E0000' && Math.random() < faults.resetRate) return gate.reset(request, reply);
        if (red.code === 'E0000' && Math.random() < faults.dropResponseRate) return reply.hijack();
        return red;
      }
      return answer('E9999', `the simulator does not implement ${String(method)}`);
    });
  }

  /** queryType 2: the login (0 logged out, 1 in); 1: the identity check (1 confirmed, 2 pending). */
  function certificationStatus(payload: Record<string, unknown>) {
    const queryType = typeof payload.queryType === 'number' ? String(payload.queryType) : payload.queryType;
    if (queryType === '2') return answer('E0000', '', { certificationStatus: drawer.loggedIn ? '1' : '0' });
    if (queryType === '1') return answer('E0000', '', { certificationStatus: drawer.identityConfirmed ? '1' : '2' });
    return answer('E4000', 'queryType 只支持 1（身份认证状态）与 2（登录状态）');
  }

  /**
   * getCreditLine (field-notes §2.9): the seller's month as 诺诺 last had it from the bureau;
   * queryType 0 asks 诺诺 to refresh, 1 reads. The seller is the payload's taxnum or the
   * third-party app's userTax header. At most 20 a day and 30 s apart, as 诺诺 allows.
   */
  const creditReads = new Map<string, { day: string; count: number; last: number }>();
  function creditLine(request: FastifyRequest, payload: Record<string, unknown>) {
    const header = request.headers.usertax;
    const taxnum = typeof payload.taxnum === 'string' && payload.taxnum !== '' ? payload.taxnum : typeof header === 'string' ? header : '';
    if (taxnum === '') return answer('E4000', 'taxnum 必填');
    const queryType = typeof payload.queryType === 'number' ? String(payload.queryType) : payload.queryType;
    if (queryType !== '0' && queryType !== '1') return answer('E4000', 'queryType 只支持 0（刷新）与 1（查询）');
    const at = clock.now();
    const day = beijingDateTime(at).slice(0, 10);
    const reads = creditReads.get(taxnum);
    if (reads && reads.day === day && reads.count >= 20) return answer('E9802', '额度查询次数已达当日上限（20次）');
    if (reads && at - reads.last < 30_000) return answer('E9803', '额度查询过于频繁，请30秒后再试');
    creditReads.set(taxnum, { day, count: reads && reads.day === day ? reads.count + 1 : 1, last: at });
    const figures = quota.figures(taxnum, at);
    if (!figures) return answer('E9804', '未查询到该税号的发票额度');
    return answer('E0000', '', {
      requestStatus: '1',
      totalCreditLine: formatFen(figures.totalFen),
      usedCreditLine: formatFen(figures.usedFen),
      availableCreditLine: formatFen(figures.remainingFen),
      amountUpdateTime: beijingDateTime(figures.updatedAt),
    });
  }

  async function requestBilling(request: FastifyRequest, reply: FastifyReply, order: Order | undefined) {
    if (!order || typeof order.orderNo !== 'string' || typeof order.salerTaxNum !== 'string' || typeof order.buyerName !== 'string') {
      return answer('E4000', 'order.orderNo、salerTaxNum、buyerName 必填');
    }
    if (order.orderNo.length > 20) return answer('E4000', '订单编号长度不能超过20');
    if (!drawer.loggedIn) return answer(...CODES.loggedOut);
    if (!drawer.identityConfirmed) return answer(...CODES.identity);
    const details = Array.isArray(order.invoiceDetail) ? (order.invoiceDetail as OrderDetail[]) : [];
    if (details.length === 0) return answer('E9122', '商品详情为空');
    const totals = orderTotals(details);
    if (!totals) return answer('E9124', '金额格式错误');
    if (totals.exTax + totals.tax !== totals.total) return answer('E9130', '不含税金额+税额≠含税金额');
    const kindRefusal = orderKindRefusal(order as OrderFields, details as unknown as OrderFields[]);
    if (kindRefusal) return answer('E4000', kindRefusal);
    const faults = gate.faults();
    const resetNow = Math.random() < faults.resetRate;
    const resetBeforeWork = Math.random() < 0.5;
    if (resetNow && resetBeforeWork) return gate.reset(request, reply);
    const existing = ledger.find(order.orderNo);
    if (existing && existing.sellerTaxId === order.salerTaxNum) {
      if (resetNow) return gate.reset(request, reply);
      return answer('E9106', '订单编号或流水号不能重复');
    }
    const accepted = clock.now();
    const short = quota.shortfall(order.salerTaxNum, totals.exTax, accepted);
    if (short) return answer(CODES.quota[0], `${CODES.quota[1]}：剩余可用额度${formatFen(short.remainingFen)}元，本张发票不含税金额${formatFen(totals.exTax)}元`);
    const rejected = Math.random() < faults.rejectRate;
    if (!rejected) quota.use(order.salerTaxNum, totals.exTax, accepted);
    const record = ledger.add({
      serialNo: order.orderNo,
      sellerTaxId: order.salerTaxNum,
      orderNo: order.orderNo,
      total: formatFen(totals.total),
      outcome: rejected ? 'rejected' : 'issued',
      reason: rejected ? '购买方纳税人识别号不存在（模拟拒绝）' : null,
      acceptedAt: accepted,
      readyAt: accepted + faults.processingMs,
      payload: JSON.stringify(order),
    });
    if (resetNow) return gate.reset(request, reply);
    if (Math.random() < faults.dropResponseRate) {
      reply.hijack();
      return reply;
    }
    return answer('E0000', '开票提交成功', { invoiceSerialNum: invoiceSerialNum(record.id) });
  }

  /**
   * queryInvoiceResult by 诺诺's serials (`serialNos`, what requestBillingNew returned) or by our
   * order numbers (`orderNos`); when both are given the serials win, as 诺诺's spec says.
   */
  function queryResult(payload: Record<string, unknown>) {
    const listed = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : []);
    const serialNos = listed(payload.serialNos);
    const orderNos = listed(payload.orderNos);
    if (serialNos.length === 0 && orderNos.length === 0) return answer('E9611', '发票流水号或订单号不能全为空');
    if (serialNos.length > 50 || orderNos.length > 50) return answer('E4000', '一次最多查询50个流水号或订单号');
    const at = clock.now();
    const records =
      serialNos.length > 0
        ? serialNos.map((serialNo) => (/^\d{1,20}$/.test(serialNo) ? ledger.findById(Number(serialNo)) : undefined))
        : orderNos.map((orderNo) => {
            redDesk.issueDue(orderNo, at);
            return ledger.find(orderNo);
          });
    const visible = records.flatMap((record) => {
      if (!record) return [];
      if (serialNos.length > 0) redDesk.issueDue(record.orderNo, at);
      const item = itemOf(ledger.find(record.orderNo) ?? record, at);
      return item ? [item] : [];
    });
    if (visible.length === 0) return answer('E9500', '发票不存在');
    return answer('E0000', '', visible);
  }

  /**
   * One record as queryInvoiceResult shows it; undefined in the first moments after acceptance,
   * when 诺诺 answers E9500 for an order it has taken (a tenth of the processing time, at most 200 ms).
   */
  function itemOf(record: LedgerRecord, at: number) {
    const span = record.readyAt - record.acceptedAt;
    if (at < record.acceptedAt + Math.min(200, span / 10)) return undefined;
    const order = JSON.parse(ledger.payloadOf(record.id)) as Order;
    // A red invoice was made from its 红字确认单, which carries lines only for a partial flush.
    const totals = Array.isArray(order.invoiceDetail) ? orderTotals(order.invoiceDetail as OrderDetail[]) : undefined;
    const base = {
      orderNo: record.orderNo,
      serialNo: invoiceSerialNum(record.id),
      salerTaxNum: record.sellerTaxId,
      exTaxAmount: totals ? formatFen(totals.exTax) : '',
      taxAmount: totals ? formatFen(totals.tax) : '',
      orderAmount: record.total,
    };
    if (at < record.readyAt) return { ...base, status: at < record.acceptedAt + span / 2 ? '20' : '21', statusMsg: '开票中' };
    if (record.outcome === 'rejected') return { ...base, status: '22', statusMsg: '开票失败', failCause: record.reason ?? '开票失败' };
    return { ...base, status: '2', statusMsg: '开票完成', invoiceNo: record.number, allElectronicInvoiceNumber: record.number, invoiceCode: '', invoiceTime: record.readyAt };
  }

  return { tokenCalls: () => tokenCalls };
}
