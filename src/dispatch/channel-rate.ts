/**
 * How fast one channel may be called: a token bucket at a rate that is configured (诺诺 and others
 * publish theirs) or learned, lowered when the upstream answers 429, and a hold for the whole
 * channel until its Retry-After. A 429 is the upstream asking every caller to slow down, not a
 * failure: without this, a backlog after an outage went out as a burst, nearly all of it came
 * back 429, each invoice backed off on its own, and 50 invoices took five minutes.
 * Pure: the time is passed in.
 */

export interface RateChange {
  readonly holdUntil: number;
  /** Calls per second from now on; Infinity when unlimited. */
  readonly ratePerSecond: number;
}

/** Without a Retry-After, how long a 429 holds the channel, ms. */
const DEFAULT_HOLD_MS = 1000;
/** How far back successes count when learning an upstream's rate, ms. */
const LEARN_WINDOW_MS = 2000;
/** How long to go without a 429 before trying a little faster, ms. */
const RAISE_EVERY_MS = 5000;

export class ChannelRate {
  private rate: number;
  private tokens: number;
  private refilledAt = 0;
  private holdUntil = 0;
  private lastLimitedAt = -Infinity;
  private lastRaisedAt = 0;
  /** When recent calls succeeded (last few seconds), to learn the rate the upstream allows. */
  private readonly successes: number[] = [];

  constructor(
    /** Calls per second at most, as configured; 0 for no configured limit. */
    private readonly configured: number,
  ) {
    this.rate = configured > 0 ? configured : Infinity;
    this.tokens = configured > 0 ? this.burst : 0;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  /** The channel is held after a 429 until this time, ms (0 when never). */
  get heldUntil(): number {
    return this.holdUntil;
  }

  /** How long until a call may go, ms; 0 means now. */
  waitMs(now: number): number {
    if (now < this.holdUntil) return this.holdUntil - now;
    if (this.rate === Infinity) return 0;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Calls that may start within about half a second: how many invoices to claim for this channel. */
  budget(now: number): number {
    if (now < this.holdUntil) return 0;
    if (this.rate === Infinity) return Infinity;
    this.refill(now);
    return Math.max(1, Math.floor(this.tokens + this.rate / 2));
  }

  /** A call goes out now (after waitMs said 0). */
  take(now: number): void {
    if (this.rate === Infinity) return;
    this.refill(now);
    this.tokens -= 1;
    this.raise(now);
  }

  /** A call went through (the upstream answered, whatever it said). */
  succeeded(now: number): void {
    this.successes.push(now);
    while (this.successes.length > 0 && this.successes[0]! < now - LEARN_WINDOW_MS) this.successes.shift();
  }

  /** The upstream answered 429: hold the channel and slow down. Returns the new state. */
  limited(now: number, retryAfterMs: number | undefined): RateChange {
    const alreadyHeld = now < this.holdUntil;
    this.holdUntil = Math.max(this.holdUntil, now + (retryAfterMs ?? DEFAULT_HOLD_MS));
    // A 429 during a hold answers a call sent before it: the pace was already lowered for it.
    if (!alreadyHeld) {
      if (this.rate === Infinity) {
        // The first 429: what went through lately is the best guess of the limit; go under it.
        const recent = this.successes.filter((at) => at > now - LEARN_WINDOW_MS);
        const spanMs = recent.length > 1 ? Math.max(1000, now - recent[0]!) : LEARN_WINDOW_MS;
        this.rate = Math.max(1, ((recent.length * 1000) / spanMs) * 0.9);
      } else {
        this.rate = Math.max(1, this.rate * 0.85);
      }
    }
    this.tokens = 0;
    this.refilledAt = this.holdUntil;
    this.lastLimitedAt = now;
    this.lastRaisedAt = now;
    return { holdUntil: this.holdUntil, ratePerSecond: this.rate };
  }

  /**
   * The upstream said it is unavailable until then (a 503 with Retry-After): hold the channel, but
   * keep its pace, since being down says nothing about how fast it takes calls when up.
   */
  unavailable(now: number, forMs: number): number {
    this.holdUntil = Math.max(this.holdUntil, now + forMs);
    this.refilledAt = Math.max(this.refilledAt, this.holdUntil);
    return this.holdUntil;
  }

  /**
   * Calls that may go at once: half a second's worth. The upstream's own bucket holds about a
   * second's; keeping ours smaller leaves it headroom, so calls that arrive bunched by network
   * jitter still find room there instead of a 429.
   */
  private get burst(): number {
    return Math.max(1, this.rate / 2);
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  /** After a quiet while, probe a little faster, up to the configured rate (additive increase). */
  private raise(now: number): void {
    if (now - this.lastRaisedAt < RAISE_EVERY_MS || now - this.lastLimitedAt < RAISE_EVERY_MS) return;
    this.lastRaisedAt = now;
    const ceiling = this.configured > 0 ? this.configured : Infinity;
    if (this.rate >= ceiling) return;
    this.rate = Math.min(ceiling, this.rate + Math.max(1, this.rate * 0.02));
  }
}
