/**
 * The dns layer: how long the name takes to resolve and to what. The system's resolver (getaddrinfo,
 * with /etc/hosts) answers first, because that is what the gateway's connections use; when it
 * fails, a direct DNS query tells NXDOMAIN, SERVFAIL and silence apart, which getaddrinfo folds
 * into two codes.
 */
import { lookup, promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { fail, ok, warn, type Finding } from './check.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface DnsOptions {
  readonly timeoutMs: number;
  /** Ask this DNS server (host or host:port) directly instead of the system's resolver. */
  readonly server?: string;
}

/** Resolution slower than this is worth a warning: every new connection waits for it. */
const SLOW_DNS_MS = 200;

export async function resolveHost(host: string, options: DnsOptions): Promise<{ finding: Finding; addresses: ResolvedAddress[] }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family !== 0) return { finding: ok(`${bare} is an address: nothing to resolve`), addresses: [{ address: bare, family: family as 4 | 6 }] };
  const started = performance.now();
  const answer = options.server === undefined ? await systemLookup(bare, options.timeoutMs) : await queryServer(bare, options.server, options.timeoutMs);
  const elapsed = performance.now() - started;
  if ('errorCode' in answer) {
    // getaddrinfo says EAI_AGAIN both for a SERVFAIL and for silence; a direct query tells which.
    let code = answer.errorCode;
    if (code === 'EAI_AGAIN' && options.server === undefined) {
      const direct = await queryServer(bare, undefined, options.timeoutMs);
      if ('errorCode' in direct) code = direct.errorCode;
    }
    return { finding: dnsFailure(bare, code, options.timeoutMs), addresses: [] };
  }
  const listed = answer.addresses.map((a) => `${a.family === 4 ? 'A' : 'AAAA'} ${a.address}`).join(', ');
  if (elapsed > SLOW_DNS_MS) return { finding: warn('dns.slow', `resolved in ${Math.round(elapsed)} ms (over ${SLOW_DNS_MS} ms): ${listed}`), addresses: answer.addresses };
  return { finding: ok(listed), addresses: answer.addresses };
}

type Answer = { addresses: ResolvedAddress[] } | { errorCode: string };

function systemLookup(host: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    // getaddrinfo cannot be cancelled; past the budget its answer is simply not waited for.
    const timer = setTimeout(() => resolve({ errorCode: 'ETIMEOUT' }), timeoutMs);
    lookup(host, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error) resolve({ errorCode: error.code ?? 'EUNKNOWN' });
      else resolve({ addresses: addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) });
    });
  });
}

async function queryServer(host: string, server: string | undefined, timeoutMs: number): Promise<Answer> {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (server !== undefined) resolver.setServers([server]);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses: ResolvedAddress[] = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
  ];
  if (addresses.length > 0) return { addresses };
  const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [(r.reason as NodeJS.ErrnoException).code ?? 'EUNKNOWN'] : []));
  // A name with records of neither family answers ENODATA twice; otherwise the more telling error wins.
  return { errorCode: errors.find((code) => code !== 'ENODATA') ?? errors[0] ?? 'ENODATA' };
}

function dnsFailure(host: string, code: string, timeoutMs: number): Finding {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return fail('dns.nxdomain', `${host}: no such name (NXDOMAIN)`);
    case 'ENODATA':
    case 'EAI_NODATA':
      return fail('dns.nxdomain', `${host}: the name exists but has no A or AAAA record`);
    case 'ESERVFAIL':
      return fail('dns.servfail', `${host}: the DNS server answered SERVFAIL`);
    case 'ETIMEOUT':
    case 'ECONNREFUSED':
    case 'EAI_AGAIN':
      return fail('dns.timeout', `${host}: no answer from the DNS server within ${timeoutMs} ms (${code})`);
    default:
      return fail('dns.failed', `${host}: lookup failed (${code})`);
  }
}
