// The quota's pure rules: the Beijing month, what an issued invoice takes or gives back, used
// elsewhere, the reserve, and the forecast (exact on a flat pace, "never this month", and within
// 10 % of the truth over a month whose pace rises, with a lump used elsewhere).
import { describe, expect, it } from 'vitest';
import { monthSpan, quotaAdmits, quotaMonth, quotaPosition, quotaUse, remainingShare, usedElsewhere } from '../../src/domain/quota.js';
import { forecastQuota, type BurnHour } from '../../src/domain/quota-forecast.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-12-01 00:00 in Beijing. */
const DECEMBER = Date.parse('2026-12-01T00:00:00+08:00');
const JANUARY = Date.parse('2027-01-01T00:00:00+08:00');

describe('the quota month', () => {
  it('turns at midnight in Beijing, not UTC', () => {
    expect(quotaMonth(DECEMBER - 1)).toBe('2026-11');
    expect(quotaMonth(DECEMBER)).toBe('2026-12');
    // 2026-11-30 20:00 UTC is already December in Beijing.
    expect(quotaMonth(Date.parse('2026-11-30T20:00:00Z'))).toBe('2026-12');
    expect(monthSpan(DECEMBER + 10 * DAY)).toEqual({ start: DECEMBER, end: JANUARY });
    expect(monthSpan(JANUARY - 1)).toEqual({ start: DECEMBER, end: JANUARY });
    expect(monthSpan(Date.parse('2027-02-10T00:00:00+08:00')).end).toBe(Date.parse('2027-03-01T00:00:00+08:00'));
  });
});

describe('what an issued invoice does to the quota', () => {
  const issuedAt = DECEMBER + 20 * DAY;
  it('a blue invoice takes its tax-excluded amount', () => {
    expect(quotaUse({ kind: 'blue', amountFen: 100_000n, issuedAt })).toBe(100_000n);
  });
  it('a red invoice gives back only in its blue invoice’s month, and never for 销售折让', () => {
    expect(quotaUse({ kind: 'red', amountFen: -30_000n, issuedAt, redReason: 'sales_return', blueIssuedAt: DECEMBER + DAY })).toBe(-30_000n);
    expect(quotaUse({ kind: 'red', amountFen: -30_000n, issuedAt, redReason: 'issued_in_error', blueIssuedAt: DECEMBER - DAY })).toBe(0n);
    expect(quotaUse({ kind: 'red', amountFen: -30_000n, issuedAt, redReason: 'sales_allowance', blueIssuedAt: DECEMBER + DAY })).toBe(0n);
    expect(quotaUse({ kind: 'red', amountFen: -30_000n, issuedAt, redReason: 'sales_return', blueIssuedAt: null })).toBe(0n);
  });
});

describe('used elsewhere', () => {
  const reading = { totalFen: 10_000_000n, usedFen: 4_500_000n, remainingFen: 5_500_000n, asOf: DECEMBER + 2 * DAY };
  it('is what the upstream counts this month beyond what was issued here, never below zero', () => {
    expect(usedElsewhere(reading, 2_500_000n)).toBe(2_000_000n);
    // An invoice the upstream counted before its answer reached us looks like someone else's for a
    // reading; the next one, counting it here, gives it back.
    expect(usedElsewhere(reading, 2_400_000n)).toBe(2_100_000n);
    expect(usedElsewhere(reading, 4_600_000n)).toBe(0n);
  });
  it('counts into the position, with what was issued since the reading', () => {
    const position = quotaPosition(reading, 1_000_000n, 500_000n, 700_000n);
    expect(position).toMatchObject({ month: '2026-12', totalFen: 10_000_000n, remainingFen: 4_500_000n, committedFen: 500_000n, usedElsewhereFen: 700_000n });
    expect(remainingShare(position)).toBeCloseTo(0.4, 10);
  });
});

describe('the reserve', () => {
  it('is kept for high-priority invoices', () => {
    expect(quotaAdmits(100_000n, 60_000n, 'normal', 50_000n)).toBe(false);
    expect(quotaAdmits(100_000n, 60_000n, 'high', 50_000n)).toBe(true);
    expect(quotaAdmits(100_000n, 50_000n, 'normal', 50_000n)).toBe(true);
    expect(quotaAdmits(100_000n, 100_001n, 'high', 0n)).toBe(false);
    // A zero or negative amount takes nothing.
    expect(quotaAdmits(-5n, 0n, 'normal', 0n)).toBe(true);
  });
});

/** The same pace every hour for `hours` hours up to `now`. */
function flat(now: number, hours: number, fenPerHour: bigint): BurnHour[] {
  const current = Math.floor(now / HOUR) * HOUR;
  return Array.from({ length: hours }, (_, i) => ({ hourStart: current - (hours - i) * HOUR, fen: fenPerHour }));
}

describe('the forecast', () => {
  const now = DECEMBER + 10 * DAY;
  it('at a flat pace, runs out when the headroom is spent', () => {
    const forecast = forecastQuota({ now, headroomFen: 1_000_000n, burn: flat(now, 72, 10_000n), monthEnd: JANUARY });
    expect(forecast.exhaustsAt).toBe(now + 100 * HOUR);
    expect(forecast.range).toEqual([now + 100 * HOUR, now + 100 * HOUR]);
    expect(forecast.fenPerHour).toBeCloseTo(10_000, 6);
  });
  it('says "never this month" when the pace lasts the month, and "now" when nothing is left', () => {
    expect(forecastQuota({ now, headroomFen: 1_000_000_000n, burn: flat(now, 72, 10_000n), monthEnd: JANUARY })).toMatchObject({ exhaustsAt: null, range: null });
    expect(forecastQuota({ now, headroomFen: 0n, burn: [], monthEnd: JANUARY })).toMatchObject({ exhaustsAt: now, range: [now, now] });
    expect(forecastQuota({ now, headroomFen: 1000n, burn: [], monthEnd: JANUARY })).toMatchObject({ exhaustsAt: null, range: null });
  });
  it('expects the daily peak: a quota that lasts the quiet night runs out in tomorrow’s office hours', () => {
    // Office hours (9–18 Beijing) issue 10,000 fen an hour, the rest of the day nothing; now is 22:00.
    const evening = DECEMBER + 9 * DAY + 22 * HOUR;
    const burn: BurnHour[] = [];
    for (let start = evening - 7 * DAY; start < evening; start += HOUR) {
      const hour = new Date(start + 8 * HOUR).getUTCHours();
      if (hour >= 9 && hour < 18) burn.push({ hourStart: start, fen: 10_000n });
    }
    const forecast = forecastQuota({ now: evening, headroomFen: 45_000n, burn, monthEnd: JANUARY });
    // 4.5 office hours into tomorrow: 13:30 Beijing.
    expect(forecast.exhaustsAt).toBe(DECEMBER + 10 * DAY + 13.5 * HOUR);
  });

  it('converges on the true exhaustion of a month whose pace rises, within 10 % before the last 20 % is used', () => {
    // 100,000.00 yuan; office-hours shaped, three times busier at the month's end than at its start;
    // 20,000.00 used elsewhere in one lump on the 10th (the forecast cannot see it coming).
    const total = 10_000_000n;
    const pace = (hour: number) => {
      const local = hour % 24;
      const shape = local >= 9 && local < 18 ? 3 : local >= 7 && local < 22 ? 1 : 0.2;
      return BigInt(Math.round(3500 * shape * (1 + (3 * hour) / (31 * 24))));
    };
    const burn: BurnHour[] = [];
    const usedAt: bigint[] = [];
    let used = 0n;
    let trueEnd: number | undefined;
    for (let hour = 0; hour < 31 * 24; hour++) {
      if (hour === 9 * 24 + 12) used += 2_000_000n;
      const fen = pace(hour);
      if (trueEnd === undefined && used + fen >= total) trueEnd = DECEMBER + hour * HOUR + (Number(total - used) / Number(fen)) * HOUR;
      used += fen;
      burn.push({ hourStart: DECEMBER + hour * HOUR, fen });
      usedAt.push(used);
    }
    expect(trueEnd).toBeDefined();
    const errors: Array<{ share: number; error: number }> = [];
    for (let hour = 24; DECEMBER + hour * HOUR < trueEnd!; hour++) {
      const at = DECEMBER + hour * HOUR;
      const spent = usedAt[hour - 1]!;
      const forecast = forecastQuota({ now: at, headroomFen: total - spent, burn: burn.slice(0, hour), monthEnd: JANUARY });
      const share = Number(spent) / Number(total);
      const error = forecast.exhaustsAt === null ? Infinity : Math.abs(forecast.exhaustsAt - trueEnd!) / (trueEnd! - at);
      errors.push({ share, error });
      // The central estimate lies within its own range.
      if (forecast.exhaustsAt !== null) expect(forecast.exhaustsAt).toBeGreaterThanOrEqual(forecast.range![0]);
      if (forecast.exhaustsAt !== null) expect(forecast.exhaustsAt).toBeLessThanOrEqual(forecast.range![1]);
    }
    // From 60 % used to 80 %: every hour's forecast within 10 % of the time truly left.
    const late = errors.filter((item) => item.share >= 0.6 && item.share <= 0.8);
    expect(late.length).toBeGreaterThan(24);
    expect(Math.max(...late.map((item) => item.error))).toBeLessThan(0.1);
  });
});
