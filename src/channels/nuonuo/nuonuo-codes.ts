/**
 * What 诺诺's answers mean for the dispatcher (domain.md §6.1, field-notes §2): the business codes
 * of a submit and a query, and the statuses of an invoice, as outcomes and ChannelErrors. The rule
 * of every adapter holds: only an answer that proves nothing was taken is `retry`; when in doubt,
 * `uncertain` (a query is cheap, a second invoice is not).
 */
import type { QuotaReading } from '../../domain/quota.js';
import { formatFen, parseMoney, type Fen } from '../../domain/money.js';
import type { QueryOutcome } from '../channel.js';
import { ChannelError } from '../channel-error.js';

/** The envelope of every answer of the business gateway. */
export interface NuonuoAnswer {
  readonly code?: string;
  readonly describe?: string;
  readonly result?: unknown;
}

/** One item of queryInvoiceResult's `result` array (the fields we read). */
export interface NuonuoInvoiceItem {
  readonly serialNo?: string;
  readonly orderNo?: string;
  readonly status?: string | number;
  readonly statusMsg?: string;
  readonly failCause?: string;
  readonly invoiceNo?: string;
  readonly allElectronicInvoiceNumber?: string;
  readonly invoiceTime?: string | number;
  readonly exTaxAmount?: string | number;
  readonly taxAmount?: string | number;
  readonly orderAmount?: string | number;
}

/** Credentials or the app itself refused: never retried, the channel waits for an operator. */
const CREDENTIAL_CODES: Readonly<Record<string, string>> = {
  '070101': 'the appKey is not valid',
  '070304': 'the credentials are not valid',
  '070305': 'the credentials are not valid',
  '070306': '诺诺 refuses new tokens: 50 token calls in 30 days are used up',
  '070307': 'the app is of the wrong type for this call',
};

/**
 * A token 诺诺 no longer accepts: fetch a new one once, then send again. 诺诺's own code for it is
 * not in our sources (field-notes §2); these are the simulator's, and an HTTP 401 counts too.
 */
export const TOKEN_REJECTED_CODES: ReadonlySet<string> = new Set(['070301', '070302']);
/** The request's signature or timestamp was refused (the simulator's codes, as above). */
const SIGNATURE_CODE = '070102';
const TIMESTAMP_CODE = '070103';

/**
 * The drawer's session with the tax bureau lapsed (logged out, or 实名认证 due): nothing was taken,
 * and nothing will be until the drawer logs in again. 诺诺's own codes for it are not in our
 * sources (field-notes §2.8); these are the simulator's, and the words 诺诺's messages use count too.
 */
const DRAWER_CODES: Readonly<Record<string, string>> = {
  E9701: 'the drawer (开票员) is logged out of the 电子税务局',
  E9702: 'the drawer (开票员) must confirm their identity (实名认证) at the 电子税务局',
};
const DRAWER_WORDS = /未登录|登录已?失效|重新登录|实名认证|实人认证|身份认证|刷脸/;

/** A business code that refuses the invoice's content: a person must fix it. */
function isContentRefusal(code: string): boolean {
  return code === 'E4000' || /^E91\d\d$/.test(code) || /^E93\d\d$/.test(code);
}

/** The error for an answer that is neither a success nor a code the caller handles itself. */
/** The simulator's code for a quota refusal (诺诺's own is not published); the words are matched too. */
const QUOTA_CODE = 'E9801';
const QUOTA_WORDS = /额度不足|超出.{0,6}额度|额度已用完/;

export function answerError(answer: NuonuoAnswer, action: 'submit' | 'query'): ChannelError {
  const code = answer.code ?? '';
  const words = `${code} ${answer.describe ?? ''}`.trim();
  const credential = CREDENTIAL_CODES[code];
  if (credential) return new ChannelError('auth_failed', 'operator', `${credential} (${words})`, { upstreamCode: code });
  const drawer = DRAWER_CODES[code] ?? (DRAWER_WORDS.test(answer.describe ?? '') ? 'the drawer (开票员) must log in to the 电子税务局 again' : undefined);
  if (drawer) return new ChannelError('drawer_login_required', 'operator', `${drawer}: log in by QR code or SMS in the 诺诺 console (${words})`, { upstreamCode: code });
  if (code === SIGNATURE_CODE) return new ChannelError('auth_failed', 'operator', `the signature was refused: check appSecret (${words})`, { upstreamCode: code });
  if (code === TIMESTAMP_CODE) return new ChannelError('auth_failed', 'operator', `the timestamp was refused: check this machine's clock (${words})`, { upstreamCode: code });
  if (TOKEN_REJECTED_CODES.has(code)) return new ChannelError('auth_failed', 'operator', `the access token was refused again after a new one was fetched (${words})`, { upstreamCode: code });
  // 系统繁忙 and the daily retry limit: the order may be alive upstream, so the serial is kept.
  // The month's 发票额度 cannot cover the order: refused before it was taken, so nothing was issued.
  if (action === 'submit' && (code === QUOTA_CODE || QUOTA_WORDS.test(answer.describe ?? ''))) return new ChannelError('quota_exhausted', 'retry', `the month's invoice quota is used up (${words})`, { upstreamCode: code });
  if (code === 'E9999' || code === 'E9613') return new ChannelError('upstream_unavailable', action === 'submit' ? 'uncertain' : 'retry', words, { upstreamCode: code });
  if (action === 'submit' && isContentRefusal(code)) return new ChannelError('content_rejected', 'rejected', words, { upstreamCode: code });
  return new ChannelError('upstream_error', action === 'submit' ? 'uncertain' : 'retry', `unexpected answer: ${words}`, { upstreamCode: code });
}

/** An amount as 诺诺 writes it (a number or a string) as our two-decimal text; unreadable text as it came. */
function money(value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  const parsed = parseMoney(text, { allowNegative: true });
  return parsed.ok ? formatFen(parsed.fen) : text;
}

/**
 * What one queryInvoiceResult item says. 20/21 are still being issued; 2 is issued; 22 refused;
 * 24 issued but its signature failed, which 诺诺 repairs with reInvoice (the caller does that and
 * keeps polling); 3/31 are paper voids, which a 数电 invoice never reaches.
 */
export function itemOutcome(item: NuonuoInvoiceItem, pollAfterMs: number): QueryOutcome | { readonly kind: 'signature_failed' } {
  const status = String(item.status ?? '');
  switch (status) {
    case '20':
    case '21':
      return { kind: 'accepted', pollAfterMs };
    case '2': {
      const number = item.allElectronicInvoiceNumber || item.invoiceNo;
      if (!number) throw new ChannelError('protocol_error', 'uncertain', 'status 2 (issued) without an invoice number');
      const issuedAt = Number(item.invoiceTime);
      const reported = { amount: money(item.exTaxAmount), tax: money(item.taxAmount), total: money(item.orderAmount) };
      return {
        kind: 'issued',
        number,
        issuedAt: Number.isFinite(issuedAt) && issuedAt > 0 ? issuedAt : Date.now(),
        simulated: false,
        reportedTotals: Object.fromEntries(Object.entries(reported).filter(([, value]) => value !== undefined)),
      };
    }
    case '22':
      return { kind: 'rejected', upstreamCode: 'status_22', message: item.failCause || item.statusMsg || '开票失败' };
    case '24':
      return { kind: 'signature_failed' };
    default:
      throw new ChannelError('protocol_error', 'uncertain', `unknown invoice status ${JSON.stringify(item.status)} (${item.statusMsg ?? ''})`);
  }
}

/**
 * getCreditLine's result as a reading: requestStatus 1 (done) with the three amounts, all
 * tax-excluded; amountUpdateTime is Beijing time ("yyyy-MM-dd HH:mm:ss"). `now` stands in when it
 * is missing. A refresh still running (0) or failed (2) is no reading.
 */
export function creditLineReading(result: unknown, now: number): QuotaReading {
  const item = (Array.isArray(result) ? result[0] : result) as Record<string, unknown> | undefined;
  const given = item?.requestStatus;
  const status = given === undefined ? '1' : typeof given === 'string' || typeof given === 'number' ? String(given) : '?';
  if (status !== '1') throw new ChannelError('upstream_error', 'retry', `getCreditLine: the refresh is ${status === '0' ? 'still running' : 'failed'} (requestStatus ${status})`);
  const fen = (field: string): Fen => {
    const value = item?.[field];
    const parsed = typeof value === 'string' || typeof value === 'number' ? parseMoney(String(value).trim(), { allowNegative: false }) : undefined;
    if (!parsed?.ok) throw new ChannelError('protocol_error', 'retry', `getCreditLine answered without a readable ${field}`);
    return parsed.fen;
  };
  const updated = typeof item?.amountUpdateTime === 'string' ? Date.parse(`${item.amountUpdateTime.replace(' ', 'T')}+08:00`) : NaN;
  return { totalFen: fen('totalCreditLine'), usedFen: fen('usedCreditLine'), remainingFen: fen('availableCreditLine'), asOf: Number.isFinite(updated) ? updated : now };
}
