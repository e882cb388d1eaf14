/**
 * What a tenant is told about a channel's last error: our code and a fixed sentence. The
 * upstream's own text can quote another seller's invoice (a buyer's name, a bank account), so it
 * is kept for operators (operator keys, logs) and never shown across tenants.
 */
import type { ChannelErrorCode } from '../channels/channel-error.js';

export const CHANNEL_ERROR_TEXT: Readonly<Record<ChannelErrorCode, string>> = {
  dns_failed: "the upstream's name did not resolve",
  connect_failed: 'the connection to the upstream was refused or the host is unreachable',
  connect_timeout: 'no connection to the upstream within the connect timeout',
  tls_failed: 'the TLS handshake with the upstream failed (certificate expired, untrusted or mismatched)',
  timeout_after_send: 'the upstream did not answer within the response timeout',
  connection_reset: 'the connection to the upstream broke after sending',
  rate_limited: 'the upstream asked to slow down (429)',
  upstream_unavailable: 'the upstream was unavailable (503)',
  upstream_error: 'the upstream answered with an unexpected error',
  content_rejected: 'the upstream refused the content of an invoice',
  auth_failed: "the upstream refused this gateway's credentials or permissions",
  drawer_login_required: 'the drawer (开票员) must log in to the tax bureau again, or confirm their identity',
  circuit_open: 'the channel is resting after repeated failures',
  rate_held: "the call waited for room at the channel's rate and was put back in line",
  protocol_error: 'the upstream answered something unreadable',
};
