/**
 * What the doctor's knowledge base says of a channel's last error: each channel error code with
 * the finding it is most like, for the console's "cause and remedy" beside a channel.
 */
import type { ChannelErrorCode } from '../channels/channel-error.js';
import { KNOWLEDGE, type Knowledge } from './knowledge-base.js';

const FINDING_OF: Partial<Record<ChannelErrorCode, keyof typeof KNOWLEDGE>> = {
  dns_failed: 'dns.failed',
  connect_failed: 'tcp.refused',
  connect_timeout: 'tcp.timeout',
  tls_failed: 'tls.handshake_failed',
  timeout_after_send: 'http.timeout',
  rate_limited: 'http.rate_limited',
  upstream_unavailable: 'http.status_5xx',
  upstream_error: 'upstream.error',
  auth_failed: 'upstream.auth_refused',
  drawer_login_required: 'upstream.drawer_logged_out',
};

/** The cause and remedy for a channel error code, when the knowledge base has one. */
export function knowledgeOfChannelError(code: ChannelErrorCode): Knowledge | undefined {
  const finding = FINDING_OF[code];
  return finding ? KNOWLEDGE[finding] : undefined;
}
