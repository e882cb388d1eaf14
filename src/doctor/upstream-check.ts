/** The upstream layer: does the platform accept our credentials? One call that changes nothing. */
import type { Channel } from '../channels/channel.js';
import { isChannelError } from '../channels/channel-error.js';
import { fail, ok, warn, type Finding } from './check.js';

export async function credentialsFinding(channel: Channel, timeoutMs: number): Promise<Finding> {
  if (!channel.checkCredentials) return ok(`the ${channel.name} channel has no call that changes nothing; not checked`);
  try {
    const seen = await channel.checkCredentials({ signal: AbortSignal.timeout(timeoutMs) });
    return ok(`credentials accepted: ${seen}`);
  } catch (error) {
    if (!isChannelError(error)) return fail('upstream.error', error instanceof Error ? error.message : String(error));
    const retryAfter = error.details.retryAfterMs === undefined ? '' : `, Retry-After ${Math.ceil(error.details.retryAfterMs / 1000)} s`;
    switch (error.code) {
      case 'auth_failed':
        return fail('upstream.auth_refused', `${error.message}: the credentials were refused`);
      case 'rate_limited':
        return warn('http.rate_limited', `the query was rate limited${retryAfter}`);
      case 'upstream_unavailable':
        return fail('http.status_5xx', `the query was answered 503${retryAfter}`);
      case 'timeout_after_send':
        return fail('http.timeout', `no answer to the query within ${timeoutMs} ms`);
      default:
        return fail('upstream.error', `${error.code}: ${error.message}`);
    }
  }
}
