// Slow clients and overload: connections that dribble bytes are closed on time while real
// clients are served, and work beyond what the gateway can take is refused at once with 503 and
// Retry-After (never by a time-out), while health and metrics still answer.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';

let t: TestGateway;
let port: number;
let orders = 0;

const issue = () => http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `ov-${Date.now()}-${++orders}`, json: validRequest({ orderNo: `OV-${Date.now()}-${orders}` }) });

/** What a well-behaved client does: on 503, wait and try again (a loaded test machine may shed too). */
async function issueUntilAccepted() {
  for (let i = 0; ; i++) {
    const answer = await issue();
    if (answer.status !== 503 || i === 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  t = await startTestGateway({
    // Nothing to deliver to: the upstream refuses connections; this file is about the HTTP side.
    channels: [{ name: 'nowhere', url: 'http://127.0.0.1:1' }],
    http: { requestTimeoutMs: 1500, headersTimeoutMs: 1000, idleTimeoutMs: 3000, maxInFlight: 8, maxEventLoopDelayMs: 40, maxEventLoopUtilization: 0, maxConnections: 400 },
  });
  port = Number(new URL(t.gateway.url).port);
});

afterAll(async () => {
  await t.close();
});

interface SlowClient {
  readonly socket: Socket;
  closedAt: number | undefined;
  received: string;
}

/**
 * A client that announces a 1 MB body and then sends one byte every `everyMs`, for as long as it is
 * let. It has a key: a keyless body is refused from its headers (test/api/unauthenticated-bodies.test.ts).
 */
function slowClient(options: { headersOnlyPartly?: boolean; everyMs: number; port?: number; key?: string }): SlowClient {
  const socket = connect(options.port ?? port, '127.0.0.1');
  const client: SlowClient = { socket, closedAt: undefined, received: '' };
  socket.on('data', (chunk: Buffer) => (client.received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    client.closedAt = Date.now();
    clearInterval(timer);
  });
  socket.write(
    options.headersOnlyPartly
      ? 'POST /v1/invoices HTTP/1.1\r\nHost: x\r\n'
      : `POST /v1/invoices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${options.key ?? t.key}\r\nContent-Type: application/json\r\nIdempotency-Key: slow\r\nContent-Length: 1000000\r\n\r\n{`,
  );
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(options.headersOnlyPartly ? 'X' : ' ');
  }, options.everyMs);
  return client;
}

describe('slow clients', () => {
  it('closes connections that dribble a body or headers, and serves real clients meanwhile', async () => {
    const started = Date.now();
    const slow = [
      ...Array.from({ length: 100 }, () => slowClient({ everyMs: 300 })),
      ...Array.from({ length: 100 }, () => slowClient({ everyMs: 300, headersOnlyPartly: true })),
    ];
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Real clients are served while the slow ones hang on. (The body dribblers hold up to
    // maxInFlight of the request slots, so a few real ones may be told to come back; none waits.)
    for (let i = 0; i < 10; i++) {
      const health = await http(`${t.gateway.url}/healthz`);
      expect(health.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(slow.filter((client) => client.closedAt === undefined)).toHaveLength(0);
    // Every slow connection was closed well before its 1 MB could arrive, within the timeouts.
    for (const client of slow) expect(client.closedAt! - started).toBeLessThan(4000);
    const answered = slow.filter((client) => client.received.startsWith('HTTP/1.1 408'));
    expect(answered.length).toBeGreaterThan(0);
    expect(answered[0]!.received).toContain('"code":"request_timeout"');
    // And afterwards the gateway takes invoices as usual.
    expect((await issueUntilAccepted()).status).toBe(202);
  });
});

describe('overload', () => {
  it('refuses requests beyond maxInFlight at once with 503 and Retry-After, and takes them again when the slots free', async () => {
    const holders = Array.from({ length: 8 }, () => slowClient({ everyMs: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const t0 = performance.now();
    const refused = await issue();
    const elapsed = performance.now() - t0;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.code).toBe('overloaded');
    expect(elapsed).toBeLessThan(1000);
    expect((await http(`${t.gateway.url}/healthz`)).status).toBe(200);
    const metrics = await http(`${t.gateway.url}/metrics`);
    expect(metrics.text).toMatch(/fapiao_requests_shed_total\{reason="in_flight"\} [1-9]/);
    for (const holder of holders) holder.socket.destroy();
    expect((await issueUntilAccepted()).status).toBe(202);
  });

  it('refuses requests while a crowd waits on a late event loop, and recovers when it catches up', async () => {
    const crowded = await startTestGateway({
      channels: [{ name: 'nowhere', url: 'http://127.0.0.1:1' }],
      http: { requestTimeoutMs: 10_000, maxInFlight: 0, maxEventLoopDelayMs: 40, maxEventLoopUtilization: 0 },
    });
    const crowdPort = Number(new URL(crowded.gateway.url).port);
    // A crowd: 150 slow uploads hold connections open (a few busy clients are no overload).
    const crowd = Array.from({ length: 150 }, () => slowClient({ everyMs: 200, port: crowdPort, key: crowded.key }));
    const issueThere = () =>
      http(`${crowded.gateway.url}/v1/invoices`, { key: crowded.key, idempotencyKey: `el-${Date.now()}-${++orders}`, json: validRequest({ orderNo: `EL-${Date.now()}-${orders}` }) });
    // Keep this process's event loop ~150 ms late, as a CPU-bound flood would. The delay histogram
    // takes one long interval after each spin and often a 10 ms one in the gap before the next, so
    // its mean is about half the spin: with 80 ms spins it sat on the 40 ms threshold and shed only
    // some samples (CI failed with 2 of 5 refused).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const spin = setInterval(() => {
      const until = performance.now() + 150;
      while (performance.now() < until);
    }, 10);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const answers = [];
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let i = 0; i < 5; i++) answers.push(await issueThere());
    const health = await http(`${crowded.gateway.url}/healthz`);
    clearInterval(spin);
    for (const client of crowd) client.socket.destroy();
    // The admitted share falls by a fifth each sample while the loop is late: after 1.5 s of it
    // under 5 % are admitted, and the rest are refused at once.
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(3);
    expect(answers.find((a) => a.status === 503)!.headers['retry-after']).toBe('1');
    expect(health.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await issueThere()).status).toBe(202);
    expect((await http(`${crowded.gateway.url}/metrics`)).text).toMatch(/fapiao_requests_shed_total\{reason="event_loop"\} [1-9]/);
    await crowded.close();
  });
});
