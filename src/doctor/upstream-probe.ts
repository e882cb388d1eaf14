/** dns → tcp → tls → http → clock → upstream: the walk from this machine to one upstream address. */
import { MemoryTokenShelf } from '../channels/token-shelf.js';
import { buildChannel, reachabilityProbe } from '../channels/registry.js';
import type { ChannelConfig } from '../runtime/config.js';
import { fail } from './check.js';
import type { CheckList } from './check-list.js';
import { resolveHost, type ResolvedAddress } from './dns-check.js';
import type { DoctorOptions } from './doctor-options.js';
import { clockFinding, getOnce, httpFinding, type HttpObservation } from './http-check.js';
import { connectTcp, hostPort } from './tcp-check.js';
import { handshakeFinding, hostnameFinding, ocspFinding, tlsHandshake, trustFinding, validityFinding, type TlsObservation } from './tls-check.js';
import { credentialsFinding, drawerFinding } from './upstream-check.js';

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

  const probe = reachabilityProbe(channel);
  let answer: HttpObservation | undefined;
  await list.run('http', `GET ${probe.shown}${connected ? ` at ${hostPort(connected.address, port)}` : ''}`, async () => {
    const result = await getOnce(probe.url, { timeoutMs: budget, ...(options.ca !== undefined && { ca: options.ca }), ...(connected && { pinnedAddress: connected }) });
    if ('error' in result) return result.error;
    answer = result;
    return httpFinding(result, budget, probe.anyAnswer);
  });
  await list.run('clock', 'skew against the server', () => clockFinding(answer!));
  // The channel as the gateway builds it, reaching the address checked above; tokens from the
  // gateway's shelf when the database is at hand (诺诺 allows 50 token calls in 30 days).
  const upstream = buildChannel(channel, {
    upstream: { connectTimeoutMs: budget, responseTimeoutMs: budget, pollAfterMs: 500 },
    observer: () => ({ phase: () => undefined, certificate: () => undefined }),
    tokens: options.tokens ?? new MemoryTokenShelf(),
    reach: { ...(options.ca !== undefined && { ca: options.ca }), ...(connected && { pinnedAddress: connected }) },
  });
  try {
    let accepted = false;
    await list.run('upstream', 'credentials', async () => {
      const finding = await credentialsFinding(upstream, budget);
      accepted = finding.status === 'ok';
      return finding;
    });
    if (accepted && upstream.drawerSession) {
      const drawer = upstream.drawerSession.bind(upstream);
      await list.run('upstream', 'drawer login', () => drawerFinding(drawer, budget));
    }
  } finally {
    await upstream.close();
  }
}
