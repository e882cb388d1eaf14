// A channel's state changes reach the log at warn or error with their cause: the circuit opening,
// half-opening and closing, a pause for refused credentials, a 429 that slows it down, a lease
// lost, and a failed upstream call (a successful one stays at info).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ChannelError } from '../../src/channels/channel-error.js';
import { ChannelHealth } from '../../src/dispatch/channel-health.js';
import { GatewayEvents } from '../../src/runtime/events.js';

function capture() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { lines, events: new GatewayEvents(pino({ level: 'info' }, sink)) };
}

const WARN = 40;
const ERROR = 50;
let now = 0;
const clock = { now: () => now };

describe('state changes in the log', () => {
  it('logs the circuit opening (error, with the cause), half-opening and closing (warn)', async () => {
    const { lines, events } = capture();
    // The breaker (cockatiel) reads Date.now() for its half-open wait: move that clock, never sleep.
    vi.useFakeTimers({ toFake: ['Date'] });
    const health = new ChannelHealth(['sim'], clock, { failuresToOpen: 2, halfOpenAfterMs: 20, pauseMs: 1000, onChange: (change) => events.channelChanged(change) });
    const fail = () => Promise.reject(new ChannelError('connect_failed', 'retry', 'connection failed (ECONNREFUSED)'));
    for (let i = 0; i < 2; i++) await health.execute('sim', fail).catch(() => undefined);
    vi.setSystemTime(Date.now() + 30);
    now += 30;
    await health.execute('sim', () => Promise.resolve('ok'));
    vi.useRealTimers();
    await new Promise((resolve) => setImmediate(resolve));
    const changes = lines.filter((line) => String(line.msg).startsWith('circuit'));
    expect(changes.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([
      [ERROR, 'circuit opened'],
      [WARN, 'circuit half-open'],
      [WARN, 'circuit closed'],
    ]);
    expect(changes[0]).toMatchObject({ channel: 'sim', cause: 'connection failed (ECONNREFUSED)' });
  });

  it('logs a pause (error) and a 429 (warn, with the hold and the new rate), which never opens the circuit', async () => {
    const { lines, events } = capture();
    // Real time here: after a 429 the channel really waits for room at its lowered rate.
    const health = new ChannelHealth(['sim'], { now: () => Date.now() }, { failuresToOpen: 1, halfOpenAfterMs: 1000, pauseMs: 1000, onChange: (change) => events.channelChanged(change) });
    for (let i = 0; i < 2; i++) {
      await health.execute('sim', () => Promise.reject(new ChannelError('rate_limited', 'retry', 'rate limited', { retryAfterMs: 1 }))).catch(() => undefined);
    }
    expect(health.snapshot()[0]!.circuit).toBe('closed');
    health.pause('sim', 'credentials refused (401)');
    expect(lines.find((line) => line.msg.startsWith('upstream rate limit'))).toMatchObject({ level: WARN, channel: 'sim' });
    expect(lines.find((line) => line.msg.startsWith('channel paused'))).toMatchObject({ level: ERROR, channel: 'sim', cause: 'credentials refused (401)' });
    expect(lines.some((line) => line.msg.startsWith('circuit opened'))).toBe(false);
  });

  it('logs a failed upstream call and a lost lease at warn, a successful call at info', () => {
    const { lines, events } = capture();
    events.attemptFinished({ invoiceId: 'inv_1', channel: 'sim', action: 'submit', outcome: 'uncertain', durationMs: 5, error: 'timeout_after_send' });
    events.attemptFinished({ invoiceId: 'inv_2', channel: 'sim', action: 'submit', outcome: 'issued', durationMs: 5 });
    events.leaseLost({ invoiceId: 'inv_3', channel: 'sim' });
    expect(lines.map((line) => [line.level, line.invoiceId])).toEqual([
      [WARN, 'inv_1'],
      [30, 'inv_2'],
      [WARN, 'inv_3'],
    ]);
  });
});
