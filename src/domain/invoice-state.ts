/**
 * The life of an invoice (shared/api.md, docs/states.md): its status, its stage while pending, and
 * every transition allowed between them, as data. `transition` is the only way to move; it refuses
 * anything not in the table, so no code path can, say, send an uncertain invoice again without
 * querying first (design.md invariant 3) or give up on one that may have been issued.
 */

export const INVOICE_STATUSES = ['pending', 'issued', 'rejected', 'failed'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const PENDING_STAGES = ['queued', 'submitting', 'uncertain', 'awaiting_result', 'awaiting_confirmation', 'awaiting_quota'] as const;
/**
 * Where a pending invoice is: waiting its turn, being sent, outcome unknown, issuing upstream, or
 * (a red invoice) its 红字确认单 waiting for the counterparty, or waiting for the month's 发票额度
 * to cover it (never sent to be refused).
 */
export type PendingStage = (typeof PENDING_STAGES)[number];

export type InvoiceState =
  | { readonly status: 'pending'; readonly stage: PendingStage }
  | { readonly status: 'issued' | 'rejected' | 'failed' };

/** Things that happen to an invoice; each names the fact, not the reaction. */
export const INVOICE_EVENTS = [
  /** A worker leased it to send it upstream. */
  'lease_for_submit',
  /** A worker leased it to ask the upstream about it (uncertain or awaiting a result). */
  'lease_for_query',
  /** The upstream answered: issued, with a number. */
  'issued',
  /** The upstream refused it for a business reason; a person must act. */
  'rejected',
  /** The upstream took it and is still working on it. */
  'accepted',
  /** A red invoice's 红字确认单 was filed upstream and waits for the counterparty to confirm it. */
  'confirmation_pending',
  /** The request provably never reached the upstream (DNS, refused connection, TLS, 503 before work). */
  'not_sent',
  /** The request may have reached the upstream, but no answer came (timeout, reset). */
  'outcome_unknown',
  /** The worker's lease ran out mid-attempt (it died or stalled): treated as outcome unknown. */
  'lease_expired',
  /** The worker's process stopped (a graceful shutdown) before the attempt ended, and gave its claim back: outcome unknown. */
  'lease_released',
  /** A query found no record of it upstream: it was never issued and may be sent again. */
  'not_found_upstream',
  /** A query got no answer; the outcome is still unknown. */
  'query_failed',
  /** The channel cannot be used (credentials, permissions); not the invoice's fault. */
  'channel_paused',
  /** Retrying stopped after the configured age; nothing was issued. */
  'gave_up',
  /** A person asked for a failed invoice to be tried again. */
  'retry_requested',
  /** Reconciliation found it issued upstream (by its serial number) although no answer ever said so. */
  'adopted',
  /** The month's quota cannot cover it: it was not sent (or the upstream refused it before taking it). */
  'quota_short',
] as const;
export type InvoiceEvent = (typeof INVOICE_EVENTS)[number];

/** A state as one word: `pending/queued`, `issued`, … */
export type StateKey = `pending/${PendingStage}` | 'issued' | 'rejected' | 'failed';

/**
 * The transition table. What is absent is forbidden, notably: `uncertain` never goes to
 * `submitting` by `lease_for_submit` (it must be queried first) and never to `failed` (giving up
 * on an invoice that may exist upstream would be a guess); terminal states leave only by a
 * person's retry of a failed invoice.
 */
export const TRANSITIONS: Readonly<Record<StateKey, Partial<Readonly<Record<InvoiceEvent, StateKey>>>>> = {
  'pending/queued': {
    lease_for_submit: 'pending/submitting',
    gave_up: 'failed',
    adopted: 'issued',
  },
  'pending/submitting': {
    issued: 'issued',
    rejected: 'rejected',
    accepted: 'pending/awaiting_result',
    confirmation_pending: 'pending/awaiting_confirmation',
    not_sent: 'pending/queued',
    channel_paused: 'pending/queued',
    outcome_unknown: 'pending/uncertain',
    lease_expired: 'pending/uncertain',
    lease_released: 'pending/uncertain',
    gave_up: 'failed',
    adopted: 'issued',
    quota_short: 'pending/awaiting_quota',
  },
  // Never sent while it waits: it goes when a reading, a raise or the month's turn makes room.
  'pending/awaiting_quota': {
    lease_for_submit: 'pending/submitting',
    gave_up: 'failed',
    adopted: 'issued',
  },
  'pending/uncertain': {
    lease_for_query: 'pending/uncertain',
    issued: 'issued',
    rejected: 'rejected',
    accepted: 'pending/awaiting_result',
    confirmation_pending: 'pending/awaiting_confirmation',
    not_found_upstream: 'pending/queued',
    query_failed: 'pending/uncertain',
    channel_paused: 'pending/uncertain',
    lease_expired: 'pending/uncertain',
    adopted: 'issued',
  },
  'pending/awaiting_result': {
    lease_for_query: 'pending/awaiting_result',
    issued: 'issued',
    rejected: 'rejected',
    accepted: 'pending/awaiting_result',
    confirmation_pending: 'pending/awaiting_confirmation',
    query_failed: 'pending/awaiting_result',
    channel_paused: 'pending/awaiting_result',
    lease_expired: 'pending/awaiting_result',
    // The upstream once said it had the invoice and now knows nothing of it: we cannot tell
    // whether it will appear, so it is resolved by querying again, never by sending.
    not_found_upstream: 'pending/uncertain',
    adopted: 'issued',
  },
  // Only the upstream ends the wait: the counterparty confirmed (issued), refused, or let the form
  // lapse after 72 hours (rejected, with the form's state as the reason).
  'pending/awaiting_confirmation': {
    lease_for_query: 'pending/awaiting_confirmation',
    confirmation_pending: 'pending/awaiting_confirmation',
    issued: 'issued',
    rejected: 'rejected',
    accepted: 'pending/awaiting_result',
    query_failed: 'pending/awaiting_confirmation',
    channel_paused: 'pending/awaiting_confirmation',
    lease_expired: 'pending/awaiting_confirmation',
    adopted: 'issued',
  },
  issued: {},
  rejected: {},
  failed: {
    retry_requested: 'pending/queued',
    adopted: 'issued',
  },
};

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: StateKey,
    readonly event: InvoiceEvent,
  ) {
    super(`invoice in state ${from} cannot take event ${event}`);
  }
}

export function stateKey(state: InvoiceState): StateKey {
  return state.status === 'pending' ? `pending/${state.stage}` : state.status;
}

export function stateFromKey(key: StateKey): InvoiceState {
  if (key.startsWith('pending/')) return { status: 'pending', stage: key.slice('pending/'.length) as PendingStage };
  return { status: key as 'issued' | 'rejected' | 'failed' };
}

/** The state after `event`, or IllegalTransitionError when the table does not allow it. */
export function transition(state: InvoiceState, event: InvoiceEvent): InvoiceState {
  const from = stateKey(state);
  const to = TRANSITIONS[from][event];
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return stateFromKey(to);
}

/** Whether an invoice in this state will never change again. */
export function isTerminal(state: InvoiceState): boolean {
  return Object.keys(TRANSITIONS[stateKey(state)]).length === 0;
}
