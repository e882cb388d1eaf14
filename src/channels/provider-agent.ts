/**
 * The HTTP agent of a provider's channel (诺诺, 百望): its timeouts, the extra CA `fapiao doctor
 * --ca` trusts, and the address the doctor's network layers checked, when it pins one.
 */
import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { answerPinned, type PinnedAddress } from './pinned-address.js';

export interface ProviderAgentOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  /** Extra CA certificates (PEM) to trust, for `fapiao doctor --ca`. */
  readonly ca?: string;
  /** Connect to this address instead of resolving the host; for `fapiao doctor`. */
  readonly pinnedAddress?: PinnedAddress;
}

export function providerAgent(options: ProviderAgentOptions): Agent {
  const pinned = options.pinnedAddress;
  const connect = {
    timeout: options.connectTimeoutMs,
    ...(options.ca !== undefined && { ca: [...rootCertificates, options.ca] }),
    ...(pinned && { lookup: (_host: string, lookup: { all?: boolean | undefined }, callback: (...args: unknown[]) => void) => answerPinned(pinned, lookup, callback) }),
  };
  return new Agent({ connect, headersTimeout: options.responseTimeoutMs, bodyTimeout: options.responseTimeoutMs, keepAliveTimeout: 10_000 });
}
