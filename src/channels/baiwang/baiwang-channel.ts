/**
 * The channel for 百望云's open platform (router `/router/rest`): `baiwang.output.invoice.issue`
 * to issue under our serial (`serialNo`), `invoice.query` by it to ask, 红字确认单s through
 * `redinvoice.add` (百望 issues the red invoice by itself once the form allows) and followed through
 * `formlist` and `redforminfo`. What 百望 answers to a repeated serial is not documented, so nothing
 * here relies on it: the dispatcher queries before any resend.
 */
import { request, type Agent } from 'undici';
import type { BaiwangChannelConfig } from '../../runtime/config.js';
import type { CallOptions, Channel, ConfirmationForm, IssueRequest, PingResult, QueryOptions, QueryOutcome, UpstreamOutcome, UpstreamRecord } from '../channel.js';
import { ChannelError } from '../channel-error.js';
import { pingAnyAnswer, providerAgent, type ProviderAgentOptions } from '../provider-agent.js';
import type { TokenShelf } from '../token-shelf.js';
import { retryAfterMs, transportError } from '../transport-error.js';
import { answerError, codeKind, type BaiwangAnswer } from './baiwang-codes.js';
import { baiwangTimeText, formOutcome, issueData, issuedOutcome, listRecord, queriedOutcome, redForm, type BaiwangInvoice, type BaiwangRedForm } from './baiwang-invoice.js';
import { baiwangSign, compactJson, routerParams, type BaiwangJson } from './baiwang-sign.js';
import { BaiwangTokenGrant } from './baiwang-token.js';
import { TokenKeeper } from '../token-keeper.js';

export interface BaiwangChannelOptions extends Omit<BaiwangChannelConfig, 'protocol' | 'ratePerSecond'>, ProviderAgentOptions {
  /** How soon to ask again about an invoice 百望 is still issuing, ms. */
  readonly pollAfterMs: number;
  readonly tokens: TokenShelf;
  readonly now?: () => number;
}

/** 百望 answers an issue at once, but nothing documents how soon a query sees it: as for 诺诺. */
const SETTLE_WINDOW_MS = 10 * 60_000;
/** formlist's page (百望: at most 50) and how far back a red serial's form is sought. */
const FORM_PAGE = 50;
const FORM_LOOKBACK_DAYS = 7;
const LIST_PAGE = 50;
const DAY_MS = 86_400_000;

const METHOD = {
  issue: 'baiwang.output.invoice.issue',
  query: 'baiwang.output.invoice.query',
  redAdd: 'baiwang.output.redinvoice.add',
  redList: 'baiwang.output.redinvoice.formlist',
  redInfo: 'baiwang.output.redinvoice.redforminfo',
  redOperate: 'baiwang.output.redinvoice.operate',
} as const;
/** redinvoice.operate's confirmType for 撤销 by whoever filed the form. */
const REVOKE = '03';

type Shape = { readonly version: '6.0' | '7.0' };
/** The three body shapes (API_REFERENCE §3): A v6.0 `{taxNo, data}`, B v7.0 flat, C v6.0 flat. */
const A: Shape = { version: '6.0' };
const B: Shape = { version: '7.0' };
const C: Shape = { version: '6.0' };

const beijingDay = (ms: number) => baiwangTimeText(ms).replace(/^(\d{4})(\d{2})(\d{2}).*$/, '$1-$2-$3');

export class BaiwangChannel implements Channel {
  readonly name: string;
  readonly protocol = 'baiwang';
  readonly settleWindowMs: number;
  private readonly agent: Agent;
  private readonly tokens: TokenKeeper;
  private readonly now: () => number;
  /** The upstream said it is a simulator (x-fapiao-simulator): its invoices are not real. */
  private simulated = false;

  constructor(private readonly config: BaiwangChannelOptions) {
    this.name = config.name;
    this.settleWindowMs = config.settleWindowMs ?? SETTLE_WINDOW_MS;
    this.now = config.now ?? Date.now;
    this.agent = providerAgent(config);
    const grant = new BaiwangTokenGrant({ channel: config.name, url: config.url, appKey: config.appKey, appSecret: config.appSecret, username: config.username, password: config.password, salt: config.salt ?? '', shelf: config.tokens, dispatcher: this.agent, now: this.now });
    this.tokens = new TokenKeeper({ channel: config.name, shelf: config.tokens, now: this.now, fetch: (signal) => grant.fetch(signal) });
  }

  async issue(invoice: IssueRequest, options: CallOptions): Promise<UpstreamOutcome> {
    if (invoice.red) return this.issueRed(invoice, options);
    const answer = await this.call(METHOD.issue, A, { taxNo: invoice.sellerTaxId, data: issueData(invoice) }, 'submit', options);
    if (answer.success === true) {
      const result = answer.response as { success?: BaiwangInvoice[]; fail?: Array<{ code?: string | number; message?: string }> } | undefined;
      const issued = result?.success?.find((item) => item.serialNo === undefined || item.serialNo === invoice.serialNo);
      if (issued) return issuedOutcome(issued, this.simulated) as UpstreamOutcome;
      const failed = result?.fail?.[0];
      if (failed) return { kind: 'rejected', upstreamCode: String(failed.code ?? 'fail'), message: failed.message ?? '百望开票失败' };
      // Taken, and the number not yet given: ask for it.
      return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    }
    const kind = codeKind(answer);
    if (kind === 'processing') return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    if (kind === 'repeated' || kind === 'pending') {
      // 百望 has this serial already (an earlier attempt got through): ask, never send again.
      const known = await this.query(invoice.sellerTaxId, invoice.serialNo, options);
      if (known.kind === 'not_found') throw new ChannelError('protocol_error', 'uncertain', `${String(answer.errorResponse?.code)} (serial taken or in progress) but a query finds no such invoice`, { upstreamCode: String(answer.errorResponse?.code ?? '') });
      return known;
    }
    throw answerError(answer, 'submit');
  }

  /** A red invoice is filed as a 红字确认单 under our serial; 百望 issues it itself once the form allows (autoIssueSwitch Y). */
  private async issueRed(invoice: IssueRequest, options: CallOptions): Promise<UpstreamOutcome> {
    const answer = await this.call(METHOD.redAdd, B, redForm(invoice), 'submit', options);
    const kind = answer.success === true ? undefined : codeKind(answer);
    if (answer.success !== true && kind !== 'repeated' && kind !== 'processing') throw answerError(answer, 'submit');
    // Filed now or before: where it stands is read back the same way either time.
    const known = await this.queryRed(invoice.sellerTaxId, invoice.serialNo, options);
    if (known.kind === 'not_found') return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    return known;
  }

  async query(sellerTaxId: string, serialNo: string, options: QueryOptions): Promise<QueryOutcome> {
    return options.red ? this.queryRed(sellerTaxId, serialNo, options) : this.queryInvoice(sellerTaxId, serialNo, options);
  }

  private async queryInvoice(sellerTaxId: string, serialNo: string, options: CallOptions): Promise<QueryOutcome> {
    const answer = await this.call(METHOD.query, A, { taxNo: sellerTaxId, data: { serialNo } }, 'query', options);
    if (answer.success !== true) {
      if (codeKind(answer) === 'processing') return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
      throw answerError(answer, 'query');
    }
    const found = (Array.isArray(answer.response) ? (answer.response as BaiwangInvoice[]) : []).find((item) => item.serialNo === serialNo);
    // Not seen: proof only once the settle window has passed since the last send (the dispatcher knows when).
    if (!found) return { kind: 'not_found', authoritative: false };
    return queriedOutcome(found, this.simulated, this.config.pollAfterMs);
  }

  /** A red invoice: its form first (the invoice exists only once the form allows it), then the invoice. */
  private async queryRed(sellerTaxId: string, serialNo: string, options: CallOptions): Promise<QueryOutcome> {
    const form = await this.findForm(sellerTaxId, serialNo, options);
    if (!form) return { kind: 'not_found', authoritative: false };
    const outcome = formOutcome(form, this.config.pollAfterMs);
    if (outcome.kind !== 'issuable') return outcome;
    const confirmation = { billNo: form.redConfirmNo ?? form.redConfirmUuid ?? '', status: form.confirmState ?? '' };
    const invoice = await this.queryInvoice(sellerTaxId, serialNo, options);
    if (invoice.kind === 'issued') return { ...invoice, confirmation };
    return invoice.kind === 'not_found' ? { kind: 'accepted', pollAfterMs: this.config.pollAfterMs } : invoice;
  }

  /** redinvoice.operate 03 on the form filed under our serial, while it waits for the buyer (02). */
  async withdrawRed(sellerTaxId: string, serialNo: string, options: CallOptions): Promise<ConfirmationForm> {
    const form = await this.findForm(sellerTaxId, serialNo, options);
    if (!form) throw new ChannelError('upstream_error', 'retry', `百望 lists no 红字确认单 under serial ${serialNo}`);
    const billNo = form.redConfirmNo ?? form.redConfirmUuid ?? '';
    if (form.confirmState !== '02' && form.confirmState !== '03') return { billNo, status: form.confirmState ?? '' };
    const answer = await this.call(METHOD.redOperate, B, { taxNo: sellerTaxId, sellerTaxNo: sellerTaxId, redConfirmUuid: form.redConfirmUuid ?? '', redConfirmNo: form.redConfirmNo ?? '', confirmType: REVOKE, taxUserName: '' }, 'submit', options);
    if (answer.success !== true) throw answerError(answer, 'submit');
    const [after] = formsOf(answer.response);
    return { billNo, status: after?.confirmState ?? '08' };
  }

  /** The form filed under our serial: formlist over the last days, then its detail by uuid. */
  private async findForm(sellerTaxId: string, serialNo: string, options: CallOptions): Promise<BaiwangRedForm | undefined> {
    const end = this.now();
    for (let pageNo = 1; ; pageNo++) {
      const answer = await this.call(
        METHOD.redList,
        B,
        { taxNo: sellerTaxId, sellerTaxNo: sellerTaxId, buySelSelector: '0', entryIdentity: '01', pageNo, pageSize: FORM_PAGE, queryAll: true, invoiceStartDate: beijingDay(end - FORM_LOOKBACK_DAYS * DAY_MS), invoiceEndDate: beijingDay(end) },
        'query',
        options,
      );
      if (answer.success !== true) throw answerError(answer, 'query');
      const page = formsOf(answer.response);
      const listed = page.find((form) => form.redConfirmSerialNo === serialNo);
      if (listed?.redConfirmUuid) {
        const detail = await this.call(METHOD.redInfo, C, { taxNo: sellerTaxId, sellerTaxNo: sellerTaxId, redConfirmUuid: listed.redConfirmUuid, redConfirmNo: '', taxUserName: '' }, 'query', options);
        if (detail.success !== true) throw answerError(detail, 'query');
        const [info] = formsOf(detail.response);
        return { ...listed, ...info };
      }
      if (listed) return listed;
      if (page.length < FORM_PAGE) return undefined;
    }
  }

  /** invoice.query for one Beijing day, page by page. */
  async listIssued(day: string, options: CallOptions): Promise<UpstreamRecord[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !Number.isFinite(Date.parse(`${day}T00:00:00+08:00`))) throw new RangeError(`day ${day} is not YYYY-MM-DD`);
    const records: UpstreamRecord[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const answer = await this.call(METHOD.query, A, { taxNo: '', data: { invoiceStartDate: day, invoiceEndDate: day, pageNo, pageSize: LIST_PAGE } }, 'query', options);
      if (answer.success !== true) throw answerError(answer, 'query');
      const page = Array.isArray(answer.response) ? (answer.response as BaiwangInvoice[]) : [];
      for (const item of page) {
        const record = listRecord(item, this.simulated);
        if (record) records.push(record);
      }
      if (page.length < LIST_PAGE) return records;
    }
  }

  ping(options: CallOptions): Promise<PingResult> {
    return pingAnyAnswer(this.config.url, this.agent, options.signal);
  }

  /** Asks for a serial no one ever used: an answer proves the token, the app and the signature. */
  async checkCredentials(options: CallOptions): Promise<string> {
    const outcome = await this.queryInvoice('', `DOCTOR${String(this.now()).slice(-14)}`, options);
    return outcome.kind === 'not_found' ? '百望 answered a query for an unknown serial: token, app and signature accepted' : `a query was answered ${outcome.kind}`;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** One signed call; a token 百望 refuses is renewed once and the call sent again (it was not processed). */
  private async call(method: string, shape: Shape, body: BaiwangJson, action: 'submit' | 'query', options: CallOptions): Promise<BaiwangAnswer> {
    const text = compactJson(body);
    const token = await this.tokens.current(options.signal);
    const first = await this.send(method, shape, text, token, action, options);
    if (codeKind(first) !== 'token') return first;
    const renewed = await this.tokens.renew(token, options.signal);
    const second = await this.send(method, shape, text, renewed, action, options);
    if (codeKind(second) === 'token') throw answerError(second, action);
    return second;
  }

  private async send(method: string, shape: Shape, body: string, token: string, action: 'submit' | 'query', options: CallOptions): Promise<BaiwangAnswer> {
    const params = routerParams(method, shape.version, this.config.appKey, token, this.now());
    const query = new URLSearchParams({ ...params, sign: baiwangSign(this.config.appSecret, params, body) });
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const response = await request(`${this.config.url}?${query.toString()}`, { method: 'POST', dispatcher: this.agent, signal: options.signal, headers: { 'content-type': 'application/json; charset=utf-8' }, body });
      status = response.statusCode;
      retryAfter = retryAfterMs(response.headers['retry-after'], this.now());
      if (response.headers['x-fapiao-simulator'] === '1') this.simulated = true;
      text = await response.body.text();
    } catch (error) {
      throw transportError(error);
    }
    if (status === 429) throw new ChannelError('rate_limited', 'retry', 'rate limited by 百望', { upstreamCode: 'http_429', ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
    // 百望 answers business errors with 200; another status came from something in front of it. A
    // 503 refuses before any work; a 502 or 504 may come after 百望 took the invoice.
    if (status === 502 || status === 503 || status === 504) {
      throw new ChannelError('upstream_unavailable', action === 'submit' && status !== 503 ? 'uncertain' : 'retry', `百望 answered ${status}`, { upstreamCode: `http_${status}`, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
    }
    if (status !== 200) throw new ChannelError('upstream_error', action === 'submit' ? 'uncertain' : 'retry', `百望 answered ${status}: ${text.slice(0, 200)}`, { upstreamCode: `http_${status}` });
    try {
      return JSON.parse(text) as BaiwangAnswer;
    } catch {
      throw new ChannelError('protocol_error', action === 'submit' ? 'uncertain' : 'retry', `百望 answered something that is not JSON: ${text.slice(0, 100)}`);
    }
  }
}

/** formlist's and redforminfo's forms, whether the response is a list, a page or one form. */
function formsOf(response: unknown): BaiwangRedForm[] {
  if (Array.isArray(response)) return response as BaiwangRedForm[];
  const page = response as { list?: unknown; records?: unknown } | undefined;
  if (Array.isArray(page?.list)) return page.list as BaiwangRedForm[];
  if (Array.isArray(page?.records)) return page.records as BaiwangRedForm[];
  return response && typeof response === 'object' ? [response] : [];
}
