// A client issuing invoices at a steady rate (open loop: a slow answer does not slow the sending),
// as an ERP would: each order under its own Idempotency-Key, sent again with the same key after a
// 503's Retry-After. It counts what a user would count: accepted, retried 503s, and failures (any
// other answer, or a connection that broke) — and the latency of every accepted request.
import { Agent, request } from 'undici';
import { validRequest } from './invoice-request.js';

export interface LoadReport {
  /** Orders sent (each one idempotency key). */
  readonly sent: number;
  /** Invoice ids, one per accepted order. */
  readonly accepted: ReadonlyMap<string, string>;
  /** 503s with Retry-After, each followed by a retry with the same key. */
  readonly retried503: number;
  /** 503s without Retry-After, other statuses, broken connections: what must never happen. */
  readonly failures: readonly string[];
  /** Latency of each request that was answered 202, ms. */
  readonly latenciesMs: readonly number[];
  /** When each accepted request was sent and answered (epoch ms): when accepting stopped and resumed. */
  readonly acceptedAt: ReadonlyArray<{ readonly sentAt: number; readonly answeredAt: number }>;
}

export interface SteadyLoad {
  /** Stops sending, waits for every order to be accepted or to fail, and reports. */
  stop(): Promise<LoadReport>;
}

export function percentile(values: readonly number[], share: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
}

/** Sends `perSecond` orders a second to `url` until stop(); order numbers start with `prefix`. */
export function startSteadyLoad(url: string, key: string, perSecond: number, prefix: string): SteadyLoad {
  const agent = new Agent({ connections: 128, keepAliveTimeout: 4000 });
  const accepted = new Map<string, string>();
  const failures: string[] = [];
  const latenciesMs: number[] = [];
  const acceptedAt: { sentAt: number; answeredAt: number }[] = [];
  /** Each order's last answer while it is retried, for a failure's message. */
  const lastAnswer = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  let retried503 = 0;
  let sent = 0;

  async function order(orderNo: string): Promise<void> {
    const body = JSON.stringify(validRequest({ orderNo }));
    for (let attempt = 0; attempt < 100; attempt++) {
      const started = performance.now();
      const sentAt = Date.now();
      try {
        const response = await request(`${url}/v1/invoices`, {
          method: 'POST',
          dispatcher: agent,
          // A request that hangs is a failure with a name, not a test that times out.
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `load-${orderNo}` },
          body,
        });
        const answer = (await response.body.json()) as { id?: string; code?: string };
        if (response.statusCode === 202 && answer.id) {
          latenciesMs.push(performance.now() - started);
          acceptedAt.push({ sentAt, answeredAt: Date.now() });
          accepted.set(orderNo, answer.id);
          return;
        }
        const retryAfter = Number(response.headers['retry-after']);
        lastAnswer.set(orderNo, `${response.statusCode} ${answer.code ?? ''}`);
        if (response.statusCode === 503 && Number.isFinite(retryAfter)) {
          retried503++;
          await new Promise((resolve) => setTimeout(resolve, Math.max(50, retryAfter * 1000 * (0.5 + Math.random()))));
          continue;
        }
        failures.push(`${orderNo}: ${response.statusCode} ${JSON.stringify(answer)}`);
        return;
      } catch (error) {
        failures.push(`${orderNo}: ${String((error as { code?: string }).code ?? error)}`);
        return;
      }
    }
    failures.push(`${orderNo}: never accepted after 100 tries`);
  }

  const began = performance.now();
  const timer = setInterval(() => {
    // Catch up to the rate by the clock, so a busy event loop does not lower it.
    const due = Math.floor(((performance.now() - began) / 1000) * perSecond);
    while (sent < due) {
      const work = order(`${prefix}-${sent++}`);
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }
  }, 10);

  return {
    async stop() {
      clearInterval(timer);
      // Orders still retrying a minute after the last was sent are failures, named with their last answer.
      const deadline = Date.now() + 60_000;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 1000))]);
      }
      for (const [orderNo, last] of lastAnswer) if (!accepted.has(orderNo) && !failures.some((failure) => failure.startsWith(`${orderNo}:`))) failures.push(`${orderNo}: still not accepted after a minute; last answer ${last}`);
      await agent.close().catch(() => undefined);
      return { sent, accepted, retried503, failures, latenciesMs, acceptedAt };
    },
  };
}
