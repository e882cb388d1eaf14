// The sign-in throttle's rules: free failures, doubling delays up to a ceiling, the keys an attempt
// is counted against, and the address a client is counted by.
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE_RULES, throttleAddress, throttleDelayMs, throttleKeys } from '../../src/domain/sign-in-throttle.js';

describe('sign-in throttle rules', () => {
  it('lets five failures of one address at one name pass, then doubles the wait up to 15 minutes', () => {
    const delays = [1, 4, 5, 6, 7, 8, 9, 10, 40].map((failures) => throttleDelayMs(DEFAULT_THROTTLE_RULES.pair, failures) / 60_000);
    expect(delays).toEqual([0, 0, 1, 2, 4, 8, 15, 15, 15]);
  });

  it('counts an attempt against its address, its name and the two together, in key order', () => {
    expect(throttleKeys('192.0.2.1', 'alice').map((key) => key.key)).toEqual(['address:192.0.2.1', 'name:alice', 'pair:192.0.2.1|alice']);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['::1', '::/64'],
    ['not an address', 'not an address'],
  ])('counts %s as %s', (ip, counted) => {
    expect(throttleAddress(ip)).toBe(counted);
  });
});
