/**
 * Posting one webhook to a receiver, as a guarded client must (field-notes §4): the receiver's
 * address checked before connecting (global unicast addresses only, unless private ones are allowed,
 * and the address checked is the one connected to, so a DNS answer cannot change in between), no
 * redirect followed, one time limit for the whole exchange, and at most a few KB of the answer
 * read. It says what happened; src/dispatch decides what that means.
 */
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isGlobalAddress } from '../domain/outbound-address.js';
import { Agent, request } from 'undici';
import { errorMessage, errorName } from '../domain/error-message.js';

/** What the receiver did with one POST. */
export type WebhookAnswer =
  | { readonly kind: 'answered'; readonly status: number; readonly retryAfterMs?: number; readonly body: string }
  | { readonly kind: 'refused_address'; readonly message: string }
  | { readonly kind: 'no_answer'; readonly message: string };

const ANSWER_READ_BYTES = 4096;


class RefusedAddress extends Error {}

/** dns.lookup that refuses every address that is not global unicast unless allowed, for undici's `connect.lookup`. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (host, options, callback) => {
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = addresses.find((item) => !allowPrivate && !isGlobalAddress(item.address));
      if (refused) return callback(new RefusedAddress(`${host} resolves to ${refused.address}, not a global unicast address (FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 allows private ones)`), '');
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
    if (isIP(literal) !== 0 && !this.options.allowPrivate && !isGlobalAddress(literal)) {
      return { kind: 'refused_address', message: `${literal} is not a global unicast address (FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 allows private ones)` };
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
      const name = errorName(error);
      const message = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${this.options.timeoutMs} ms` : `${(error as NodeJS.ErrnoException).code ?? name}: ${errorMessage(error)}`;
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
