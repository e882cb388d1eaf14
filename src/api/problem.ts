/**
 * API errors as RFC 9457 problem documents: one table of stable codes, each with its HTTP status
 * and a title in English and Chinese. docs/errors.md lists every code; a test keeps them in step.
 */
import type { FastifyReply } from 'fastify';
import type { FieldError } from '../domain/field-error.js';

const CATALOG = {
  json_malformed: [400, 'The body is not valid JSON', '请求内容不是合法的 JSON'],
  body_empty: [400, 'The body is empty', '请求内容为空'],
  json_too_deep: [422, 'The body nests arrays and objects too deep (32 levels at most)', '请求内容嵌套层数过多（最多 32 层）'],
  encoding_invalid: [400, 'The body is not UTF-8; convert it (GBK/GB18030 text must be re-encoded)', '请求内容不是 UTF-8 编码，请转换（GBK/GB18030 需重新编码）'],
  url_invalid: [400, 'The URL cannot be read (bad percent-encoding)', 'URL 无法解析（百分号编码有误）'],
  idempotency_key_missing: [400, 'The Idempotency-Key header is required', '缺少 Idempotency-Key 请求头'],
  idempotency_key_invalid: [400, 'The Idempotency-Key header must be 1–128 printable ASCII characters', 'Idempotency-Key 须为 1–128 个可打印 ASCII 字符'],
  query_invalid: [400, 'The query parameters are invalid', '查询参数有误'],
  request_invalid: [400, 'The request cannot be read', '请求无法解析'],
  api_key_missing: [401, 'An API key is required: Authorization: Bearer <key>', '需要 API 密钥：Authorization: Bearer <密钥>'],
  api_key_invalid: [401, 'The API key is not valid', 'API 密钥无效'],
  api_key_revoked: [401, 'The API key has been revoked', 'API 密钥已吊销'],
  api_key_expired: [401, 'The API key has expired', 'API 密钥已过期'],
  session_invalid: [401, 'Not signed in, or the session has ended: sign in again', '未登录或登录已过期，请重新登录'],
  login_failed: [401, 'Wrong username or password', '用户名或密码错误'],
  second_factor_required: [401, 'This user signs in with a second factor: send the code from the authenticator app as totp (or a recovery code)', '该用户需要双因素认证：请在 totp 中填写身份验证器上的动态口令（或一个恢复码）'],
  second_factor_invalid: [401, 'The second factor’s code is wrong or was used already', '动态口令错误或已使用过'],
  second_factor_enrolment_required: [403, 'This user must set up a second factor before anything else (FAPIAO_CONSOLE_REQUIRE_2FA)', '该用户须先设置双因素认证（FAPIAO_CONSOLE_REQUIRE_2FA）'],
  second_factor_not_offered: [409, 'Ask for a secret first (POST /console/api/second-factor/setup)', '请先获取密钥（POST /console/api/second-factor/setup）'],
  csrf_token_invalid: [403, 'The X-CSRF-Token header is missing or wrong (a write by a console session needs it)', '缺少或错误的 X-CSRF-Token（控制台会话的写操作需要）'],
  scope_missing: [403, 'The API key lacks the scope this needs', 'API 密钥没有此操作所需的权限'],
  seller_forbidden: [403, 'The API key does not act for this seller', 'API 密钥无权为该销售方开票'],
  not_found: [404, 'Not found', '未找到'],
  idempotency_key_reused: [409, 'The Idempotency-Key was used before with a different body', '该 Idempotency-Key 已用于内容不同的请求'],
  order_no_taken: [409, 'This order number was issued before for this seller (under another Idempotency-Key)', '该销售方的此订单号已开过发票（使用了不同的 Idempotency-Key）'],
  quota_exceeded: [409, 'The month’s invoice quota (发票额度) cannot cover this invoice and the request asked to be refused (quotaPolicy "refuse"); nothing was stored', '当月发票额度不足以开具此发票，且请求要求直接拒绝（quotaPolicy "refuse"），未做任何更改'],
  invoice_not_failed: [409, 'Only a failed invoice can be retried', '只有失败的发票可以重试'],
  invoice_not_issued: [409, 'The invoice is not issued: it has no documents yet and cannot be red-flushed', '发票尚未开具：没有版式文件，也不能红冲'],
  red_flush_exceeds_blue: [409, 'The red-flush asks for more than is left of the blue invoice (earlier red invoices counted); nothing was written', '红冲数量或金额超过蓝字发票剩余可冲红部分（已计入此前的红字发票），未做任何更改'],
  red_flush_of_red: [409, 'A red invoice cannot itself be red-flushed', '红字发票不能再红冲'],
  red_not_withdrawable: [409, 'Only a red invoice whose 红字确认单 waits for the counterparty (stage awaiting_confirmation) can be withdrawn', '只有红字确认单正在等待对方确认（awaiting_confirmation）的红字发票可以撤销'],
  withdraw_unsupported: [409, 'The red invoice’s channel cannot withdraw a 红字确认单; withdraw it in the provider’s console', '该红字发票所在通道不支持撤销红字确认单，请在服务商控制台撤销'],
  withdraw_refused: [409, 'The upstream refused to withdraw the 红字确认单 (see detail); nothing changed here', '上游拒绝撤销红字确认单（见 detail），网关未做更改'],
  upstream_unavailable: [503, 'The upstream could not be asked now; retry after Retry-After', '暂时无法访问上游，请按 Retry-After 稍后重试'],
  email_not_configured: [409, 'Invoices are not emailed: the gateway has no FAPIAO_SMTP_URL', '未配置 FAPIAO_SMTP_URL，网关不发送发票邮件'],
  delivery_address_forbidden: [403, 'Only an admin key sends an invoice to an address other than the buyer’s recorded email', '只有管理员密钥可以将发票发送到购买方登记邮箱以外的地址'],
  email_limit_reached: [429, 'This invoice or this key has asked for as many emails as allowed for now; retry after Retry-After', '该发票或该密钥的发送次数已达上限，请按 Retry-After 稍后再试'],
  delivery_address_missing: [422, 'The invoice names no buyer email; give one ({ "email": "…" })', '发票未填写购买方邮箱，请在请求中提供（{ "email": "…" }）'],
  delivery_invalid: [422, 'The delivery request is invalid (see errors)', '发送请求内容有误（见 errors）'],
  quota_invalid: [422, 'The quota settings are invalid (see errors); nothing was written', '额度设置有误（见 errors），未做任何更改'],
  webhook_invalid: [422, 'The webhook subscription is invalid (see errors); nothing was written', 'webhook 订阅内容有误（见 errors），未做任何更改'],
  documents_not_ready: [409, 'The invoice is issued and its documents are being rendered; retry after Retry-After', '发票已开具，版式文件生成中，请按 Retry-After 稍后重试'],
  url_too_long: [414, 'A part of the URL is too long', 'URL 中的某一部分过长'],
  request_timeout: [408, 'The request was not received in time; send it again', '请求未在规定时间内收到，请重新发送'],
  body_too_large: [413, 'The body is too large', '请求内容过大'],
  headers_too_large: [431, 'The request headers are too large', '请求头过大'],
  content_type_unsupported: [415, 'Send the body as application/json', '请以 application/json 发送请求内容'],
  invoice_invalid: [422, 'The invoice request is invalid', '发票请求内容有误'],
  batch_invalid: [422, 'The batch request is invalid (see errors); nothing was stored', '批量开票请求有误（见 errors），未做任何更改'],
  batch_file_invalid: [422, 'The file cannot be read as the 电子税务局 batch template (see problems); nothing was issued', '文件无法按电子税务局批量开票模板读取（见 problems），未开具任何发票'],
  red_flush_invalid: [422, 'The red-flush request breaks a rule (see errors); nothing was written', '红冲请求不符合规则（见 errors），未做任何更改'],
  sign_in_throttled: [429, 'Too many failed sign-ins from here: try again after the time in Retry-After', '登录失败次数过多，请按 Retry-After 稍后再试'],
  overloaded: [503, 'The gateway is busy; retry after the time in Retry-After', '网关繁忙，请按 Retry-After 稍后重试'],
  storage_unavailable: [503, 'The database cannot take writes now (disk full, read-only, I/O error or unreachable); nothing was stored; retry after Retry-After', '数据库暂时无法写入（磁盘已满、只读、I/O 错误或无法连接），未保存任何内容，请按 Retry-After 稍后重试'],
  not_ready: [503, 'The gateway is not ready', '网关尚未就绪'],
  shutting_down: [503, 'This gateway process is stopping; send the request again after Retry-After (another process takes it)', '网关进程正在停止，请按 Retry-After 稍后重发（将由其他节点处理）'],
  internal_error: [500, 'Something went wrong inside the gateway; the request may be retried with the same Idempotency-Key', '网关内部错误，可使用同一 Idempotency-Key 重试'],
} as const satisfies Record<string, readonly [number, string, string]>;

export type ApiProblemCode = keyof typeof CATALOG;
export const API_PROBLEM_CODES = Object.keys(CATALOG) as ApiProblemCode[];

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ApiProblemCode;
  detail: string;
  errors?: Array<Pick<FieldError, 'path' | 'message' | 'messageZh'> & { code: string }>;
}

/** An error a route throws to answer with a problem document. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;

  constructor(
    readonly code: ApiProblemCode,
    readonly detail?: string,
    readonly extras: {
      readonly errors?: readonly FieldError[];
      readonly headers?: Readonly<Record<string, string>>;
      /** Extension members of the problem document (RFC 9457 §3.2), e.g. the invoice it names. */
      readonly members?: Readonly<Record<string, unknown>>;
    } = {},
  ) {
    super(detail ?? CATALOG[code][1]);
    this.status = CATALOG[code][0];
  }
}

export function problemBody(code: ApiProblemCode, detail?: string, errors?: readonly FieldError[]): ProblemBody {
  const [status, en, zh] = CATALOG[code];
  return {
    type: `urn:fapiao-gateway:problem:${code}`,
    title: `${en} / ${zh}`,
    status,
    code,
    detail: detail ?? en,
    ...(errors && { errors: [...errors] }),
  };
}

export function sendProblem(reply: FastifyReply, problem: ApiProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.extras.headers ?? {})) void reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send({ ...problemBody(problem.code, problem.detail, problem.extras.errors), ...problem.extras.members });
}
