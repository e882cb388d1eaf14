/**
 * Posting one webhook to a receiver, as a guarded client must (field-notes §4): the receiver's
 * address checked before connecting (no loopback, private or link-local address unless allowed,
 * and the address checked is the one connected to, so a DNS answer cannot change in between), no
 * redirect followed, one time limit for the whole exchange, and at most a few KB of the answer
 * read. It says what happened; src/dispatch decides what that means.
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';

/** What the receiver did with one POST. */
export type WebhookAnswer =
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfterMs?: number; readonly body: string }
  | { readonly kind: 'refused_address'; readonly message: string }
  | { readonly kind: 'no_answer'; readonly message: string };

const ANSWER_READ_BYTES = 4096;

// Loopback, private, link-local, carrier-grade NAT, unspecified, multicast and reserved ranges.
const PRIVATE = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(network, prefix, 'ipv6');

/** Whether an address is loopback, private or link-local (an IPv4-mapped IPv6 address as its IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether a URL's host names a private address by itself: an address in those ranges, or localhost. A name that resolves to one is caught when connecting. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && isPrivateAddress(host);
}

class RefusedAddress extends Error {}

/** dns.lookup that refuses private addresses unless allowed, for undici's `connect.lookup`. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (host, options, callback) => {
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((item) => !allowPrivate && isPrivateAddress(item.address));
      if (refused) return callback(new RefusedAddress(`${host} resolves to ${refused.address}, a loopback, private or link-local address (FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 allows it)`), '');
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export class WebhookPoster {
  private readonly agent: Agent;

  constructor(private readonly options: { readonly timeoutMs: number; readonly allowPrivate: boolean }) {
    const allowPrivate = options.allowPrivate;
    this.agent = new Agent({
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: {
        timeout: options.timeoutMs,
        // The connection goes to the address checked here: resolving again later could give another.
        lookup: guardedLookup(allowPrivate),
      },
      keepAliveTimeout: 10_000,
    });
  }

  async post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<WebhookAnswer> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { kind: 'refused_address', message: `${url} is not a URL` };
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !this.options.allowPrivate && isPrivateHost(literal)) {
      return { kind: 'refused_address', message: `${literal} is a loopback, private or link-local address (FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 allows it)` };
    }
    try {
      const response = await request(target, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'fapiao-gateway-webhooks/1', ...headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const answer = await readSome(response.body);
      const retryAfter = Number(response.headers['retry-after']);
      return { kind: 'answered', status: response.statusCode, body: answer, ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterMs: retryAfter * 1000 }) };
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (error instanceof RefusedAddress || cause instanceof RefusedAddress) return { kind: 'refused_address', message: (cause instanceof RefusedAddress ? cause : (error as Error)).message };
      const name = (error as Error).name;
      const message = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${this.options.timeoutMs} ms` : `${(error as NodeJS.ErrnoException).code ?? name}: ${(error as Error).message}`;
      return { kind: 'no_answer', message };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * The first few KB of an answer, for the delivery log; the rest is not read (a huge body costs
 * nothing). The status is the answer: a body cut short by the time limit is kept as far as it came.
 */
async function readSome(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ANSWER_READ_BYTES) break;
    }
  } catch {
    // The time limit ran out mid-body: what came is enough for the log.
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, ANSWER_READ_BYTES).toString('utf8');
}
