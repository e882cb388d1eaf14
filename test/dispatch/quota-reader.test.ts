// When the quota reader asks again: at its interval where the channel sets no limit; within 诺诺's
// 20 reads a day and 30 s apart, the day's reads left spread over what is left of it; never later
// than just after the month turns (Beijing time).
import { describe, expect, it } from 'vitest';
import { nextQuotaRead } from '../../src/dispatch/quota-reader.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NUONUO = { perDay: 20, gapMs: 30_000 };
const at = (text: string) => Date.parse(`${text}+08:00`);

describe('the next quota read', () => {
  it('comes at the interval where the channel sets no limit', () => {
    expect(nextQuotaRead(at('2026-12-10T10:00:00'), undefined, 57, 5 * MINUTE)).toBe(at('2026-12-10T10:05:00'));
  });
  it('spreads the day’s reads left over the rest of the day, never closer than the gap', () => {
    // 10:00 with 14 hours left and 2 reads used: 18 left, one every 46 min 40 s.
    expect(nextQuotaRead(at('2026-12-10T10:00:00'), NUONUO, 2, 5 * MINUTE)).toBe(at('2026-12-10T10:46:40'));
    // 23:59:50 with reads left: not before the gap.
    expect(nextQuotaRead(at('2026-12-10T23:59:50'), NUONUO, 3, 0)).toBe(at('2026-12-10T23:59:50') + 30_000);
  });
  it('waits for tomorrow (Beijing) once the day’s reads are spent', () => {
    expect(nextQuotaRead(at('2026-12-10T15:00:00'), NUONUO, 20, 5 * MINUTE)).toBe(at('2026-12-11T00:00:00'));
  });
  it('reads just after the month turns, however the day’s reads are spread', () => {
    expect(nextQuotaRead(at('2026-12-31T23:00:00'), NUONUO, 20, 5 * MINUTE)).toBe(at('2027-01-01T00:00:00'));
    expect(nextQuotaRead(at('2026-12-31T23:58:00'), undefined, 0, HOUR)).toBe(at('2027-01-01T00:05:00'));
  });
});
