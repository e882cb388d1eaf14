/**
 * Classification for the reference protocol (the simulator's, shared/api.md): which HTTP statuses
 * mean "never processed" and which mean "may have been processed" (transport failures are the same
 * for every protocol: ../transport-error.ts). The rule: only failures before the request could
 * reach the upstream are `retry`; when in doubt, `uncertain` (querying is cheap, issuing twice is not).
 */
import { ChannelError } from '../channel-error.js';


/** An HTTP answer that is not a result, as a ChannelError. */
export function statusError(status: number, body: string, retryAfter: number | undefined): ChannelError {
  const upstreamCode = `http_${status}`;
  const excerpt = body.slice(0, 200);
  const details = { upstreamCode, ...(retryAfter !== undefined && { retryAfterMs: retryAfter }) };
  if (status === 429) return new ChannelError('rate_limited', 'retry', 'rate limited by the upstream', details);
  // The reference protocol answers 503 only before doing any work.
  if (status === 503) return new ChannelError('upstream_unavailable', 'retry', 'upstream unavailable (503)', details);
  // Refused before anything was recorded: the month's quota cannot cover it. Nothing was issued.
  if (status === 409 && /"code"\s*:\s*"QUOTA_EXCEEDED"/.test(body)) return new ChannelError('quota_exhausted', 'retry', `the month's invoice quota is used up: ${excerpt}`, details);
  if (status === 401 || status === 403) return new ChannelError('auth_failed', 'operator', `credentials refused (${status})`, details);
  if (status === 400 || status === 422) return new ChannelError('content_rejected', 'rejected', `upstream refused the request: ${excerpt}`, details);
  return new ChannelError('upstream_error', 'uncertain', `upstream answered ${status}: ${excerpt}`, details);
}
