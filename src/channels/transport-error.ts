/**
 * Failures below HTTP, the same for every protocol: DNS, connect and TLS failures happen before a
 * request can reach the upstream (`retry`); a timeout or a reset after sending may have reached it
 * (`uncertain`). Also Retry-After, as every HTTP upstream writes it.
 */
import { ChannelError } from './channel-error.js';
import { errorMessage } from '../domain/error-message.js';

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const TLS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** The error's string code, or its cause's (undici wraps socket errors); '' when neither has one. */
export function errorCode(error: unknown): string {
  const direct = (error as { code?: unknown } | null)?.code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : '';
}

/** A transport failure (no HTTP answer) as a ChannelError. */
export function transportError(error: unknown): ChannelError {
  const code = errorCode(error);
  const message = errorMessage(error);
  if (DNS.has(code)) return new ChannelError('dns_failed', 'retry', `DNS lookup failed (${code})`, { cause: error });
  if (CONNECT.has(code)) return new ChannelError('connect_failed', 'retry', `connection failed (${code})`, { cause: error });
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new ChannelError('connect_timeout', 'retry', 'connect timed out', { cause: error });
  if (TLS.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return new ChannelError('tls_failed', 'retry', `TLS failed (${code})`, { cause: error });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (error as Error | null)?.name === 'AbortError' || (error as Error | null)?.name === 'TimeoutError') {
    return new ChannelError('timeout_after_send', 'uncertain', 'no answer in time after sending', { cause: error });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return new ChannelError('connection_reset', 'uncertain', `connection lost (${code})`, { cause: error });
  }
  return new ChannelError('protocol_error', 'uncertain', `unexpected failure: ${message}`, { cause: error });
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

