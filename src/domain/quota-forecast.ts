/**
 * When a seller's quota runs out at the current pace, with a range: pure arithmetic over the
 * tax-excluded amounts issued per hour. The pace is today's (the last hours) scaled onto the shape
 * of earlier days (the same hours of each day, so the afternoon's peak is expected before it
 * comes) and carried forward with the day-over-day trend (a month-end rush grows day by day).
 * Rates are estimates and may be fractional; the money itself stays integer fen elsewhere.
 */
import type { Fen } from './money.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How many earlier days shape the profile of a day. */
export const PROFILE_DAYS = 14;
/** The recent windows (in days' worth of expected issuing) whose paces make the range; the middle one is the central pace. */
const WINDOWS = [0.25, 1, 3] as const;
/** A trend is believed only within these bounds (per day), so one odd day cannot run away with it. */
const TREND_MIN = 0.8;
const TREND_MAX = 1.5;

/** Fen issued in the hour starting at `hourStart` (a multiple of an hour since the epoch). */
export interface BurnHour {
  readonly hourStart: number;
  readonly fen: Fen;
}

export interface ForecastInput {
  readonly now: number;
  /** What can still be issued: remaining less committed, fen. */
  readonly headroomFen: Fen;
  /** Hours with something issued, the last PROFILE_DAYS days or more; others count as zero. */
  readonly burn: readonly BurnHour[];
  /** The month's end: a quota that lasts until then never runs out this month. */
  readonly monthEnd: number;
}

export interface QuotaForecast {
  /** When it runs out at the central pace; null: not this month. */
  readonly exhaustsAt: number | null;
  /** Earliest and latest of the paces tried; `to` is the month's end when the slowest lasts it. Null: none runs out this month. */
  readonly range: readonly [number, number] | null;
  /** The central pace now, fen an hour (for display). */
  readonly fenPerHour: number;
}

/** Burn of one hour, by the hour's start. */
function hourly(burn: readonly BurnHour[]): Map<number, number> {
  const byHour = new Map<number, number>();
  for (const hour of burn) byHour.set(hour.hourStart, (byHour.get(hour.hourStart) ?? 0) + Number(hour.fen));
  return byHour;
}

/**
 * The average burn of each hour of the day over the complete days before today that have any
 * issuing since the first one seen; null when there are none (no shape to go by).
 */
function dayProfile(byHour: Map<number, number>, today: number): number[] | null {
  const first = Math.min(...[...byHour.keys()].filter((start) => start < today && start >= today - PROFILE_DAYS * DAY));
  if (!Number.isFinite(first)) return null;
  const days = Math.ceil((today - first) / DAY);
  const profile = new Array<number>(24).fill(0);
  for (let start = today - days * DAY; start < today; start += HOUR) profile[hourOfDay(start)]! += (byHour.get(start) ?? 0) / days;
  return profile.some((fen) => fen > 0) ? profile : null;
}

/** The hour of the day in Beijing time (UTC+8: hours line up with UTC's). */
const hourOfDay = (ms: number) => Math.floor((ms + 8 * HOUR) / HOUR) % 24;

/** The weight of the hour starting at `start` inside the window (now − hours, now]. */
function weightIn(start: number, now: number, hours: number): number {
  const from = Math.max(start, now - hours * HOUR);
  const to = Math.min(start + HOUR, now);
  return Math.max(0, to - from) / HOUR;
}

interface Pace {
  /** Fen expected in the hour starting at `start` (ahead of now), before the trend. */
  at(start: number): number;
  /** The middle of the past it was measured over (weighted by what was expected there): the trend grows it from there, not from now. */
  readonly measuredAt: number;
}

/**
 * Today's pace: what was issued over the recent past laid against what the profile expected there,
 * the past reaching back until the profile expected `days` days' worth of issuing (a quiet night
 * alone says nothing of the morning); flat over `days` × 24 hours when there is no profile.
 */
function paceOver(byHour: Map<number, number>, profile: number[] | null, now: number, days: number): Pace {
  const current = Math.floor(now / HOUR) * HOUR;
  const daily = profile?.reduce((sum, fen) => sum + fen, 0) ?? 0;
  if (!profile || daily <= 0) {
    const hours = days * 24;
    let observed = 0;
    for (let start = current - hours * HOUR; start <= current; start += HOUR) observed += (byHour.get(start) ?? 0) * (start === current ? 1 : weightIn(start, now, hours));
    const flat = observed / hours;
    return { at: () => flat, measuredAt: now - (hours * HOUR) / 2 };
  }
  let observed = (byHour.get(current) ?? 0);
  let expected = profile[hourOfDay(current)]! * ((now - current) / HOUR);
  let weightedTime = expected * (current + now) / 2;
  // A hair under the target: the profile's hours are averages, and a day's worth must not miss itself by a rounding.
  const target = days * daily * (1 - 1e-9);
  // Never before the first issuing seen: the hours before it say nothing of the pace.
  const first = Math.min(...byHour.keys());
  for (let start = current - HOUR; expected < target && start >= Math.max(first, current - PROFILE_DAYS * DAY); start -= HOUR) {
    observed += byHour.get(start) ?? 0;
    expected += profile[hourOfDay(start)]!;
    weightedTime += profile[hourOfDay(start)]! * (start + HOUR / 2);
  }
  const scale = observed / expected;
  return { at: (start) => profile[hourOfDay(start)]! * scale, measuredAt: expected > 0 ? weightedTime / expected : now };
}

/** The day-over-day growth of the pace, bounded. */
function dailyTrend(byHour: Map<number, number>, now: number): number {
  const sum = (hoursAgoFrom: number, hoursAgoTo: number) => {
    let total = 0;
    const current = Math.floor(now / HOUR) * HOUR;
    for (let start = current - hoursAgoFrom * HOUR; start <= current; start += HOUR) total += (byHour.get(start) ?? 0) * weightIn(start, now - hoursAgoTo * HOUR, hoursAgoFrom - hoursAgoTo);
    return total;
  };
  // Three days against the three before, as growth per day: one day's noise (a rounding, a late
  // batch) must not read as a trend. Two days against two when there is no more history.
  // Only over a past the history covers: a window reaching before the first issuing would read as growth.
  const first = Math.min(...byHour.keys());
  for (const days of [3, 2, 1]) {
    if (first > now - 48 * days * HOUR) continue;
    const last = sum(24 * days, 0);
    const before = sum(48 * days, 24 * days);
    if (last > 0 && before > 0) return Math.min(TREND_MAX, Math.max(TREND_MIN, (last / before) ** (1 / days)));
  }
  return 1;
}

/** When `headroom` is used up at `pace` grown by `trend` a day; null when not before `monthEnd`. */
function runsOutAt(pace: Pace, trend: number, now: number, headroom: number, monthEnd: number): number | null {
  let left = headroom;
  let at = now;
  let start = Math.floor(now / HOUR) * HOUR;
  while (at < monthEnd) {
    const until = Math.min(start + HOUR, monthEnd);
    const share = (until - at) / HOUR;
    const fen = pace.at(start) * trend ** ((at - pace.measuredAt) / DAY) * share;
    if (fen >= left) return Math.min(monthEnd, at + (left / fen) * (until - at));
    left -= fen;
    at = until;
    start += HOUR;
  }
  return null;
}

export function forecastQuota(input: ForecastInput): QuotaForecast {
  const { now, monthEnd } = input;
  const headroom = Number(input.headroomFen);
  const byHour = hourly(input.burn);
  const today = Math.floor((now + 8 * HOUR) / DAY) * DAY - 8 * HOUR;
  const profile = dayProfile(byHour, today);
  const paces = WINDOWS.map((days) => paceOver(byHour, profile, now, days));
  const central = paces[1]!;
  const fenPerHour = central.at(Math.floor(now / HOUR) * HOUR);
  if (headroom <= 0) return { exhaustsAt: now, range: [now, now], fenPerHour };
  const trend = dailyTrend(byHour, now);
  const exhaustsAt = runsOutAt(central, trend, now, headroom, monthEnd);
  const tried = paces.flatMap((pace) => [runsOutAt(pace, trend, now, headroom, monthEnd), runsOutAt(pace, 1, now, headroom, monthEnd)]);
  const within = tried.filter((at): at is number => at !== null);
  if (within.length === 0) return { exhaustsAt, range: null, fenPerHour };
  const to = within.length === tried.length ? Math.max(...within) : monthEnd;
  return { exhaustsAt, range: [Math.min(...within), to], fenPerHour };
}
