/**
 * The channel for 诺诺's open platform (诺税通, `nuonuo.OpeMplatform.*`): requestBillingNew to
 * issue, queryInvoiceResult by our order number to ask. The 诺诺 order number is our serial, so
 * every retry, query and failover names the same order; a duplicate (E9106) is answered by a
 * query, never by a resend.
 */
import { request, type Agent } from 'undici';
import type { NuonuoChannelConfig } from '../../runtime/config.js';
import type { QuotaReading } from '../../domain/quota.js';
import type { CallOptions, Channel, ConfirmationForm, DrawerSession, IssueRequest, PingResult, QueryOptions, QueryOutcome, UpstreamOutcome, UpstreamRecord } from '../channel.js';
import { ChannelError } from '../channel-error.js';
import { pingAnyAnswer, providerAgent, type ProviderAgentOptions } from '../provider-agent.js';
import { retryAfterMs, transportError } from '../transport-error.js';
import { answerError, creditLineReading, itemOutcome, TOKEN_REJECTED_CODES, type NuonuoAnswer, type NuonuoInvoiceItem } from './nuonuo-codes.js';
import { beijingDateTime, nuonuoOrder, nuonuoOrderNo } from './nuonuo-order.js';
import { confirmationOf, formOutcome, listRecord, redConfirmForm, type NuonuoListItem, type NuonuoRedForm } from './nuonuo-red.js';
import { envelopeQuery, newEnvelope, nuonuoSign } from './nuonuo-sign.js';
import type { TokenShelf } from '../token-shelf.js';
import { NuonuoTokenGrant } from './nuonuo-token.js';
import { TokenKeeper } from '../token-keeper.js';

/** The channel's settings as configured (src/runtime/config.ts), and what the gateway lends it. */
export interface NuonuoChannelOptions extends Omit<NuonuoChannelConfig, 'protocol' | 'ratePerSecond'>, ProviderAgentOptions {
  /** How soon to ask again about an invoice 诺诺 is still issuing, ms. */
  readonly pollAfterMs: number;
  readonly tokens: TokenShelf;
  readonly now?: () => number;
}

// Odoo's 诺诺 integration waits as long before it calls an order missing.
const SETTLE_WINDOW_MS = 10 * 60_000;

const METHOD = {
  issue: 'nuonuo.OpeMplatform.requestBillingNew',
  query: 'nuonuo.OpeMplatform.queryInvoiceResult',
  reInvoice: 'nuonuo.OpeMplatform.reInvoice',
  certification: 'nuonuo.OpeMplatform.getCertificationStatus',
  redConfirm: 'nuonuo.OpeMplatform.saveInvoiceRedConfirm',
  redConfirmQuery: 'nuonuo.OpeMplatform.queryInvoiceRedConfirm',
  redConfirmRefresh: 'nuonuo.OpeMplatform.refreshInvoiceRedConfirm',
  fastRed: 'nuonuo.OpeMplatform.fastInvoiceRed',
  list: 'nuonuo.OpeMplatform.queryInvoiceList',
  creditLine: 'nuonuo.OpeMplatform.getCreditLine',
  redConfirmCancel: 'nuonuo.OpeMplatform.confirmInfoCancel',
} as const;

/** getCreditLine's own limits (field-notes §2.9): 20 calls a day, 30 s apart. */
const CREDIT_LINE_READS = { perDay: 20, gapMs: 30_000 } as const;
/** No quota kept for the seller, in the simulator's words (诺诺's own code is not published). */
const NO_CREDIT_LINE = 'E9804';

/** queryInvoiceList's page: the size its doc allows is not in our sources; 50 is what its other lists take. */
const LIST_PAGE = 50;
const DAY_MS = 86_400_000;

/** getCertificationStatus's queryType (field-notes §2.8): 2 the login, 1 the identity check. */
const LOGIN_STATUS = '2';
const IDENTITY_STATUS = '1';

export class NuonuoChannel implements Channel {
  readonly name: string;
  /** E9500 is said for a while after 诺诺 took an order: only this long after the send is it proof. */
  readonly settleWindowMs: number;
  /** A repeated order number is E9106, which issue() answers with a query. */
  readonly refusesRepeatedSerial = true;
  private readonly agent: Agent;
  private readonly tokens: TokenKeeper;
  private readonly now: () => number;

  constructor(private readonly config: NuonuoChannelOptions) {
    this.name = config.name;
    this.settleWindowMs = config.settleWindowMs ?? SETTLE_WINDOW_MS;
    this.now = config.now ?? Date.now;
    this.agent = providerAgent(config);
    const grant = new NuonuoTokenGrant({ tokenUrl: config.tokenUrl, appKey: config.appKey, appSecret: config.appSecret, dispatcher: this.agent, now: this.now });
    this.tokens = new TokenKeeper({ channel: config.name, shelf: config.tokens, now: this.now, fetch: (signal) => grant.fetch(signal) });
  }

  async issue(invoice: IssueRequest, options: CallOptions): Promise<UpstreamOutcome> {
    if (invoice.red) return this.issueRed(invoice, options);
    const order = nuonuoOrder(invoice, { clerk: this.config.clerk ?? '开票员', now: this.now(), ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }) });
    const answer = await this.call(METHOD.issue, { order }, 'submit', options);
    if (answer.code === 'E0000') return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    if (answer.code === 'E9106') {
      // 诺诺 has this order already (an earlier attempt got through): ask, never send again.
      const known = await this.query(invoice.sellerTaxId, invoice.serialNo, options);
      if (known.kind === 'not_found') throw new ChannelError('protocol_error', 'uncertain', 'E9106 (order number taken) but a query finds no such order');
      return known;
    }
    throw answerError(answer, 'submit');
  }

  /**
   * A red invoice is filed as a 红字确认单 under our serial (billId and orderNo); 诺诺 issues it by
   * itself once the form allows. The form is then followed by query() like any invoice.
   */
  private async issueRed(invoice: IssueRequest, options: CallOptions): Promise<UpstreamOutcome> {
    const form = redConfirmForm(invoice, { ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }) });
    const answer = await this.call(METHOD.redConfirm, form, 'submit', options);
    if (answer.code === 'E0000') return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    // A billId filed before (an earlier attempt got through) is refused: read the form back instead.
    if (answer.code === 'E9106' || /已存在|重复/.test(answer.describe ?? '')) {
      const known = await this.queryRed(invoice.serialNo, options);
      if (known.kind === 'not_found') throw new ChannelError('protocol_error', 'uncertain', `${answer.code ?? ''} (form already filed) but no form ${invoice.serialNo} is found`);
      return known;
    }
    throw answerError(answer, 'submit');
  }

  async query(sellerTaxId: string, serialNo: string, options: QueryOptions): Promise<QueryOutcome> {
    return options.red ? this.queryRed(serialNo, options) : this.queryInvoice(serialNo, options);
  }

  /** A red invoice: its form first (the invoice exists only once the form allows it), then the invoice. */
  private async queryRed(serialNo: string, options: CallOptions): Promise<QueryOutcome> {
    let form = await this.readForm(serialNo, options);
    if (!form) return { kind: 'not_found', authoritative: false };
    let outcome = formOutcome(form, this.config.pollAfterMs);
    if (outcome.kind === 'awaiting_confirmation' && form.billUuid) {
      // 诺诺 holds a copy of the bureau's form: pull the bureau's state before believing "waiting".
      const refreshed = await this.call(METHOD.redConfirmRefresh, { identity: '0', billUuid: form.billUuid, ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }) }, 'query', options);
      if (refreshed.code !== 'E0000') throw answerError(refreshed, 'query');
      form = (await this.readForm(serialNo, options)) ?? form;
      outcome = formOutcome(form, this.config.pollAfterMs);
    }
    if (outcome.kind !== 'issuable') return outcome;
    const confirmation = confirmationOf(form);
    const invoice = await this.queryInvoice(serialNo, options);
    if (invoice.kind === 'not_found') {
      // The form allows the red invoice and 诺诺 has not shown it yet: fastInvoiceRed fetches the
      // one the bureau issued by itself (or issues it); the next query finds it under our order.
      const fetched = await this.call(METHOD.fastRed, { orderNo: nuonuoOrderNo(serialNo), billNo: form.billNo, billUuid: form.billUuid, elecInvoiceNumber: form.blueInvoiceNumber, invoiceLine: form.blueInvoiceLine, taxNum: form.sellerTaxNo }, 'submit', options);
      if (fetched.code !== 'E0000' && fetched.code !== 'E9106') throw answerError(fetched, 'query');
      return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    }
    return (invoice.kind === 'issued' || invoice.kind === 'rejected') && confirmation ? { ...invoice, confirmation } : invoice;
  }

  /**
   * confirmInfoCancel on the form filed under our serial while it waits for the buyer (02/03). Its
   * parameters are not in our sources beyond its name: the form is named by billUuid and billNo.
   */
  async withdrawRed(_sellerTaxId: string, serialNo: string, options: CallOptions): Promise<ConfirmationForm> {
    const form = await this.readForm(serialNo, options);
    if (!form?.billNo) throw new ChannelError('upstream_error', 'retry', `诺诺 has no 红字确认单 under billId ${serialNo}`);
    const status = String(form.billStatus ?? '');
    if (status !== '02' && status !== '03') return { billNo: form.billNo, status };
    const answer = await this.call(METHOD.redConfirmCancel, { identity: '0', billUuid: form.billUuid, billNo: form.billNo, ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }) }, 'submit', options);
    if (answer.code !== 'E0000') throw answerError(answer, 'submit');
    const after = await this.readForm(serialNo, options);
    return { billNo: form.billNo, status: String(after?.billStatus ?? '08') };
  }

  /** queryInvoiceRedConfirm by our billId; undefined when 诺诺 has no such form. */
  private async readForm(serialNo: string, options: CallOptions): Promise<NuonuoRedForm | undefined> {
    const answer = await this.call(METHOD.redConfirmQuery, { identity: '0', billId: nuonuoOrderNo(serialNo), pageNo: '1', pageSize: '10' }, 'query', options);
    if (answer.code === 'E9500') return undefined;
    if (answer.code !== 'E0000') throw answerError(answer, 'query');
    const result = answer.result as { list?: unknown } | unknown[] | undefined;
    const list = Array.isArray(result) ? result : Array.isArray(result?.list) ? result.list : [];
    return (list as NuonuoRedForm[]).find((form) => form.billId === undefined || form.billId === serialNo);
  }

  /**
   * queryInvoiceList for one Beijing day, page by page (诺诺 lists at most ten days at once).
   * The list's `requestType` is left out: its values are not in our sources.
   */
  async listIssued(day: string, options: CallOptions): Promise<UpstreamRecord[]> {
    const start = Date.parse(`${day}T00:00:00+08:00`);
    if (!Number.isFinite(start)) throw new RangeError(`day ${day} is not YYYY-MM-DD`);
    const records: UpstreamRecord[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const answer = await this.call(METHOD.list, { startTime: beijingDateTime(start), endTime: beijingDateTime(start + DAY_MS - 1000), pageNo: String(pageNo), pageSize: String(LIST_PAGE) }, 'query', options);
      if (answer.code !== 'E0000') throw answerError(answer, 'query');
      const result = answer.result as { invoices?: unknown; totalCount?: unknown } | undefined;
      const page = Array.isArray(result?.invoices) ? (result.invoices as NuonuoListItem[]) : [];
      for (const item of page) {
        const record = listRecord(item);
        if (record) records.push(record);
      }
      if (page.length < LIST_PAGE || pageNo * LIST_PAGE >= Number(result?.totalCount ?? 0)) return records;
    }
  }

  private async queryInvoice(serialNo: string, options: CallOptions): Promise<QueryOutcome> {
    const orderNo = nuonuoOrderNo(serialNo);
    const answer = await this.call(METHOD.query, { orderNos: [orderNo], isOfferInvoiceDetail: '0' }, 'query', options);
    // E9500 发票不存在: also said for a while after acceptance, so it proves nothing by itself.
    if (answer.code === 'E9500') return { kind: 'not_found', authoritative: false };
    if (answer.code !== 'E0000') throw answerError(answer, 'query');
    const item = (Array.isArray(answer.result) ? (answer.result as NuonuoInvoiceItem[]) : []).find((candidate) => candidate.orderNo === orderNo || candidate.orderNo === undefined);
    if (!item) return { kind: 'not_found', authoritative: false };
    const outcome = itemOutcome(item, this.config.pollAfterMs);
    if (outcome.kind === 'signature_failed') {
      // 开票成功签章失败: 诺诺's remedy is reInvoice under the same order, then poll as usual.
      const repaired = await this.call(METHOD.reInvoice, { orderno: orderNo }, 'submit', options);
      if (repaired.code !== 'E0000' && repaired.code !== 'E9613') throw answerError(repaired, 'query');
      return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
    }
    return outcome;
  }

  ping(options: CallOptions): Promise<PingResult> {
    return pingAnyAnswer(this.config.url, this.agent, options.signal);
  }

  readonly quotaReads = CREDIT_LINE_READS;

  /**
   * getCreditLine with queryType 1: the figures 诺诺 last had from the bureau, with the time they
   * were current (amountUpdateTime, Beijing time). The reader keeps within quotaReads.
   */
  async readQuota(sellerTaxId: string, options: CallOptions): Promise<QuotaReading | null> {
    const answer = await this.call(METHOD.creditLine, { taxnum: sellerTaxId, queryType: '1', ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }) }, 'query', options);
    if (answer.code === NO_CREDIT_LINE) return null;
    if (answer.code !== 'E0000') throw answerError(answer, 'query');
    return creditLineReading(answer.result, this.now());
  }

  /** Asks for an order no one ever placed: E9500 proves the signature, the token and the app. */
  async checkCredentials(options: CallOptions): Promise<string> {
    const outcome = await this.query('', `DOCTOR${String(this.now()).slice(-14)}`, options);
    return outcome.kind === 'not_found' ? '诺诺 answered a query for an unknown order with E9500: signature, token and app accepted' : `a query was answered ${outcome.kind}`;
  }

  /** getCertificationStatus for the configured extension: the login, then the identity check. */
  async drawerSession(options: CallOptions): Promise<DrawerSession> {
    const ask = async (queryType: string): Promise<string | undefined> => {
      const answer = await this.call(METHOD.certification, { ...(this.config.extensionNumber && { extensionNumber: this.config.extensionNumber }), queryType }, 'query', options);
      if (answer.code !== 'E0000') throw answerError(answer, 'query');
      const result = (Array.isArray(answer.result) ? answer.result[0] : answer.result) as { certificationStatus?: string | number } | undefined;
      const status = result?.certificationStatus;
      return typeof status === 'string' || typeof status === 'number' ? String(status) : undefined;
    };
    const login = await ask(LOGIN_STATUS);
    if (login === undefined) throw new ChannelError('protocol_error', 'retry', 'getCertificationStatus answered without certificationStatus');
    const loggedIn = login !== '0';
    const identity = loggedIn ? await ask(IDENTITY_STATUS) : undefined;
    const identityConfirmed = identity === undefined ? null : identity === '1';
    const extension = this.config.extensionNumber ? `extension ${this.config.extensionNumber}` : 'the default extension';
    const detail = !loggedIn
      ? `the drawer of ${extension} is logged out of the 电子税务局 (certificationStatus 0)`
      : identityConfirmed === false
        ? `the drawer of ${extension} is logged in but must confirm their identity (实名认证 pending)`
        : `the drawer of ${extension} is logged in${identityConfirmed ? ', identity confirmed' : ''}`;
    return { loggedIn, identityConfirmed, detail };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** One signed call; a token 诺诺 refuses is renewed once and the call sent again (it was not processed). */
  private async call(method: string, payload: unknown, action: 'submit' | 'query', options: CallOptions): Promise<NuonuoAnswer> {
    const token = await this.tokens.current(options.signal);
    const first = await this.send(method, payload, token, action, options);
    if (!first.tokenRefused) return first.answer;
    const renewed = await this.tokens.renew(token, options.signal);
    const second = await this.send(method, payload, renewed, action, options);
    if (second.tokenRefused) throw answerError(second.answer, action);
    return second.answer;
  }

  private async send(method: string, payload: unknown, token: string, action: 'submit' | 'query', options: CallOptions): Promise<{ answer: NuonuoAnswer; tokenRefused: boolean }> {
    const body = JSON.stringify(payload);
    const envelope = newEnvelope(this.now());
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const response = await request(`${this.config.url}?${envelopeQuery(this.config.appKey, envelope)}`, {
        method: 'POST',
        dispatcher: this.agent,
        signal: options.signal,
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'x-nuonuo-sign': nuonuoSign(this.config.appSecret, this.config.appKey, envelope, body),
          accesstoken: token,
          method,
        },
        body,
      });
      status = response.statusCode;
      retryAfter = retryAfterMs(response.headers['retry-after'], this.now());
      text = await response.body.text();
    } catch (error) {
      throw transportError(error);
    }
    if (status === 401) return { answer: { code: `http_${status}`, describe: text.slice(0, 100) }, tokenRefused: true };
    if (status === 429) throw new ChannelError('rate_limited', 'retry', 'rate limited by 诺诺', { upstreamCode: 'http_429', ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
    // 诺诺 answers business errors with 200; another status came from something in front of it. A
    // 503 refuses before any work; a 502 or 504 may come after 诺诺 took the order.
    if (status === 502 || status === 503 || status === 504) {
      throw new ChannelError('upstream_unavailable', action === 'submit' && status !== 503 ? 'uncertain' : 'retry', `诺诺 answered ${status}`, { upstreamCode: `http_${status}`, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) });
    }
    if (status !== 200) throw new ChannelError('upstream_error', action === 'submit' ? 'uncertain' : 'retry', `诺诺 answered ${status}: ${text.slice(0, 200)}`, { upstreamCode: `http_${status}` });
    let answer: NuonuoAnswer;
    try {
      answer = JSON.parse(text) as NuonuoAnswer;
    } catch {
      throw new ChannelError('protocol_error', action === 'submit' ? 'uncertain' : 'retry', `诺诺 answered something that is not JSON: ${text.slice(0, 100)}`);
    }
    return { answer, tokenRefused: TOKEN_REJECTED_CODES.has(answer.code ?? '') };
  }
}
