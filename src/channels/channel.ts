/**
 * The Channel port: everything src/dispatch may ask of one upstream invoicing platform (the tax
 * platform, or a provider's open platform). Adapters live beside this file, one folder each, and
 * translate; they never decide. Retry, backoff, circuit breaking and failover belong to
 * src/dispatch, which looks only at outcomes and at ChannelError.disposition.
 *
 * Contract:
 *  - `serialNo` is the upstream idempotency key (流水号). The dispatcher sends the same serial on
 *    every retry and query; adapters never mint one.
 *  - Every call honours `signal`. A call that fails after the request may have reached the
 *    upstream throws a ChannelError with disposition 'uncertain', never 'retry'.
 *  - Adapters never touch our database.
 */
import type { ComputedInvoiceJson } from '../domain/invoice-json.js';
import type { RedFlushReason } from '../domain/red-flush.js';
import type { QuotaReading } from '../domain/quota.js';

export interface CallOptions {
  readonly signal: AbortSignal;
}

export interface QueryOptions extends CallOptions {
  /** The serial is a red invoice's: an upstream that files red invoices under a 红字确认单 asks there too. */
  readonly red?: boolean;
}

export interface IssueRequest {
  readonly serialNo: string;
  readonly sellerTaxId: string;
  readonly orderNo: string;
  /** The computed invoice with the seller's profile filled in (a red one's figures negative). */
  readonly invoice: ComputedInvoiceJson & { readonly seller: Readonly<Record<string, unknown>> };
  /** Set for a red invoice (红字发票): the blue invoice it flushes, and why. */
  readonly red?: RedIssue;
}

/** What an upstream needs to issue a red invoice beside its lines (each line names its blue line). */
export interface RedIssue {
  /** The blue invoice's 20-digit number (dylzfphm). */
  readonly blueNumber: string;
  readonly reason: RedFlushReason;
  /** It flushes the whole blue invoice (no earlier red invoice): some upstreams then take no lines. */
  readonly whole: boolean;
}

export interface ReportedTotals {
  /** 合计金额 (excluding tax). */
  readonly amount?: string;
  /** 合计税额. */
  readonly tax?: string;
  /** 价税合计. */
  readonly total?: string;
}

/** What the upstream says of one serial number. */
export type UpstreamOutcome =
  /** `simulated`: the upstream says it is a simulator (its invoices are not real). */
  | {
      readonly kind: 'issued';
      readonly number: string;
      readonly issuedAt: number;
      readonly simulated: boolean;
      /** The totals as the upstream reports them (two-decimal text), when it does: src/dispatch compares them with ours. */
      readonly reportedTotals?: ReportedTotals;
      /** A red invoice's 红字确认单, when one was involved (04: confirmed). */
      readonly confirmation?: ConfirmationForm;
    }
  /** Accepted and still being issued; ask again after `pollAfterMs`. */
  | { readonly kind: 'accepted'; readonly pollAfterMs: number }
  /**
   * A red invoice's 红字确认单 (`billNo`) waits for the counterparty (state 02 or 03); ask again
   * after `pollAfterMs`. A refused or lapsed form is `rejected`, its state in the code.
   */
  | { readonly kind: 'awaiting_confirmation'; readonly billNo: string; readonly status: string; readonly pollAfterMs: number }
  /** Refused for a business reason; a person must fix the invoice. */
  | { readonly kind: 'rejected'; readonly upstreamCode: string; readonly message: string; readonly confirmation?: ConfirmationForm };

/** A 红字确认单 as the upstream reports it: its number and state (02/03 waiting, 04 confirmed, 05–10 void). */
export interface ConfirmationForm {
  readonly billNo: string;
  readonly status: string;
}

export type QueryOutcome =
  | UpstreamOutcome
  /**
   * No record of this serial. Only `authoritative: true` allows a resend or a failover; an
   * adapter says false outside the upstream's query window or when its answer cannot be trusted.
   */
  | { readonly kind: 'not_found'; readonly authoritative: boolean };

/** The 数电 drawer's (开票员's) session with the tax bureau, as the platform reports it. */
export interface DrawerSession {
  readonly loggedIn: boolean;
  /** Whether the identity check (实名认证) is done; null when the platform did not say. */
  readonly identityConfirmed: boolean | null;
  /** What the platform said, for the operator. */
  readonly detail: string;
}

/** One invoice in an upstream's list of a day (for reconciliation). */
export interface UpstreamRecord {
  readonly serialNo: string;
  readonly number: string;
  readonly issuedAt: number;
  readonly sellerTaxId: string;
  /** 价税合计 as the upstream reports it, two-decimal text (negative for a red invoice). */
  readonly total: string;
  readonly kind: 'blue' | 'red';
  /** The upstream says it is a simulator (its invoices are not real). */
  readonly simulated: boolean;
}

export type PingResult = { readonly ok: true; readonly latencyMs: number } | { readonly ok: false; readonly message: string };

export interface Channel {
  /** The operator's name for the channel (`--channel NAME=URL`); a metric label, so short. */
  readonly name: string;
  /** The protocol it speaks, where the doctor's knowledge base has findings of its own codes (`upstream.baiwang_<code>`). */
  readonly protocol?: 'baiwang';
  /**
   * For an upstream whose "not found" is not proof at once (it may not show an order it has just
   * taken): how long after the invoice was last sent its "not found" does become proof, ms.
   * Undefined: it never does (only an authoritative answer frees the invoice).
   */
  readonly settleWindowMs?: number;
  /**
   * The upstream refuses a second invoice under a serial it already holds (诺诺's E9106) and the
   * adapter answers that refusal by a query: sending the same serial again to this channel can never
   * issue it twice. An uncertain invoice it cannot find yet is then sent again here at once instead
   * of waiting out the settle window (which only guards a move to another channel).
   */
  readonly refusesRepeatedSerial?: boolean;
  /** Sends one invoice for issue. @throws {ChannelError} always classified */
  issue(request: IssueRequest, options: CallOptions): Promise<UpstreamOutcome>;
  /** Asks what became of `serialNo`; called before any resend of an uncertain attempt. @throws {ChannelError} */
  query(sellerTaxId: string, serialNo: string, options: QueryOptions): Promise<QueryOutcome>;
  /** Cheap reachability check; never throws. */
  ping(options: CallOptions): Promise<PingResult>;
  /**
   * An authenticated call that changes nothing upstream, for `fapiao doctor`: resolves with what
   * showed the credentials were accepted. Optional: not every platform has such a call.
   * @throws {ChannelError} auth_failed when the credentials are refused, else as any call
   */
  checkCredentials?(options: CallOptions): Promise<string>;
  /**
   * For platforms that issue through a drawer's session with the tax bureau (诺诺 on 数电): is the
   * drawer logged in? Changes nothing upstream. Optional: a platform without drawers has none.
   * @throws {ChannelError} as any query
   */
  drawerSession?(options: CallOptions): Promise<DrawerSession>;
  /**
   * The invoices the upstream issued on one day (Beijing time, YYYY-MM-DD), for reconciliation.
   * Optional: a platform without such a list cannot be reconciled. @throws {ChannelError}
   */
  listIssued?(day: string, options: CallOptions): Promise<UpstreamRecord[]>;
  /**
   * How often the upstream lets its quota be read (诺诺: 20 a day, 30 s apart); undefined: as often
   * as the gateway likes. The quota reader keeps within it.
   */
  readonly quotaReads?: { readonly perDay: number; readonly gapMs: number };
  /**
   * The seller's monthly 发票额度 as the upstream last had it from the bureau; null when it keeps
   * none for the seller. Optional: not every platform tells it (百望 has no such call).
   * @throws {ChannelError} as any query
   */
  readQuota?(sellerTaxId: string, options: CallOptions): Promise<QuotaReading | null>;
  /**
   * Withdraws (撤销) a red invoice's 红字确认单 that waits for the counterparty: its red invoice is
   * then never issued, and the next query says so (state 08). Resolves with the form as it stands
   * after; a form that no longer waits is left as it is. Optional: where a platform offers it.
   * @throws {ChannelError} as any call
   */
  withdrawRed?(sellerTaxId: string, serialNo: string, options: CallOptions): Promise<ConfirmationForm>;
  /** Releases connections. */
  close(): Promise<void>;
}
