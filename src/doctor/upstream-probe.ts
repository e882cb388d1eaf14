/** dns → tcp → tls → http → clock → upstream: the walk from this machine to one upstream address. */
import { ReferenceChannel } from '../channels/reference/reference-channel.js';
import type { ChannelConfig } from '../runtime/config.js';
import { fail } from './check.js';
import type { CheckList } from './check-list.js';
import { resolveHost, type ResolvedAddress } from './dns-check.js';
import type { DoctorOptions } from './doctor.js';
import { clockFinding, getOnce, httpFinding, type HttpObservation } from './http-check.js';
import { connectTcp, hostPort } from './tcp-check.js';
import { handshakeFinding, hostnameFinding, ocspFinding, tlsHandshake, trustFinding, validityFinding, type TlsObservation } from './tls-check.js';
import { credentialsFinding } from './upstream-check.js';

/** The reference protocol's health endpoint (shared/api.md, the simulator). */
export const PING_PATH = '/api/v1/ping';

/** The network layers for one upstream; TLS only for https. */
export async function probeUpstream(list: CheckList, channel: ChannelConfig, options: DoctorOptions): Promise<void> {
  const url = new URL(channel.url);
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (https ? 443 : 80);
  const budget = options.timeoutMs;

  let addresses: ResolvedAddress[] = [];
  await list.run('dns', `resolve ${host}`, async () => {
    const resolved = await resolveHost(host, { timeoutMs: budget, ...(options.dnsServer !== undefined && { server: options.dnsServer }) });
    addresses = resolved.addresses;
    return resolved.finding;
  });

  let connected: ResolvedAddress | undefined;
  await list.run('tcp', `connect port ${port}`, async () => {
    const result = await connectTcp(addresses, port, budget);
    connected = result.address;
    return result.finding;
  });

  if (https) {
    let tls: TlsObservation | undefined;
    await list.run('tls', 'handshake', async () => {
      if (!connected) return fail('tls.handshake_failed', 'no connection to shake hands on');
      const result = await tlsHandshake(host, connected.address, port, { timeoutMs: budget, ...(options.ca !== undefined && { ca: options.ca }) });
      if ('error' in result) return result.error;
      tls = result;
      return handshakeFinding(result);
    });
    if (tls) {
      const seen = tls;
      const now = options.now ?? Date.now;
      await list.run('tls', 'certificate validity', () => validityFinding(seen, now()));
      await list.run('tls', 'chain trust', () => trustFinding(seen, options.ca));
      await list.run('tls', 'hostname', () => hostnameFinding(host, seen));
      await list.run('tls', 'OCSP stapling', () => ocspFinding(seen));
    }
  }

  const pingUrl = `${channel.url.replace(/\/+$/, '')}${PING_PATH}`;
  let answer: HttpObservation | undefined;
  await list.run('http', `GET ${PING_PATH}${connected ? ` at ${hostPort(connected.address, port)}` : ''}`, async () => {
    const result = await getOnce(pingUrl, { timeoutMs: budget, ...(options.ca !== undefined && { ca: options.ca }), ...(connected && { pinnedAddress: connected }) });
    if ('error' in result) return result.error;
    answer = result;
    return httpFinding(result, budget);
  });
  await list.run('clock', 'skew against the server', () => clockFinding(answer!));
  await list.run('upstream', 'credentials', async () => {
    const upstream = new ReferenceChannel({
      name: channel.name,
      url: channel.url,
      connectTimeoutMs: budget,
      responseTimeoutMs: budget,
      pollAfterMs: 500,
      ...(options.ca !== undefined && { ca: options.ca }),
      ...(connected && { pinnedAddress: connected }),
    });
    try {
      return await credentialsFinding(upstream, budget);
    } finally {
      await upstream.close();
    }
  });
}
