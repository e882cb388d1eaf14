// ChannelRate on a clock we move by hand: a configured rate paces calls, a 429 holds the whole
// channel for its Retry-After and lowers the rate to what the upstream let through, and a quiet
// while raises it again, never past the configured rate.
import { describe, expect, it } from 'vitest';
import { ChannelRate } from '../../src/dispatch/channel-rate.js';

/** Calls made in `ms` at this rate, taking each as soon as waitMs allows. */
function callsWithin(rate: ChannelRate, from: number, ms: number): { calls: number; at: number } {
  let now = from;
  let calls = 0;
  while (now < from + ms) {
    const wait = rate.waitMs(now);
    if (wait === 0) {
      rate.take(now);
      calls++;
    } else now += wait;
  }
  return { calls, at: now };
}

describe('ChannelRate', () => {
  it('does not limit a channel with no configured rate until it answers 429', () => {
    const rate = new ChannelRate(0);
    expect(rate.waitMs(0)).toBe(0);
    expect(rate.budget(0)).toBe(Infinity);
    for (let i = 0; i < 1000; i++) rate.take(i / 10);
    expect(rate.waitMs(100)).toBe(0);
  });

  it("paces a configured rate: half a second's burst, then the rate", () => {
    const rate = new ChannelRate(50);
    const first = callsWithin(rate, 0, 1000);
    // 25 at once, then 50 more over the second.
    expect(first.calls).toBeGreaterThanOrEqual(74);
    expect(first.calls).toBeLessThanOrEqual(76);
    const next = callsWithin(rate, first.at, 10_000);
    expect(next.calls).toBeGreaterThanOrEqual(495);
    expect(next.calls).toBeLessThanOrEqual(505);
  });

  it('holds the channel for the Retry-After of a 429 and goes on under what was let through', () => {
    const rate = new ChannelRate(0);
    // 40 calls a second went through for two seconds.
    for (let i = 0; i < 80; i++) {
      rate.take(i * 25);
      rate.succeeded(i * 25 + 5);
    }
    const change = rate.limited(2000, 2000);
    expect(change.holdUntil).toBe(4000);
    expect(rate.waitMs(2100)).toBe(1900);
    expect(rate.budget(2100)).toBe(0);
    expect(change.ratePerSecond).toBeGreaterThan(35);
    expect(change.ratePerSecond).toBeLessThan(40);
    // More 429s for calls sent before the hold change nothing but the hold.
    expect(rate.limited(2050, 1000).ratePerSecond).toBe(change.ratePerSecond);
    const after = callsWithin(rate, 4000, 10_000);
    expect(after.calls).toBeGreaterThanOrEqual(Math.floor(change.ratePerSecond * 10) - 2);
    expect(after.calls).toBeLessThanOrEqual(Math.ceil(change.ratePerSecond * 10 * 1.1));
    // A 429 after the hold, at the learned pace (risen a little since): lower it by 15 %.
    const before = rate.ratePerSecond;
    expect(before).toBeGreaterThanOrEqual(change.ratePerSecond);
    expect(rate.limited(after.at, 1000).ratePerSecond).toBeCloseTo(before * 0.85, 5);
  });

  it('without a Retry-After holds one second; never lowers below one call a second', () => {
    const rate = new ChannelRate(0);
    expect(rate.limited(0, undefined)).toEqual({ holdUntil: 1000, ratePerSecond: 1 });
  });

  it('rises slowly after a quiet while, but never past the configured rate', () => {
    const rate = new ChannelRate(20);
    for (let i = 0; i < 10; i++) rate.take(i * 100);
    rate.limited(1000, 1000);
    const low = rate.ratePerSecond;
    expect(low).toBeLessThan(20);
    callsWithin(rate, 2000, 120_000);
    expect(rate.ratePerSecond).toBe(20);
  });
});
