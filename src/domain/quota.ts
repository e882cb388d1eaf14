/**
 * The monthly 发票额度 (invoice quota) of a 数电 seller, as pure rules: which month an instant
 * belongs to (Beijing time), what an issued invoice takes from the quota or gives back, the
 * position between two authoritative reads, and whether an invoice may be sent against it.
 * Sources: docs/quota.md (the bureau's rules: tax-excluded amounts, same-month reds restore, 销售折让
 * does not, the month's turn resets).
 */
import type { Fen } from './money.js';
import type { RedFlushReason } from './red-flush.js';

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The quota month of an instant, `YYYY-MM` in Beijing time. */
export function quotaMonth(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 7);
}

/** The Beijing calendar month holding `ms`: its first instant and the first instant of the next. */
export function monthSpan(ms: number): { readonly start: number; readonly end: number } {
  const local = new Date(ms + BEIJING_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - BEIJING_OFFSET_MS;
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - BEIJING_OFFSET_MS;
  return { start, end };
}

/** An invoice issued here, as the quota sees it. */
export interface QuotaIssue {
  readonly kind: 'blue' | 'red';
  /** 合计金额 (tax-excluded), fen; negative for a red invoice. */
  readonly amountFen: Fen;
  readonly issuedAt: number;
  /** A red invoice's reason; 销售折让 gives nothing back. */
  readonly redReason?: RedFlushReason | null;
  /** When the blue invoice a red one flushes was issued; null when unknown (then nothing comes back). */
  readonly blueIssuedAt?: number | null;
}

/**
 * What an issued invoice takes from its month's quota (positive) or gives back (negative). A blue
 * invoice takes its tax-excluded amount. A red one gives its amount back only when it is issued in
 * the blue invoice's own month and is not a 销售折让; any other red invoice changes nothing.
 */
export function quotaUse(issue: QuotaIssue): Fen {
  if (issue.kind === 'blue') return issue.amountFen;
  if (issue.redReason === 'sales_allowance') return 0n;
  if (issue.blueIssuedAt === null || issue.blueIssuedAt === undefined) return 0n;
  return quotaMonth(issue.blueIssuedAt) === quotaMonth(issue.issuedAt) ? issue.amountFen : 0n;
}

/** What the upstream said of a seller's quota when last asked. */
export interface QuotaReading {
  /** 当月发票总额度, fen. */
  readonly totalFen: Fen;
  /** Used this month by every system issuing for the seller, fen. */
  readonly usedFen: Fen;
  /** 剩余可用额度, fen (the upstream's own figure: before filing it may be below total − used). */
  readonly remainingFen: Fen;
  /** When the upstream's figure was current, ms. */
  readonly asOf: number;
}

/**
 * How much of the month's quota was used outside this gateway (the 电子税务局 by hand, another
 * provider): what the upstream counts as used this month beyond what was issued here by the
 * reading's time, never below zero. Worked out whole each time, never added up, so an invoice the
 * upstream counted before its answer reached us is ours again once the answer is recorded.
 */
export function usedElsewhere(reading: QuotaReading, usedHereThisMonth: Fen): Fen {
  const elsewhere = reading.usedFen - usedHereThisMonth;
  return elsewhere > 0n ? elsewhere : 0n;
}

/** A seller's quota now: the last reading, less what was issued here since, and what is on its way. */
export interface QuotaPosition {
  readonly month: string;
  readonly totalFen: Fen;
  /** The reading's remaining less what was issued here since it (same-month reds given back). */
  readonly remainingFen: Fen;
  /** Accepted here and not issued yet: it will take quota as it is issued. */
  readonly committedFen: Fen;
  /** Found used outside this gateway this month. */
  readonly usedElsewhereFen: Fen;
  readonly asOf: number;
}

export function quotaPosition(reading: QuotaReading, usedHereSince: Fen, committedFen: Fen, usedElsewhereFen: Fen): QuotaPosition {
  return {
    month: quotaMonth(reading.asOf),
    totalFen: reading.totalFen,
    remainingFen: reading.remainingFen - usedHereSince,
    committedFen,
    usedElsewhereFen,
    asOf: reading.asOf,
  };
}

export type InvoicePriority = 'normal' | 'high';

/**
 * Whether an invoice of `amountFen` may be sent against `headroomFen` (what remains once the
 * invoices already on their way are counted). The seller's reserve is kept for high-priority
 * invoices: a normal one may not eat into it.
 */
export function quotaAdmits(headroomFen: Fen, amountFen: Fen, priority: InvoicePriority, reserveFen: Fen): boolean {
  if (amountFen <= 0n) return true;
  const usable = priority === 'high' ? headroomFen : headroomFen - reserveFen;
  return amountFen <= usable;
}

/** The share of the month's total still remaining, 0…1 (1 when the total is unknown or zero). */
export function remainingShare(position: Pick<QuotaPosition, 'totalFen' | 'remainingFen' | 'committedFen'>): number {
  if (position.totalFen <= 0n) return 1;
  const left = position.remainingFen - position.committedFen;
  return Math.max(0, Number(left) / Number(position.totalFen));
}
