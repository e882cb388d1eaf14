/**
 * The http and clock layers: one GET of the upstream's ping endpoint — status, time to first byte,
 * Retry-After on 429 and 503 — and the server's Date header from that same answer against ours.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { answerPinned } from '../channels/pinned-address.js';
import { errorCode, retryAfterMs } from '../channels/transport-error.js';
import { fail, ok, warn, type Finding } from './check.js';
import { errorMessage, errorName } from '../domain/error-message.js';

export interface HttpObservation {
  readonly status: number;
  readonly firstByteMs: number;
  /** Our clock when the request left and when the answer's headers came. */
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly date: string | undefined;
  readonly retryAfterMs: number | undefined;
}

/** A first byte later than this (or than half the budget, if that is less) is slow. */
const SLOW_FIRST_BYTE_MS = 1000;
/** Clock skew beyond which signatures and tokens break, and beyond which it is worth a warning, s. */
const SKEW_FAIL_SECONDS = 300;
const SKEW_WARN_SECONDS = 30;

export async function getOnce(
  url: string,
  options: { timeoutMs: number; ca?: string; pinnedAddress?: { address: string; family: 4 | 6 } },
): Promise<HttpObservation | { error: Finding }> {
  const pinned = options.pinnedAddress;
  const agent = new Agent({
    connect: {
      timeout: options.timeoutMs,
      ...(options.ca !== undefined && { ca: [...rootCertificates, options.ca] }),
      // The address the dns layer found, so that this request reaches the host just checked.
      ...(pinned && { lookup: (_host: string, lookupOptions: { all?: boolean | undefined }, callback: (...args: unknown[]) => void) => answerPinned(pinned, lookupOptions, callback) }),
    },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const sentAt = Date.now();
  const started = performance.now();
  try {
    const response = await request(url, { method: 'GET', dispatcher: agent, signal: AbortSignal.timeout(options.timeoutMs) });
    const firstByteMs = performance.now() - started;
    const receivedAt = Date.now();
    await response.body.dump();
    const date = response.headers.date;
    return {
      status: response.statusCode,
      firstByteMs,
      sentAt,
      receivedAt,
      date: Array.isArray(date) ? date[0] : date,
      retryAfterMs: retryAfterMs(response.headers['retry-after'], receivedAt),
    };
  } catch (error) {
    return { error: transportFailure(error, options.timeoutMs) };
  } finally {
    await agent.close();
  }
}

function transportFailure(error: unknown, timeoutMs: number): Finding {
  // An aborted signal rejects with a DOMException, whose numeric `code` says nothing; its name does.
  const name = errorName(error);
  const code = errorCode(error) || name;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError' || name === 'AbortError') {
    return fail('http.timeout', `connected, but no answer within ${timeoutMs} ms`);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return fail('http.timeout', `the server closed the connection without answering (${code})`);
  return fail('upstream.error', `the request failed: ${errorMessage(error)} (${code})`);
}

const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;

/** `anyAnswer`: the address is not a ping endpoint, and any answer below 500 shows the server is reached. */
export function httpFinding(answer: HttpObservation, timeoutMs: number, anyAnswer = false): Finding {
  const { status } = answer;
  const firstByte = `first byte after ${Math.round(answer.firstByteMs)} ms`;
  const retryAfter = answer.retryAfterMs === undefined ? 'no Retry-After' : `Retry-After ${seconds(answer.retryAfterMs)}`;
  if (status === 429) return warn('http.rate_limited', `429 Too Many Requests, ${retryAfter}`);
  if (status >= 500) return fail('http.status_5xx', `${status}${status === 503 ? ' Service Unavailable' : ''}, ${retryAfter}`);
  if (anyAnswer && status >= 400) return ok(`${status} (the server answers; the calls come below), ${firstByte}`);
  if (status === 404) return warn('http.no_ping', `404 for the ping endpoint; ${firstByte}`);
  if (status >= 400) return warn('http.status_4xx', `${status} for the ping endpoint; ${firstByte}`);
  const slowAfter = Math.min(SLOW_FIRST_BYTE_MS, timeoutMs / 2);
  if (answer.firstByteMs > slowAfter) return warn('http.slow', `${status}, ${firstByte} (slow: over ${Math.round(slowAfter)} ms)`);
  return ok(`${status}, ${firstByte}`);
}

/**
 * The server's clock against ours. Date has whole seconds, so the server's time is taken as the
 * middle of its second, and ours as the middle of the exchange: the error is about ±1 s.
 */
export function clockFinding(answer: HttpObservation): Finding {
  if (answer.date === undefined) return ok('the server sent no Date header: nothing to compare');
  const server = Date.parse(answer.date);
  if (Number.isNaN(server)) return ok(`the server's Date header is unreadable: ${JSON.stringify(answer.date)}`);
  const skew = (server + 500 - (answer.sentAt + answer.receivedAt) / 2) / 1000;
  const magnitude = Math.abs(skew);
  const text = magnitude < 1 ? `the clocks agree within 1 s (Date: ${answer.date})` : `the server is ${Math.round(magnitude)} s ${skew > 0 ? 'ahead' : 'behind'} (Date: ${answer.date})`;
  if (magnitude > SKEW_FAIL_SECONDS) return fail('clock.skew', `${text}; over ${SKEW_FAIL_SECONDS / 60} minutes breaks signatures and tokens`);
  if (magnitude > SKEW_WARN_SECONDS) return warn('clock.skew', `${text}; over ${SKEW_WARN_SECONDS} s`);
  return ok(text);
}
