/**
 * The simulator's fault profile: what can go wrong between the gateway and an upstream, each as a
 * rate or a delay, set by flags at start and by PUT /_admin/faults at run time.
 */
export interface Faults {
  /** Added to every API answer, ms. */
  latencyMs: number;
  /** Up to this much more, at random, ms. */
  jitterMs: number;
  /** Share of calls answered 503 before any work. */
  errorRate: number;
  /** Share of calls whose connection is reset, half of them before the work and half after it. */
  resetRate: number;
  /** Share of submits that commit and then never answer. */
  dropResponseRate: number;
  /** Share of new invoices refused for a business reason. */
  rejectRate: number;
  /** Calls per second before 429 with Retry-After; 0 for no limit. */
  rateLimit: number;
  /** Time from acceptance until the invoice is issued, ms. */
  processingMs: number;
  /** Until this time (epoch ms) every API call is answered 503. */
  outageUntil: number;
  /** Shift of the Date header, seconds. */
  clockSkewSeconds: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  resetRate: 0,
  dropResponseRate: 0,
  rejectRate: 0,
  rateLimit: 0,
  processingMs: 0,
  outageUntil: 0,
  clockSkewSeconds: 0,
};

const RATES = ['errorRate', 'resetRate', 'dropResponseRate', 'rejectRate'] as const;
const DURATIONS = ['latencyMs', 'jitterMs', 'rateLimit', 'processingMs', 'clockSkewSeconds'] as const;

/**
 * Applies a partial update (`{ "errorRate": 0.1, "outageSeconds": 30 }`); returns the new profile
 * or the first problem with the update.
 */
export function updateFaults(current: Faults, update: unknown, now: number): { ok: true; faults: Faults } | { ok: false; message: string } {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) return { ok: false, message: 'expected a JSON object' };
  const next: Faults = { ...current };
  for (const [key, value] of Object.entries(update as Record<string, unknown>)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, message: `${key} must be a number` };
    if ((RATES as readonly string[]).includes(key)) {
      if (value < 0 || value > 1) return { ok: false, message: `${key} is a share between 0 and 1` };
      next[key as (typeof RATES)[number]] = value;
    } else if ((DURATIONS as readonly string[]).includes(key)) {
      if (value < 0 && key !== 'clockSkewSeconds') return { ok: false, message: `${key} must not be negative` };
      next[key as (typeof DURATIONS)[number]] = value;
    } else if (key === 'outageSeconds') {
      next.outageUntil = value > 0 ? now + value * 1000 : 0;
    } else {
      return { ok: false, message: `unknown fault ${key}` };
    }
  }
  return { ok: true, faults: next };
}

/** Token bucket for --rate-limit: `rate` calls per second, bursts up to `rate`. */
export class RateLimiter {
  private tokens = 0;
  private refilledAt = 0;

  allow(rate: number, now: number): boolean {
    if (rate <= 0) return true;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
