/**
 * What an attempt's result means for the invoice: the one place where channel outcomes and
 * ChannelError dispositions become invoice events (src/domain/invoice-state.ts) and schedules.
 * Pure: the dispatcher calls the channel, then asks this module what to write.
 */
import type { QueryOutcome, UpstreamOutcome } from '../channels/channel.js';
import { ChannelError, isChannelError } from '../channels/channel-error.js';
import type { PendingStage } from '../domain/invoice-state.js';
import { retryDelayMs, type BackoffOptions } from './backoff.js';
import type { Settlement } from '../store/invoice-leases.js';
import { errorMessage } from '../domain/error-message.js';

export interface AttemptContext {
  readonly action: 'submit' | 'query';
  readonly stage: PendingStage;
  readonly channel: string;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly giveUpAt: number;
  readonly startedAt: number;
  readonly now: number;
  readonly backoff: BackoffOptions;
  readonly random: number;
  /** When the invoice was last sent (its claim for sending); null when never. */
  readonly lastSentAt: number | null;
  /** The channel's settle window (Channel.settleWindowMs). */
  readonly settleWindowMs: number | undefined;
}

/**
 * Whether a "not found" proves the upstream never took the invoice: the upstream says so itself,
 * or it has had its whole settle window since the invoice was last sent to show it.
 */
function notFoundIsProof(context: AttemptContext, authoritative: boolean): boolean {
  if (authoritative) return true;
  return context.settleWindowMs !== undefined && context.lastSentAt !== null && context.now - context.lastSentAt >= context.settleWindowMs;
}

function attemptRow(context: AttemptContext, outcome: string) {
  return { action: context.action, channel: context.channel, outcome, startedAt: context.startedAt, durationMs: Math.max(0, Math.round(context.now - context.startedAt)) };
}

/**
 * Whether an uncertain invoice its channel cannot find yet is sent again to that same channel at
 * once. Only where the upstream refuses a repeated serial (Channel.refusesRepeatedSerial): the
 * second send either issues what never arrived or is refused and found by the adapter's query.
 * Anywhere else a "not found" inside the settle window proves nothing, and the invoice waits.
 */
export function sendsAgainHere(context: AttemptContext, outcome: QueryOutcome, refusesRepeatedSerial: boolean): boolean {
  return refusesRepeatedSerial && context.stage === 'uncertain' && outcome.kind === 'not_found' && !notFoundIsProof(context, outcome.authoritative);
}

/**
 * The settlement for a send made again to the same channel (sendsAgainHere), after `queried`
 * found nothing. Its answer counts as a submit's; a failure leaves the invoice uncertain and bound
 * where it is (it may be there now); either way the send restarts the settle window, and the
 * query keeps its own row on the timeline.
 */
export function decideResend(
  queried: AttemptContext,
  resend: AttemptContext,
  result: { readonly outcome: UpstreamOutcome } | { readonly error: unknown },
  pausedUntil?: number,
): Settlement {
  const sent = { ...resend, action: 'submit' } as const;
  const also = { sentAt: resend.startedAt, queried: { ...attemptRow(queried, 'not_found'), durationMs: Math.max(0, Math.round(resend.startedAt - queried.startedAt)) } };
  if ('outcome' in result) return { ...decideOutcome(sent, result.outcome), ...also };
  const failure = isChannelError(result.error) ? result.error : new ChannelError('protocol_error', 'uncertain', errorMessage(result.error));
  const problem = { code: failure.code, message: failure.message };
  const called = failure.code !== 'circuit_open' && failure.code !== 'rate_held';
  const attempt = called ? attemptRow(sent, failure.disposition) : undefined;
  if (failure.disposition === 'operator') {
    return { event: 'channel_paused', called: false, channel: resend.channel, nextAttemptAt: pausedUntil ?? resend.now + retryDelayMs(1, resend.backoff, resend.random), error: problem, ...also, ...(attempt && { attempt }) };
  }
  return { ...queryFailed(resend, attempt, problem), ...also };
}

/** The settlement for an answer from the upstream (to a submit or a query). */
export function decideOutcome(context: AttemptContext, outcome: UpstreamOutcome | QueryOutcome): Settlement {
  const base = { called: true, channel: context.channel, attempt: attemptRow(context, outcome.kind) } as const;
  switch (outcome.kind) {
    case 'issued':
      return { ...base, event: 'issued', nextAttemptAt: context.now, number: outcome.number, issuedAt: outcome.issuedAt, simulated: outcome.simulated, ...(outcome.confirmation && { confirmation: outcome.confirmation }) };
    case 'accepted':
      return { ...base, event: 'accepted', nextAttemptAt: context.now + outcome.pollAfterMs };
    case 'awaiting_confirmation':
      return { ...base, event: 'confirmation_pending', nextAttemptAt: context.now + outcome.pollAfterMs, confirmation: { billNo: outcome.billNo, status: outcome.status } };
    case 'rejected':
      return { ...base, event: 'rejected', nextAttemptAt: context.now, error: { code: `upstream_${outcome.upstreamCode}`, message: outcome.message }, ...(outcome.confirmation && { confirmation: outcome.confirmation }) };
    case 'not_found':
      if (!notFoundIsProof(context, outcome.authoritative)) {
        return queryFailed(context, base.attempt, { code: 'not_found_unconfirmed', message: 'the upstream has no record yet, and cannot say for sure' });
      }
      // Provably never issued: an uncertain invoice may be sent again, to any channel (unbound).
      if (context.stage === 'uncertain') return { ...base, channel: null, event: 'not_found_upstream', nextAttemptAt: context.now };
      // It was accepted once and now is unknown: resolve by querying again, never by sending.
      return { ...base, event: 'not_found_upstream', nextAttemptAt: context.now + retryDelayMs(context.attempts + 1, context.backoff, context.random) };
  }
}

/**
 * How long an invoice waiting for quota waits before it is looked at again when nothing wakes it
 * sooner (a reading with more room, a raise and the month's turn all wake it at once).
 */
export const QUOTA_RECHECK_MS = 5 * 60_000;

/**
 * The settlement for an invoice the month's quota cannot cover: it waits in `awaiting_quota`,
 * unbound (nothing was issued anywhere), and counts no attempt unless a call was made (an
 * upstream's own quota refusal, `attempt`). It is never given up on for this.
 */
export function decideQuotaShort(context: AttemptContext, message: string, attempt?: Settlement['attempt']): Settlement {
  return { event: 'quota_short', called: attempt !== undefined, channel: null, nextAttemptAt: context.now + QUOTA_RECHECK_MS, error: { code: 'quota_exhausted', message }, ...(attempt && { attempt }) };
}

/** The settlement for a failed call. `pausedUntil` is set when the dispatcher paused the channel. */
export function decideFailure(context: AttemptContext, error: unknown, pausedUntil?: number): Settlement {
  const failure = isChannelError(error) ? error : new ChannelError('protocol_error', 'uncertain', errorMessage(error));
  const problem = { code: failure.code, message: failure.message };
  // A call this process held back (breaker, rate) never left it: it costs no attempt and records none.
  const called = failure.code !== 'circuit_open' && failure.code !== 'rate_held';
  const attempt = called ? attemptRow(context, failure.disposition) : undefined;
  // A 429 or a held call says "later", not "this invoice failed": no exponential backoff, just
  // the upstream's Retry-After (or a second), spread a little so the queue does not return as one.
  const paced = failure.code === 'rate_limited' || failure.code === 'rate_held';
  const later = paced
    ? context.now + (failure.details.retryAfterMs ?? 1000) + Math.round(context.random * 250)
    : context.now + retryDelayMs(context.attempts + 1, context.backoff, context.random, failure.details.retryAfterMs);
  // A Retry-After on a call that provably never arrived holds the channel (ChannelHealth), not the
  // invoice: back in line at once, where the next claim gives it to the next usable channel.
  const elsewhere = context.now + Math.round(context.random * 250);

  if (failure.disposition === 'operator') {
    // Not the invoice's fault: no attempt counted, back in line when the channel may be used again.
    return { event: 'channel_paused', called: false, channel: context.action === 'submit' ? null : context.channel, nextAttemptAt: pausedUntil ?? later, error: problem, ...(attempt && { attempt }) };
  }
  if (context.action === 'query') return queryFailed(context, attempt, problem);
  if (failure.code === 'quota_exhausted') return decideQuotaShort(context, failure.message, attempt);

  switch (failure.disposition) {
    case 'retry': {
      // Provably not sent: the invoice stays unbound (free to fail over) and may be given up on.
      const event = context.now >= context.giveUpAt ? 'gave_up' : 'not_sent';
      const next = !paced && failure.details.retryAfterMs !== undefined ? elsewhere : later;
      return { event, called, channel: null, nextAttemptAt: next, error: problem, ...(attempt && { attempt }) };
    }
    case 'uncertain':
      // It may have reached this channel: bound to it until a query says otherwise. Ask soon.
      return { event: 'outcome_unknown', called, channel: context.channel, nextAttemptAt: context.now + retryDelayMs(1, context.backoff, context.random), error: problem, ...(attempt && { attempt }) };
    case 'rejected':
      return { event: 'rejected', called, channel: context.channel, nextAttemptAt: context.now, error: problem, ...(attempt && { attempt }) };
  }
}

function queryFailed(
  context: AttemptContext,
  attempt: Settlement['attempt'] | undefined,
  problem: { code: string; message: string },
): Settlement {
  return {
    event: 'query_failed',
    called: attempt !== undefined,
    channel: context.channel,
    nextAttemptAt: context.now + retryDelayMs(context.attempts + 1, context.backoff, context.random),
    error: problem,
    ...(attempt && { attempt }),
  };
}
