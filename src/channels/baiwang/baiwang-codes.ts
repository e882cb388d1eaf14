/**
 * 百望's answer codes as data (shared/baiwang.md; odoo's API_REFERENCE §6 and error_catalog.py):
 * what each means for the dispatcher and, in Chinese and English, its likely cause and remedy —
 * the doctor's knowledge base reads the same table. The rule of every adapter holds: only an answer
 * that proves nothing was taken is `retry`; when in doubt, `uncertain`.
 */
import type { Disposition, ChannelErrorCode } from '../channel-error.js';
import { ChannelError } from '../channel-error.js';

/** The envelope of every 百望 answer. */
export interface BaiwangAnswer {
  readonly success?: boolean;
  readonly response?: unknown;
  readonly errorResponse?: { readonly code?: string | number; readonly message?: string; readonly subCode?: string | number; readonly subMessage?: string };
}

/** How the adapter treats a code. */
export type BaiwangCodeKind =
  /** The token is invalid or expired: fetch a new one once, send again (nothing was processed). */
  | 'token'
  /** Refused before any work for the app's own settings: an operator must act. */
  | 'credentials'
  /** Still being processed: ask again later. */
  | 'processing'
  /** Refused for now before any work: safe to send again later. */
  | 'busy'
  /** An earlier call may still be at work: ask before sending again. */
  | 'pending'
  /** The invoice's content or the form's state is refused: a person must fix it. */
  | 'content'
  /** The serial was used before (the simulator's code: 百望's own answer is not documented). */
  | 'repeated'
  /** The month's 发票额度 cannot cover it (the simulator's code: 百望's own is not documented). */
  | 'quota';

export interface BaiwangCode {
  readonly kind: BaiwangCodeKind;
  readonly cause: { readonly zh: string; readonly en: string };
  readonly remedy: { readonly zh: string; readonly en: string };
}

const CHECK_APP = {
  zh: '在百望开放平台核对 appKey、appSecret、用户名、密码与盐值（salt），确认应用已授权该税号；修改配置后运行 fapiao doctor --channel。',
  en: 'Check appKey, appSecret, username, password and salt in the 百望 open platform and that the app is authorised for the tax number; then run fapiao doctor --channel.',
};

export const BAIWANG_CODES: Readonly<Record<string, BaiwangCode>> = {
  '100001': { kind: 'token', cause: { zh: '访问令牌无效。', en: 'The access token is not valid.' }, remedy: { zh: '网关会自动重新获取一次令牌；反复出现时检查多实例是否共用同一数据库。', en: 'The gateway fetches a new token once by itself; if it recurs, check that every process shares one database.' } },
  '100002': { kind: 'token', cause: { zh: '访问令牌已过期（约 8 小时有效）。', en: 'The access token has expired (it lasts about 8 hours).' }, remedy: { zh: '网关会自动刷新令牌，无需处理。', en: 'The gateway renews it by itself; nothing to do.' } },
  '1006': { kind: 'token', cause: { zh: '令牌失效（百望 SDK 所列的令牌过期码）。', en: 'The token lapsed (a token-expired code the 百望 SDK lists).' }, remedy: { zh: '网关会自动重新获取一次令牌。', en: 'The gateway fetches a new token once by itself.' } },
  '100007': { kind: 'credentials', cause: { zh: '签名错误：appSecret 不对，或请求体在签名后被改动（例如代理重写了 JSON）。', en: 'Wrong signature: the appSecret is wrong, or the body changed after it was signed (a proxy rewrote the JSON, say).' }, remedy: { zh: '核对 appSecret；确认网关与百望之间的代理不改写请求体。', en: 'Check the appSecret; make sure no proxy between the gateway and 百望 rewrites request bodies.' } },
  '101': { kind: 'credentials', cause: { zh: '认证失败：用户名、密码或盐值不对。', en: 'Authentication failed: the username, password or salt is wrong.' }, remedy: CHECK_APP },
  '103': { kind: 'credentials', cause: { zh: '授权已过期：应用对该企业的授权需重新办理。', en: 'The authorisation has expired: the app must be authorised for the company again.' }, remedy: { zh: '在百望开放平台重新授权该应用，然后运行 fapiao doctor --channel。', en: 'Authorise the app again in the 百望 open platform, then run fapiao doctor --channel.' } },
  '907': { kind: 'credentials', cause: { zh: '该账号未开通所调用的百望服务。', en: 'The service called is not enabled for this 百望 account.' }, remedy: { zh: '联系百望客户经理开通对应服务后再试。', en: 'Ask your 百望 account manager to enable it, then try again.' } },
  '20019': { kind: 'content', cause: { zh: '发票类型代码不被接受（invoiceTypeCode）。', en: 'The invoice type code (invoiceTypeCode) is not accepted.' }, remedy: { zh: '数电发票用 01（专票）或 02（普票）；检查发票的 type。', en: 'Digital invoices use 01 (special) or 02 (normal); check the invoice type.' } },
  '20020': { kind: 'credentials', cause: { zh: '百望未找到该税号的开票终端。', en: '百望 found no invoicing terminal for the tax number.' }, remedy: { zh: '在百望开通数电开票并配置终端（数电无需税控设备）。', en: 'Enable digital issuing in 百望 and configure the terminal (no tax device is needed for 数电).' } },
  '20023': { kind: 'credentials', cause: { zh: '该税号在百望没有电子发票终端。', en: 'The tax number has no e-invoice terminal at 百望.' }, remedy: { zh: '在百望开通数电开票并配置终端。', en: 'Enable digital issuing in 百望 and configure the terminal.' } },
  '70169': { kind: 'content', cause: { zh: '必填参数为空。', en: 'A required parameter is empty.' }, remedy: { zh: '查看失败原因中的字段，补全发票或销方资料后重新提交。', en: 'See which field the reason names, complete the invoice or the seller profile, and submit again.' } },
  '70170': { kind: 'content', cause: { zh: '请求参数不合法。', en: 'A request parameter is not valid.' }, remedy: { zh: '按失败原因修正发票后重新提交。', en: 'Correct the invoice as the reason says and submit again.' } },
  '70035': { kind: 'content', cause: { zh: '红字确认单状态不允许此操作。', en: "The 红字确认单's state does not allow this operation." }, remedy: { zh: '查询确认单当前状态（GET /v1/invoices/{id}）；已作废或已撤销的确认单需重新红冲。', en: 'Look at the form\'s state (GET /v1/invoices/{id}); a void or revoked form needs a new red flush.' } },
  '606': { kind: 'processing', cause: { zh: '发票仍在处理中。', en: 'The invoice is still being processed.' }, remedy: { zh: '无需处理：网关会稍后再查询。', en: 'Nothing to do: the gateway asks again later.' } },
  '99': { kind: 'pending', cause: { zh: '上一次请求仍在处理中。', en: 'An earlier request is still being processed.' }, remedy: { zh: '网关会先查询再决定是否重发，不会重复开票。', en: 'The gateway queries before any resend; nothing is issued twice.' } },
  '410': { kind: 'busy', cause: { zh: '税局服务暂时不可用。', en: "The tax bureau's service is unavailable for now." }, remedy: { zh: '网关会自动重试；持续出现时查看百望服务公告。', en: "The gateway retries by itself; if it lasts, check 百望's service notices." } },
  '411': { kind: 'busy', cause: { zh: '税局处理暂时失败。', en: 'The bureau failed to process it for now.' }, remedy: { zh: '网关会自动重试。', en: 'The gateway retries by itself.' } },
  '416': { kind: 'busy', cause: { zh: '系统繁忙。', en: 'The system is busy.' }, remedy: { zh: '网关会自动重试并放慢速度。', en: 'The gateway retries by itself, more slowly.' } },
  '14': { kind: 'busy', cause: { zh: '当日查验次数已用完。', en: "The day's verification (查验) allowance is used up." }, remedy: { zh: '次日再试，或联系百望提高额度。', en: 'Try again tomorrow, or ask 百望 for a higher allowance.' } },
  '402': { kind: 'busy', cause: { zh: '该发票当日查验次数已达上限。', en: "This invoice's verifications for the day reached the limit." }, remedy: { zh: '次日再试。', en: 'Try again tomorrow.' } },
  '70173': { kind: 'repeated', cause: { zh: '流水号（serialNo）已使用（模拟器的约定：百望对重复流水号的应答未公开）。', en: "The serial (serialNo) was used before (the simulator's convention: 百望's answer to a repeated serial is not published)." }, remedy: { zh: '无需处理：网关查询原发票的结果，不会重复开票。', en: 'Nothing to do: the gateway queries the first invoice; nothing is issued twice.' } },
  '70180': { kind: 'quota', cause: { zh: '当月发票额度不足（模拟器的代码：百望的代码未公开）。', en: "The month's invoice quota is used up (the simulator's code: 百望's own is not published)." }, remedy: { zh: '向主管税务机关申请调增额度；发票会等待额度（awaiting_quota）。', en: 'Ask the tax office for a raise; the invoices wait for quota (awaiting_quota).' } },
};

/** The codes the doctor reports when 百望 refuses its harmless query: each is a finding `upstream.baiwang_<code>`. */
export const BAIWANG_FINDINGS: Readonly<Record<string, BaiwangCode>> = Object.fromEntries(Object.entries(BAIWANG_CODES).filter(([, entry]) => entry.kind === 'credentials'));

const QUOTA_WORDS = /额度不足|超出.{0,6}额度|额度已用完/;

/** The code of an error answer as text ('' when it has none). */
export function answerCode(answer: BaiwangAnswer): string {
  const code = answer.errorResponse?.code;
  return code === undefined ? '' : String(code);
}

/** The kind of an error answer; undefined for a code the table does not know. */
export function codeKind(answer: BaiwangAnswer): BaiwangCodeKind | undefined {
  const known = BAIWANG_CODES[answerCode(answer)];
  if (known) return known.kind;
  return QUOTA_WORDS.test(answer.errorResponse?.message ?? '') ? 'quota' : undefined;
}

function words(answer: BaiwangAnswer): string {
  const error = answer.errorResponse;
  return [error?.code, error?.message, error?.subCode, error?.subMessage].filter((part) => part !== undefined && part !== '').join(' ');
}

/** The error for an answer that is neither a success nor a kind the caller handles itself. */
export function answerError(answer: BaiwangAnswer, action: 'submit' | 'query'): ChannelError {
  const code = answerCode(answer);
  const said = words(answer) || 'no errorResponse';
  const make = (our: ChannelErrorCode, disposition: Disposition, message: string) => new ChannelError(our, disposition, message, { upstreamCode: code || 'none' });
  switch (codeKind(answer)) {
    case 'token':
      return make('auth_failed', 'operator', `the access token was refused again after a new one was fetched (${said})`);
    case 'credentials':
      return make('auth_failed', 'operator', `${BAIWANG_CODES[code]?.cause.en ?? 'refused'} (${said})`);
    case 'busy':
      return make('upstream_unavailable', 'retry', said);
    case 'quota':
      return action === 'submit' ? make('quota_exhausted', 'retry', `the month's invoice quota is used up (${said})`) : make('upstream_error', 'retry', said);
    case 'content':
      return action === 'submit' ? make('content_rejected', 'rejected', said) : make('upstream_error', 'retry', said);
    case 'pending':
    case 'processing':
    case 'repeated':
    case undefined:
      return make('upstream_error', action === 'submit' ? 'uncertain' : 'retry', `unexpected answer: ${said}`);
  }
}
