/**
 * How a failed channel call must be treated. The adapter decides the disposition, and only the
 * disposition; src/dispatch decides what to do about it.
 */
export const DISPOSITIONS = ['retry', 'uncertain', 'rejected', 'operator'] as const;
/**
 * - `retry`: provably not processed upstream (DNS or connect failure, TLS, 429/503 before work). Safe to resend.
 * - `uncertain`: may have reached the upstream (timeout after sending, reset mid-response). Query first.
 * - `rejected`: the upstream refused the content; no retry helps, a person must act.
 * - `operator`: needs an operator (credentials, permissions); park the whole channel.
 */
export type Disposition = (typeof DISPOSITIONS)[number];

/** Our codes: stable, listed in docs/errors.md, never reused. */
export type ChannelErrorCode =
  | 'dns_failed'
  | 'connect_failed'
  | 'connect_timeout'
  | 'tls_failed'
  | 'timeout_after_send'
  | 'connection_reset'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'content_rejected'
  | 'auth_failed'
  | 'drawer_login_required'
  | 'circuit_open'
  | 'rate_held'
  | 'quota_exhausted'
  | 'protocol_error';

export class ChannelError extends Error {
  override readonly name = 'ChannelError';

  constructor(
    readonly code: ChannelErrorCode,
    readonly disposition: Disposition,
    message: string,
    readonly details: { readonly upstreamCode?: string; readonly retryAfterMs?: number; readonly cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

export function isChannelError(error: unknown): error is ChannelError {
  return error instanceof ChannelError;
}
