/**
 * The HTTP agent of a provider's channel (诺诺, 百望): its timeouts, the extra CA `fapiao doctor
 * --ca` trusts, and the address the doctor's network layers checked, when it pins one.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { PingResult } from './channel.js';
import { transportError } from './transport-error.js';
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

/** A GET of the provider's business address: any HTTP answer proves DNS, TCP and TLS, and changes nothing. */
export async function pingAnyAnswer(url: string, agent: Agent, signal: AbortSignal): Promise<PingResult> {
  const started = performance.now();
  try {
    const response = await request(url, { method: 'GET', dispatcher: agent, signal });
    await response.body.dump();
    return { ok: true, latencyMs: performance.now() - started };
  } catch (error) {
    return { ok: false, message: transportError(error).message };
  }
}
