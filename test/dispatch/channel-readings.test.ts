// What a channel's health tells the console beside its circuit: since when it has been failing
// (cleared by a success; set by a pause too), how long its answered calls took, and when its
// upstream's certificate expires.
import { describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/channels/channel-error.js';
import { ChannelHealth } from '../../src/dispatch/channel-health.js';

describe('channel readings', () => {
  it('tracks failingSince, latency percentiles and the certificate', async () => {
    let now = 1_000_000;
    const health = new ChannelHealth(['sim'], { now: () => now }, { failuresToOpen: 10, halfOpenAfterMs: 1000, pauseMs: 1000 });
    const reading = () => health.snapshot()[0]!;
    expect(reading()).toMatchObject({ failingSince: null, latencyMs: null, certificateExpiresAt: null });

    const fail = () => health.execute('sim', () => Promise.reject(new ChannelError('connect_failed', 'retry', 'refused')));
    await expect(fail()).rejects.toThrow('refused');
    now += 5000;
    await expect(fail()).rejects.toThrow('refused');
    // Since the first failure after the last success.
    expect(reading().failingSince).toBe(1_000_000);
    for (const ms of [5, 5, 5, 5, 40]) await health.execute('sim', () => new Promise((resolve) => setTimeout(resolve, ms)));
    const { failingSince, latencyMs } = reading();
    expect(failingSince).toBeNull();
    expect(latencyMs!.p50).toBeGreaterThanOrEqual(4);
    expect(latencyMs!.p95).toBeGreaterThanOrEqual(latencyMs!.p50);
    expect(latencyMs!.p95).toBeGreaterThanOrEqual(35);

    health.pause('sim', 'the drawer must log in');
    expect(reading().failingSince).toBe(now);
    health.certificateSeen('sim', 1_900_000_000_000);
    expect(reading().certificateExpiresAt).toBe(1_900_000_000_000);
  });
});
