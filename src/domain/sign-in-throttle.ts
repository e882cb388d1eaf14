/**
 * How console sign-in attempts are held back (OWASP ASVS V2.2): failures are counted per client
 * address, per address and name, and per name, and past a free allowance each further failure
 * makes the next attempt wait twice as long, up to a ceiling. There is no hard lock a stranger
 * can set off: a name guessed at from one address slows that address, and the same answer is
 * given whether the name exists or not.
 */
import ipaddr from 'ipaddr.js';

export type ThrottleScope = 'pair' | 'address' | 'name';

export interface ThrottleRule {
  /** Failures that cost nothing; the next one starts the delays. */
  readonly freeFailures: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export interface ThrottleRules {
  readonly pair: ThrottleRule;
  readonly address: ThrottleRule;
  readonly name: ThrottleRule;
  /** A count with no failure for this long starts again from zero. */
  readonly forgetAfterMs: number;
}

const MINUTE = 60_000;

export const DEFAULT_THROTTLE_RULES: ThrottleRules = {
  // One address guessing at one name: five tries, then a minute, two, four, … up to 15 minutes.
  pair: { freeFailures: 5, firstDelayMs: MINUTE, maxDelayMs: 15 * MINUTE },
  // One address guessing at many names (or many people behind one proxy address).
  address: { freeFailures: 20, firstDelayMs: MINUTE, maxDelayMs: 15 * MINUTE },
  // Many addresses guessing at one name: a slow-down the real user can still get through between.
  name: { freeFailures: 50, firstDelayMs: 30_000, maxDelayMs: 5 * MINUTE },
  forgetAfterMs: 24 * 60 * MINUTE,
};

/** How long the attempt after `failures` counted failures must wait; 0 while within the allowance. */
export function throttleDelayMs(rule: ThrottleRule, failures: number): number {
  if (failures < rule.freeFailures) return 0;
  const doublings = Math.min(failures - rule.freeFailures, 30);
  return Math.min(rule.firstDelayMs * 2 ** doublings, rule.maxDelayMs);
}

export interface ThrottleKey {
  readonly scope: ThrottleScope;
  readonly key: string;
}

/** The counters one attempt is counted against, in a fixed order (rows are locked in it). */
export function throttleKeys(address: string, username: string): ThrottleKey[] {
  const keys: ThrottleKey[] = [
    { scope: 'address', key: `address:${address}` },
    { scope: 'name', key: `name:${username}` },
    { scope: 'pair', key: `pair:${address}|${username}` },
  ];
  return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The address a throttle counts: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6 by its
 * /64, since one subscriber is commonly given a whole /64 and could otherwise try from 2^64 addresses.
 */
export function throttleAddress(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip.slice(0, 45);
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const prefix = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toString()}/64`;
}
