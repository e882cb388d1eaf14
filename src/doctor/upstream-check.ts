/**
 * The upstream layer: does the platform accept our credentials (one call that changes nothing), and
 * where it says so, is the drawer logged in to the tax bureau before invoices pile up?
 */
import type { CallOptions, Channel, DrawerSession } from '../channels/channel.js';
import { isChannelError } from '../channels/channel-error.js';
import { fail, ok, warn, type Finding } from './check.js';
import { KNOWLEDGE } from './knowledge-base.js';
import { errorMessage } from '../domain/error-message.js';

export async function credentialsFinding(channel: Channel, timeoutMs: number): Promise<Finding> {
  if (!channel.checkCredentials) return ok(`the ${channel.name} channel has no call that changes nothing; not checked`);
  try {
    const seen = await channel.checkCredentials({ signal: AbortSignal.timeout(timeoutMs) });
    return ok(`credentials accepted: ${seen}`);
  } catch (error) {
    if (!isChannelError(error)) return fail('upstream.error', errorMessage(error));
    const retryAfter = error.details.retryAfterMs === undefined ? '' : `, Retry-After ${Math.ceil(error.details.retryAfterMs / 1000)} s`;
    // A provider whose codes the knowledge base knows one by one: the finding names the code's own cause and remedy.
    const own = channel.protocol && error.details.upstreamCode ? `upstream.${channel.protocol}_${error.details.upstreamCode}` : undefined;
    if (own && own in KNOWLEDGE) return fail(own, error.message);
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

export async function drawerFinding(drawerSession: (options: CallOptions) => Promise<DrawerSession>, timeoutMs: number): Promise<Finding> {
  try {
    const session = await drawerSession({ signal: AbortSignal.timeout(timeoutMs) });
    if (!session.loggedIn || session.identityConfirmed === false) return fail('upstream.drawer_logged_out', session.detail);
    return ok(session.detail);
  } catch (error) {
    if (isChannelError(error) && error.code === 'drawer_login_required') return fail('upstream.drawer_logged_out', error.message);
    return warn('upstream.error', `the login state could not be read: ${errorMessage(error)}`);
  }
}
