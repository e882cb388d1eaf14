/**
 * The health of each channel as this process sees it: a circuit breaker (cockatiel) that stops
 * hammering a dead upstream and lets one probe through after a pause, and a separate "paused"
 * state for failures that are no invoice's fault (credentials refused) and need an operator.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { ChannelError, isChannelError, type ChannelErrorCode } from '../channels/channel-error.js';
import type { Clock } from '../runtime/clock.js';
import type { ChannelChange } from '../runtime/events.js';
import { ChannelRate } from './channel-rate.js';
import { errorMessage } from '../domain/error-message.js';

export interface ChannelHealthOptions {
  /** Consecutive transport failures that open the breaker. @default 5 */
  readonly failuresToOpen: number;
  /** How long the breaker stays open before one probe, ms. @default 10000 */
  readonly halfOpenAfterMs: number;
  /** How long a channel stays paused after its credentials were refused, ms. @default 60000 */
  readonly pauseMs: number;
  /** Calls per second each channel may take, by name; absent or 0: learned from its 429s. */
  readonly ratePerSecond?: Readonly<Record<string, number>>;
  /** Told of every state change of a channel. */
  readonly onChange?: (change: ChannelChange) => void;
}

export interface ChannelSnapshot {
  readonly name: string;
  readonly circuit: 'closed' | 'open' | 'half_open';
  readonly pausedUntil: number | null;
  readonly pauseReason: string | null;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  /** The first failure since the last success: when the channel began failing; null while it answers. */
  readonly failingSince: number | null;
  /** The upstream's own words (for operators only: they may quote another seller's data). */
  readonly lastError: string | null;
  readonly lastErrorCode: ChannelErrorCode | null;
  /** Share of failed calls among the last 100. */
  readonly errorRate: number;
  /** Calls per second this channel is held to (configured, or learned from 429s); null: no limit. */
  readonly ratePerSecond: number | null;
  /** Until when the channel waits out an upstream's Retry-After; null when it does not. */
  readonly rateLimitedUntil: number | null;
  /** Isolated by an operator: no new work; what it holds is still resolved there by query. */
  readonly isolated: boolean;
  /** How long its last answered calls took (up to 100), ms; null before any. */
  readonly latencyMs: { readonly p50: number; readonly p95: number } | null;
  /** When the TLS certificate its upstream last presented expires, ms; null over plain HTTP or before any call. */
  readonly certificateExpiresAt: number | null;
}

function percentiles(durations: readonly number[]): { p50: number; p95: number } | null {
  if (durations.length === 0) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (share: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!);
  return { p50: at(0.5), p95: at(0.95) };
}

interface Entry {
  readonly breaker: CircuitBreakerPolicy;
  readonly rate: ChannelRate;
  openedAt: number | null;
  pausedUntil: number | null;
  pauseReason: string | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  failingSince: number | null;
  lastError: string | null;
  lastErrorCode: ChannelErrorCode | null;
  recent: boolean[];
  /** How long the last answered calls took, ms (at most 100). */
  durations: number[];
  certificateExpiresAt: number | null;
}

/**
 * Failures that say something about the upstream's health (not about one invoice's content). A
 * 429 is not one: the upstream is up and asks us to slow down, which ChannelRate does.
 */
const countsAsFailure = (error: unknown) =>
  isChannelError(error) && error.code !== 'rate_limited' && (error.disposition === 'retry' || error.disposition === 'uncertain');

/**
 * Longest an upstream's Retry-After may hold a channel, ms: past it the breaker's probe decides,
 * so a misconfigured "Retry-After: 86400" cannot take a channel out for a day.
 */
const MAX_UNAVAILABLE_HOLD_MS = 10 * 60_000;

/** Longest a call waits for room at its channel's rate before it goes back in line, ms. */
const MAX_RATE_WAIT_MS = 5000;

export class ChannelHealth {
  private readonly entries = new Map<string, Entry>();
  private isolated: ReadonlySet<string> = new Set();

  constructor(
    readonly names: readonly string[],
    private readonly clock: Clock,
    private readonly options: ChannelHealthOptions,
  ) {
    for (const name of names) {
      const breaker = circuitBreaker(handleWhen(countsAsFailure), {
        halfOpenAfter: options.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(options.failuresToOpen),
      });
      const entry: Entry = { breaker, rate: new ChannelRate(options.ratePerSecond?.[name] ?? 0), openedAt: null, pausedUntil: null, pauseReason: null, lastSuccessAt: null, lastFailureAt: null, failingSince: null, lastError: null, lastErrorCode: null, recent: [], durations: [], certificateExpiresAt: null };
      breaker.onBreak(() => {
        entry.openedAt = this.clock.now();
        this.tell({ kind: 'circuit', channel: name, state: 'open', cause: entry.lastError });
      });
      breaker.onHalfOpen(() => this.tell({ kind: 'circuit', channel: name, state: 'half_open', cause: null }));
      breaker.onReset(() => {
        entry.openedAt = null;
        this.tell({ kind: 'circuit', channel: name, state: 'closed', cause: null });
      });
      this.entries.set(name, entry);
    }
  }

  /**
   * Channels that may take a call now, in priority order (an open breaker past its pause lets one
   * probe through; a channel held after a 429 waits out its Retry-After).
   */
  usable(): string[] {
    const now = this.clock.now();
    return this.names.filter((name) => {
      const entry = this.entries.get(name)!;
      if (entry.pausedUntil !== null && entry.pausedUntil > now) return false;
      if (entry.rate.heldUntil > now) return false;
      const state = entry.breaker.state;
      if (state === CircuitState.Closed) return true;
      if (state === CircuitState.Open) return entry.openedAt !== null && now - entry.openedAt >= this.options.halfOpenAfterMs;
      return false;
    });
  }

  /** The channels an operator has isolated (read from the store, shared by every process). */
  setIsolated(names: Iterable<string>): void {
    this.isolated = new Set(names);
  }

  /**
   * Channels that may take new work, in priority order: usable and not isolated. An isolated
   * channel is still usable for what it already holds (queries).
   */
  acceptingNew(): string[] {
    return this.usable().filter((name) => !this.isolated.has(name));
  }

  /** How many calls the usable channels can take within about a second: what a round should claim. */
  budget(): number {
    const now = this.clock.now();
    return this.usable().reduce((sum, name) => sum + this.entries.get(name)!.rate.budget(now), 0);
  }

  /**
   * Runs one call through the channel's rate and breaker: waits for the channel's rate (never past
   * `signal`), then calls. A call the breaker refuses throws `circuit_open`, one that found no
   * room before `signal` `rate_held`; both are provably not sent (disposition retry).
   */
  async execute<T>(name: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const entry = this.entries.get(name);
    if (!entry) throw new ChannelError('circuit_open', 'retry', `no channel named ${name}`);
    await this.waitForRoom(name, entry, signal);
    entry.rate.take(this.clock.now());
    const started = performance.now();
    try {
      const result = await entry.breaker.execute(call);
      entry.durations.push(performance.now() - started);
      if (entry.durations.length > 100) entry.durations.shift();
      entry.lastSuccessAt = this.clock.now();
      entry.failingSince = null;
      entry.rate.succeeded(entry.lastSuccessAt);
      this.remember(entry, true);
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ChannelError('circuit_open', 'retry', `channel ${name} is resting after repeated failures`, { cause: error });
      }
      if (isChannelError(error) && error.code === 'rate_limited') {
        const change = entry.rate.limited(this.clock.now(), error.details.retryAfterMs);
        this.tell({ kind: 'rate_limited', channel: name, ...change });
      } else if (isChannelError(error) && error.details.retryAfterMs !== undefined) {
        // "Unavailable, come back then" speaks for the channel, not the invoice: the channel is held
        // (no new work goes there) while what was provably not sent fails over at once.
        const holdUntil = entry.rate.unavailable(this.clock.now(), Math.min(error.details.retryAfterMs, MAX_UNAVAILABLE_HOLD_MS));
        this.tell({ kind: 'unavailable', channel: name, holdUntil, cause: error.message });
      }
      if (countsAsFailure(error)) {
        entry.lastFailureAt = this.clock.now();
        entry.failingSince ??= entry.lastFailureAt;
        entry.lastError = errorMessage(error);
        entry.lastErrorCode = (error as ChannelError).code;
        this.remember(entry, false);
      } else {
        this.remember(entry, true);
      }
      throw error;
    }
  }

  /** Parks a channel that needs an operator (credentials, permissions, the drawer's login), for `forMs` or the configured pause. */
  pause(name: string, reason: string, forMs?: number): number {
    const entry = this.entries.get(name);
    const until = this.clock.now() + Math.max(forMs ?? 0, this.options.pauseMs);
    if (entry) {
      entry.pausedUntil = until;
      entry.pauseReason = reason;
      entry.failingSince ??= this.clock.now();
      this.tell({ kind: 'paused', channel: name, until, cause: reason });
    }
    return until;
  }

  /** Lifts a pause before it runs out, once what caused it is known to be fixed. */
  resume(name: string): void {
    const entry = this.entries.get(name);
    if (entry) {
      entry.pausedUntil = null;
      entry.pauseReason = null;
    }
  }

  snapshot(): ChannelSnapshot[] {
    const now = this.clock.now();
    return this.names.map((name) => {
      const entry = this.entries.get(name)!;
      const state = entry.breaker.state;
      const failures = entry.recent.filter((ok) => !ok).length;
      const paused = entry.pausedUntil !== null && entry.pausedUntil > now;
      return {
        name,
        circuit: state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half_open' : 'open',
        pausedUntil: paused ? entry.pausedUntil : null,
        pauseReason: paused ? entry.pauseReason : null,
        lastSuccessAt: entry.lastSuccessAt,
        lastFailureAt: entry.lastFailureAt,
        failingSince: entry.failingSince,
        lastError: entry.lastError,
        lastErrorCode: entry.lastErrorCode,
        errorRate: entry.recent.length === 0 ? 0 : failures / entry.recent.length,
        ratePerSecond: entry.rate.ratePerSecond === Infinity ? null : Math.round(entry.rate.ratePerSecond * 10) / 10,
        rateLimitedUntil: entry.rate.heldUntil > now ? entry.rate.heldUntil : null,
        isolated: this.isolated.has(name),
        latencyMs: percentiles(entry.durations),
        certificateExpiresAt: entry.certificateExpiresAt,
      };
    });
  }

  /** The TLS certificate the channel's upstream presented expires then (ms). */
  certificateSeen(name: string, expiresAt: number): void {
    const entry = this.entries.get(name);
    if (entry) entry.certificateExpiresAt = expiresAt;
  }

  /** Waits for room at the channel's rate, at most MAX_RATE_WAIT_MS: the call needs its own time budget. */
  private async waitForRoom(name: string, entry: Entry, signal: AbortSignal | undefined): Promise<void> {
    // The wait is real time (timers), so its deadline is too, whatever clock the rate reads.
    const deadline = performance.now() + MAX_RATE_WAIT_MS;
    for (;;) {
      const wait = entry.rate.waitMs(this.clock.now());
      if (wait === 0) return;
      if (signal?.aborted || performance.now() + wait > deadline) throw new ChannelError('rate_held', 'retry', `channel ${name} had no room at its rate (${entry.rate.ratePerSecond.toFixed(1)}/s) in time`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(wait, 1000));
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private tell(change: ChannelChange): void {
    try {
      this.options.onChange?.(change);
    } catch {
      // Reporting must not break the call it reports on.
    }
  }

  private remember(entry: Entry, ok: boolean): void {
    entry.recent.push(ok);
    if (entry.recent.length > 100) entry.recent.shift();
  }
}
