/**
 * The simulator speaking 百望云's protocol (docs/api.md "The simulator speaking 百望's protocol"):
 * POST /router/rest with `method` in the URL — `baiwang.oauth.token` (password and refresh grants),
 * then every business call checked as 百望 checks it (appKey, the MD5 signature over the sorted URL
 * parameters and the exact body, the token, the body's shape for its version), the issue with its
 * synchronous number, the query by serial and by day, and 红字确认单s with their states. It stands
 * for somebody else's server, so it checks signatures with its own code, not the adapter's.
 * What 百望 answers to a repeated serialNo is not documented: this simulator refuses it with 70173.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { beijingTime } from '../domain/beijing-time.js';
import { formatFen, parseMoney, sumFen, type Fen } from '../domain/money.js';
import { quotaMonth } from '../domain/quota.js';
import type { SimulatorGate } from './nuonuo-simulator.js';
import { redRefusal } from './red-check.js';
import type { SimulatorClock } from './simulator-clock.js';
import { CONFIRMATION_WINDOW_MS, type LedgerRecord, type SimulatorLedger } from './simulator-ledger.js';
import type { SimulatorQuota } from './simulator-quota.js';

export interface BaiwangCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly username: string;
  readonly password: string;
  readonly salt: string;
}

const ACCESS_LIFETIME_S = 8 * 3600;
const REFRESH_LIFETIME_S = 30 * 86_400;
const DAY_MS = 86_400_000;

/** Which version and body shape each method takes (API_REFERENCE §3): A v6.0 {taxNo, data}, B v7.0 flat, C v6.0 flat. */
const SHAPES: Readonly<Record<string, 'A' | 'B' | 'C'>> = {
  'baiwang.output.invoice.issue': 'A',
  'baiwang.output.invoice.query': 'A',
  'baiwang.output.redinvoice.add': 'B',
  'baiwang.output.redinvoice.operate': 'B',
  'baiwang.output.redinvoice.formlist': 'B',
  'baiwang.output.redinvoice.redforminfo': 'C',
};

type Json = Record<string, unknown>;
const failure = (code: string, message: string) => ({ success: false, errorResponse: { code, message } });
const success = (response: unknown) => ({ success: true, response });

const beijingCompact = (ms: number) => beijingTime(ms).slice(0, 19).replace(/\D/g, '');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A JSON amount (number or text) as fen; undefined when it is neither. */
function fen(value: unknown): Fen | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) return undefined;
  const parsed = parseMoney(text, { allowNegative: true });
  return parsed.ok ? parsed.fen : undefined;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const missing = (body: Json, fields: readonly string[]) => fields.filter((field) => body[field] === undefined || body[field] === null || body[field] === '');

/** The uuid and the number of the 红字确认单 behind a red record (the simulator's own forms). */
const formUuid = (record: LedgerRecord) => `BWRC${String(record.id).padStart(28, '0')}`;
const formNo = (record: LedgerRecord) => record.billNo ?? `${new Date(record.acceptedAt).toISOString().slice(0, 10).replaceAll('-', '')}${String(record.id).padStart(12, '0')}`;

export function registerBaiwangRoutes(
  app: FastifyInstance,
  options: {
    readonly ledger: SimulatorLedger;
    readonly gate: SimulatorGate;
    readonly credentials: BaiwangCredentials;
    readonly confirmation: 'none' | 'required';
    readonly dedup: boolean;
    readonly quota: SimulatorQuota;
    readonly clock: SimulatorClock;
  },
): { tokenCalls(): number } {
  const { ledger, gate, credentials, quota, clock } = options;
  const tokens = new Map<string, number>();
  const refreshTokens = new Map<string, number>();
  let tokenCalls = 0;

  app.register(async (scope) => {
    // The body is kept as text: the signature covers it exactly as sent.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/router/rest', async (request, reply) => {
      if (!(await gate.before(reply))) return reply;
      const params = request.query as Record<string, string | undefined>;
      const body = typeof request.body === 'string' ? request.body : '';
      if (params.method === 'baiwang.oauth.token') return token(params, body);
      const refused = refusal(params, body);
      if (refused) return refused;
      let payload: Json;
      try {
        const parsed = JSON.parse(body) as unknown;
        if (!isObject(parsed)) return failure('70170', '请求报文须为 JSON 对象');
        payload = parsed;
      } catch {
        return failure('70170', '请求报文不是合法的 JSON');
      }
      const shape = SHAPES[params.method ?? ''];
      if (!shape) return failure('70170', `不支持的方法 ${String(params.method)}`);
      const shapeError = wrongShape(shape, params, payload);
      if (shapeError) return failure('100007', `签名错误：${shapeError}`);
      switch (params.method) {
        case 'baiwang.output.invoice.issue':
          return issue(request, reply, payload);
        case 'baiwang.output.invoice.query':
          return query(payload);
        case 'baiwang.output.redinvoice.add':
          return redAdd(request, reply, payload);
        case 'baiwang.output.redinvoice.operate':
          return redOperate(payload);
        case 'baiwang.output.redinvoice.formlist':
          return formList(payload);
        default:
          return formInfo(payload);
      }
    });
  });

  /** The token call: unsigned; the password grant with SHA-256(password + salt), or a refresh token. */
  function token(params: Record<string, string | undefined>, body: string) {
    tokenCalls++;
    let given: Json;
    try {
      const parsed = JSON.parse(body || '{}') as unknown;
      given = isObject(parsed) ? parsed : {};
    } catch {
      return failure('70170', '请求报文不是合法的 JSON');
    }
    if (params.client_id !== credentials.appKey || given.client_secret !== credentials.appSecret) return failure('101', '认证失败：client_id 或 client_secret 错误');
    if (params.grant_type === 'password') {
      if (given.username !== credentials.username || typeof given.password !== 'string' || !sameText(given.password, sha256(`${credentials.password}${credentials.salt}`))) return failure('101', '认证失败：用户名或密码错误');
    } else if (params.grant_type === 'refresh_token') {
      const expiresAt = params.refresh_token ? refreshTokens.get(params.refresh_token) : undefined;
      if (expiresAt === undefined || expiresAt <= Date.now()) return failure('103', '授权已过期，请重新授权');
      refreshTokens.delete(params.refresh_token!);
    } else {
      return failure('70170', 'grant_type 须为 password 或 refresh_token');
    }
    const access = randomBytes(16).toString('hex');
    const refresh = randomBytes(16).toString('hex');
    tokens.set(access, Date.now() + ACCESS_LIFETIME_S * 1000);
    refreshTokens.set(refresh, Date.now() + REFRESH_LIFETIME_S * 1000);
    return success({ access_token: access, refresh_token: refresh, expires_in: ACCESS_LIFETIME_S, refresh_expires_in: REFRESH_LIFETIME_S, token_type: 'bearer' });
  }

  /** appKey, signature, token — in 百望's order; the answer to send when one fails. */
  function refusal(params: Record<string, string | undefined>, body: string) {
    if (params.appKey !== credentials.appKey) return failure('101', 'appKey 无效');
    const signed = Object.keys(params)
      .filter((key) => key !== 'sign' && params[key] !== undefined && params[key].trim() !== '')
      .sort()
      .map((key) => `${key}${params[key]!}`)
      .join('');
    const expected = createHash('md5').update(`${credentials.appSecret}${signed}${body}${credentials.appSecret}`, 'utf8').digest('hex').toUpperCase();
    if (typeof params.sign !== 'string' || !sameText(params.sign, expected)) return failure('100007', '签名错误');
    const expiresAt = params.token ? tokens.get(params.token) : undefined;
    if (expiresAt === undefined) return failure('100001', 'token 无效');
    if (expiresAt <= Date.now()) return failure('100002', 'token 已过期');
    return undefined;
  }

  /** Why a body does not have its method's shape (a likely 100007 at 百望), or undefined. */
  function wrongShape(shape: 'A' | 'B' | 'C', params: Record<string, string | undefined>, payload: Json): string | undefined {
    const version = shape === 'B' ? '7.0' : '6.0';
    if (params.version !== version) return `${String(params.method)} 须用 version=${version}`;
    if (shape === 'B' && (params.signType !== 'MD5' || params.encryptType !== 'NONE' || params.encryptScope !== '00')) return 'v7.0 方法须带 signType=MD5、encryptType=NONE、encryptScope=00';
    if (shape === 'A' && !isObject(payload.data)) return `${String(params.method)} 的业务参数须放在 data 中`;
    if (shape !== 'A' && payload.data !== undefined) return `${String(params.method)} 的参数须平铺，不带 data`;
    return undefined;
  }

  function issue(request: FastifyRequest, reply: FastifyReply, payload: Json) {
    const data = payload.data as Json;
    const absent = missing(data, ['serialNo', 'invoiceType', 'invoiceTypeCode', 'buyerName', 'invoiceTotalPrice', 'invoiceTotalTax', 'invoiceTotalPriceTax']);
    if (typeof payload.taxNo !== 'string' || payload.taxNo === '') absent.unshift('taxNo');
    if (absent.length > 0) return failure('70169', `必填参数为空：${absent.join('、')}`);
    if (data.invoiceTypeCode !== '01' && data.invoiceTypeCode !== '02') return failure('20019', `发票类型代码 ${String(data.invoiceTypeCode)} 无效（数电：01 专票、02 普票）`);
    if (data.invoiceType !== '0') return failure('70170', 'invoiceType 须为 0（蓝票）；红票请用红字确认单');
    const lines = Array.isArray(data.invoiceDetailsList) ? (data.invoiceDetailsList as Json[]) : [];
    if (lines.length === 0) return failure('70169', '必填参数为空：invoiceDetailsList');
    const price = lines.map((line) => fen(line.goodsTotalPrice));
    const tax = lines.map((line) => fen(line.goodsTotalTax));
    const totals = { price: fen(data.invoiceTotalPrice), tax: fen(data.invoiceTotalTax), total: fen(data.invoiceTotalPriceTax) };
    if ([...price, ...tax, totals.price, totals.tax, totals.total].some((value) => value === undefined)) return failure('70170', '金额格式错误');
    if (sumFen(price as Fen[]) !== totals.price || sumFen(tax as Fen[]) !== totals.tax || totals.price + totals.tax !== totals.total) return failure('70170', '合计金额与明细不符，或金额+税额≠价税合计');
    const serialNo = String(data.serialNo);
    const seller = String(payload.taxNo);
    const faults = gate.faults();
    const resetNow = Math.random() < faults.resetRate;
    if (resetNow && Math.random() < 0.5) return gate.reset(request, reply);
    const existing = options.dedup ? ledger.find(serialNo) : undefined;
    if (existing && existing.sellerTaxId === seller) {
      if (resetNow) return gate.reset(request, reply);
      return failure('70173', '流水号重复');
    }
    const accepted = clock.now();
    const short = quota.shortfall(seller, totals.price, accepted);
    if (short) return failure('70180', `当月发票额度不足：剩余可用额度${formatFen(short.remainingFen)}元，本张发票不含税金额${formatFen(totals.price)}元`);
    const rejected = Math.random() < faults.rejectRate;
    if (!rejected) quota.use(seller, totals.price, accepted);
    const record = ledger.add({
      serialNo,
      sellerTaxId: seller,
      orderNo: serialNo,
      total: formatFen(totals.total),
      outcome: rejected ? 'rejected' : 'issued',
      reason: rejected ? '购买方纳税人识别号不存在（模拟拒绝）' : null,
      acceptedAt: accepted,
      readyAt: accepted + faults.processingMs,
      payload: JSON.stringify(payload),
    });
    if (resetNow) return gate.reset(request, reply);
    if (Math.random() < faults.dropResponseRate) {
      reply.hijack();
      return reply;
    }
    if (rejected) return success({ success: [], fail: [{ serialNo, code: '70170', message: record.reason }] });
    // Still being issued (the processing fault): the number comes to a query.
    if (record.readyAt > clock.now()) return failure('606', '发票开具中，请稍后查询');
    return success({ success: [invoiceItem(record)], fail: [] });
  }

  /** One invoice as the issue answer, the query and the day list show it. */
  function invoiceItem(record: LedgerRecord) {
    const payload = JSON.parse(ledger.payloadOf(record.id)) as Json;
    const data = (isObject(payload.data) ? payload.data : payload);
    const amount = record.kind === 'red' ? fen(payload.invoiceTotalPrice) : fen(data.invoiceTotalPrice);
    const tax = record.kind === 'red' ? fen(payload.invoiceTotalTax) : fen(data.invoiceTotalTax);
    const details = Array.isArray(data.invoiceDetailsList) ? (data.invoiceDetailsList as Json[]) : [];
    return {
      serialNo: record.serialNo,
      invoiceStatus: '00',
      invoiceType: record.kind === 'red' ? '1' : '0',
      sellerTaxNo: record.sellerTaxId,
      invoiceNo: record.number,
      invoiceDate: beijingCompact(record.readyAt),
      invoiceQrCode: `01,32,,${record.number},${record.total},${beijingCompact(record.readyAt).slice(0, 8)},,`,
      invoiceTotalPrice: amount === undefined ? undefined : Number(formatFen(amount)),
      invoiceTotalTax: tax === undefined ? undefined : Number(formatFen(tax)),
      invoiceTotalPriceTax: Number(record.total),
      // 百望 answers the goods with their *简称* (*谷物*燕麦); the simulator marks them alike.
      invoiceDetailsList: details.map((line) => ({ goodsLineNo: line.goodsLineNo, goodsName: `*商品*${typeof line.goodsName === 'string' ? line.goodsName : ''}` })),
    };
  }

  /** A record as a query shows it: issued (00), still being issued (01), or refused (02). */
  function queried(record: LedgerRecord, now: number) {
    if (record.outcome === 'rejected') return { serialNo: record.serialNo, invoiceStatus: '02', sellerTaxNo: record.sellerTaxId, errorMessage: record.reason ?? '开票失败' };
    if (record.readyAt > now) return { serialNo: record.serialNo, invoiceStatus: '01', sellerTaxNo: record.sellerTaxId };
    return invoiceItem(record);
  }

  /** By serial (`data.serialNo`), or a day's invoices (`data.invoiceStartDate` … `invoiceEndDate`, pages of at most 50). */
  function query(payload: Json) {
    const data = payload.data as Json;
    const now = clock.now();
    if (typeof data.serialNo === 'string' && data.serialNo !== '') {
      const record = ledger.find(data.serialNo);
      if (!record || (typeof payload.taxNo === 'string' && payload.taxNo !== '' && record.sellerTaxId !== payload.taxNo)) return success([]);
      // A red invoice exists only once its form allows it.
      if (record.kind === 'red' && !['01', '04', null].includes(formState(record, now))) return success([]);
      return success([queried(record, now)]);
    }
    const start = Date.parse(`${String(data.invoiceStartDate)}T00:00:00+08:00`);
    const end = Date.parse(`${String(data.invoiceEndDate)}T00:00:00+08:00`);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return failure('70169', '必填参数为空：serialNo，或 invoiceStartDate 与 invoiceEndDate（yyyy-MM-dd）');
    const { pageNo, pageSize } = page(data);
    if (pageSize === undefined || pageNo === undefined) return failure('70170', 'pageNo 从 1 起，pageSize 为 1–50');
    const records = ledger.issuedBetween(start, end + DAY_MS, now).filter((record) => typeof payload.taxNo !== 'string' || payload.taxNo === '' || record.sellerTaxId === payload.taxNo);
    return success(records.slice((pageNo - 1) * pageSize, pageNo * pageSize).map(invoiceItem));
  }

  function page(body: Json): { pageNo: number | undefined; pageSize: number | undefined } {
    const pageNo = body.pageNo === undefined ? 1 : Number(body.pageNo);
    const pageSize = body.pageSize === undefined ? 50 : Number(body.pageSize);
    return { pageNo: Number.isInteger(pageNo) && pageNo >= 1 ? pageNo : undefined, pageSize: Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 50 ? pageSize : undefined };
  }

  /** A red record's form state: 01 none needed, 02 waiting, 04 confirmed, 05 refused, 07 lapsed, 08 revoked. */
  function formState(record: LedgerRecord, now: number): string | null {
    if (record.kind !== 'red') return null;
    if (record.confirmation === '02' && now - record.acceptedAt > CONFIRMATION_WINDOW_MS) return '07';
    return record.confirmation ?? '01';
  }

  function formJson(record: LedgerRecord, now: number) {
    const payload = JSON.parse(ledger.payloadOf(record.id)) as Json;
    const state = formState(record, now)!;
    const issued = (state === '01' || state === '04') && record.outcome === 'issued' && record.readyAt <= now;
    return {
      redConfirmUuid: formUuid(record),
      redConfirmNo: formNo(record),
      redConfirmSerialNo: record.serialNo,
      confirmState: state,
      sellerTaxNo: record.sellerTaxId,
      buyerTaxNo: payload.buyerTaxNo,
      originalInvoiceNo: record.blueNumber,
      invoiceTotalPrice: payload.invoiceTotalPrice,
      invoiceTotalTax: payload.invoiceTotalTax,
      redInvoiceLabel: payload.redInvoiceLabel,
      alreadyRedInvoiceFlag: issued ? 'Y' : 'N',
      ...(issued && { redInvoiceNo: record.number, redInvoiceDate: beijingCompact(record.readyAt) }),
      applyDate: beijingCompact(record.acceptedAt),
    };
  }

  function redAdd(request: FastifyRequest, reply: FastifyReply, payload: Json) {
    const absent = missing(payload, ['taxNo', 'redConfirmSerialNo', 'entryIdentity', 'sellerTaxNo', 'buyerTaxName', 'originalInvoiceNo', 'invoiceTotalPrice', 'invoiceTotalTax', 'redInvoiceLabel']);
    if (absent.length > 0) return failure('70169', `必填参数为空：${absent.join('、')}`);
    if (payload.entryIdentity !== '01') return failure('70170', '模拟器只受理销方录入（entryIdentity 01）');
    if (!['01', '02', '03', '04'].includes(String(payload.redInvoiceLabel))) return failure('70170', 'redInvoiceLabel 须为 01–04');
    const price = fen(payload.invoiceTotalPrice);
    const tax = fen(payload.invoiceTotalTax);
    if (price === undefined || tax === undefined) return failure('70170', '金额格式错误');
    const serialNo = String(payload.redConfirmSerialNo);
    const seller = String(payload.sellerTaxNo);
    const blueNumber = String(payload.originalInvoiceNo);
    const faults = gate.faults();
    const resetNow = Math.random() < faults.resetRate;
    if (resetNow && Math.random() < 0.5) return gate.reset(request, reply);
    const existing = ledger.find(serialNo);
    if (existing) {
      if (resetNow) return gate.reset(request, reply);
      return failure('70173', '红字确认单流水号重复');
    }
    const now = clock.now();
    const total = formatFen(price + tax);
    const refusal = redRefusal(ledger, { sellerTaxId: seller, total, blueNumber }, now);
    if (refusal) return failure('70035', refusal);
    const blue = ledger.findByNumber(blueNumber);
    // A same-month red invoice gives its quota back, a 销售折让 (04) does not.
    if (blue && payload.redInvoiceLabel !== '04' && quotaMonth(blue.readyAt) === quotaMonth(now)) quota.use(seller, price, now);
    const needsConfirmation = options.confirmation === 'required' && payload.originInvoiceType === '01';
    const record = ledger.add({
      serialNo,
      sellerTaxId: seller,
      orderNo: serialNo,
      total,
      outcome: 'issued',
      reason: null,
      acceptedAt: now,
      readyAt: now + faults.processingMs,
      payload: JSON.stringify(payload),
      blueNumber,
      ...(needsConfirmation && { needsConfirmation: true }),
    });
    if (resetNow) return gate.reset(request, reply);
    if (Math.random() < faults.dropResponseRate) {
      reply.hijack();
      return reply;
    }
    return success([{ redConfirmUuid: formUuid(record), redConfirmNo: formNo(record), confirmState: formState(record, now) }]);
  }

  function recordOfForm(payload: Json): LedgerRecord | undefined {
    const uuid = typeof payload.redConfirmUuid === 'string' ? payload.redConfirmUuid : '';
    const match = /^BWRC(\d{28})$/.exec(uuid);
    const record = match ? ledger.findById(Number(match[1])) : typeof payload.redConfirmNo === 'string' && payload.redConfirmNo !== '' ? ledger.findByBill(payload.redConfirmNo) : undefined;
    return record && record.kind === 'red' && (typeof payload.sellerTaxNo !== 'string' || payload.sellerTaxNo === '' || record.sellerTaxId === payload.sellerTaxNo) ? record : undefined;
  }

  /** confirmType 01 confirm, 02 deny (by the counterparty of a waiting form), 03 revoke (by who filed it). */
  function redOperate(payload: Json) {
    const record = recordOfForm(payload);
    if (!record) return failure('70035', '红字确认单不存在');
    const state = formState(record, clock.now());
    if (state !== '02' || !record.billNo) return failure('70035', `红字确认单状态 ${String(state)} 不允许此操作`);
    const type = payload.confirmType;
    const changed = type === '03' ? ledger.revokeConfirmation(record.billNo) : type === '01' || type === '02' ? ledger.answerConfirmation(record.billNo, type === '01', clock.now()) : undefined;
    if (!changed) return failure('70170', 'confirmType 须为 01（确认）、02（否认）或 03（撤销）');
    return success([{ redConfirmUuid: formUuid(changed), redConfirmNo: formNo(changed), confirmState: formState(changed, clock.now()) }]);
  }

  function formList(payload: Json) {
    const absent = missing(payload, ['sellerTaxNo', 'invoiceStartDate', 'invoiceEndDate']);
    if (absent.length > 0) return failure('70169', `必填参数为空：${absent.join('、')}`);
    const start = Date.parse(`${String(payload.invoiceStartDate)}T00:00:00+08:00`);
    const end = Date.parse(`${String(payload.invoiceEndDate)}T00:00:00+08:00`);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return failure('70170', 'invoiceStartDate、invoiceEndDate 须为 yyyy-MM-dd');
    const { pageNo, pageSize } = page(payload);
    if (pageSize === undefined || pageNo === undefined) return failure('70170', 'pageNo 从 1 起，pageSize 为 1–50');
    const now = clock.now();
    const forms = ledger.redsAcceptedBetween(String(payload.sellerTaxNo), start, end + DAY_MS);
    return success({ total: forms.length, pageNo, pageSize, list: forms.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((record) => formJson(record, now)) });
  }

  function formInfo(payload: Json) {
    const record = recordOfForm(payload);
    if (!record) return failure('70035', '红字确认单不存在');
    return success(formJson(record, clock.now()));
  }

  return { tokenCalls: () => tokenCalls };
}
