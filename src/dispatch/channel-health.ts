/**
 * The health of each channel as this process sees it: a circuit breaker (cockatiel) that stops
 * hammering a dead upstream and lets one probe through after a pause, and a separate "paused"
 * state for failures that are no invoice's fault (credentials refused) and need an operator.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { ChannelError, isChannelError, type ChannelErrorCode } from '../channels/channel-error.js';
import type { Clock } from '../ops/clock.js';

export interface ChannelHealthOptions {
  /** Consecutive transport failures that open the breaker. @default 5 */
  readonly failuresToOpen: number;
  /** How long the breaker stays open before one probe, ms. @default 10000 */
  readonly halfOpenAfterMs: number;
  /** How long a channel stays paused after its credentials were refused, ms. @default 60000 */
  readonly pauseMs: number;
}

export interface ChannelSnapshot {
  readonly name: string;
  readonly circuit: 'closed' | 'open' | 'half_open';
  readonly pausedUntil: number | null;
  readonly pauseReason: string | null;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  /** The upstream's own words (for operators only: they may quote another seller's data). */
  readonly lastError: string | null;
  readonly lastErrorCode: ChannelErrorCode | null;
  /** Share of failed calls among the last 100. */
  readonly errorRate: number;
}

interface Entry {
  readonly breaker: CircuitBreakerPolicy;
  openedAt: number | null;
  pausedUntil: number | null;
  pauseReason: string | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  lastErrorCode: ChannelErrorCode | null;
  recent: boolean[];
}

/** Failures that say something about the upstream's health (not about one invoice's content). */
const countsAsFailure = (error: unknown) => isChannelError(error) && (error.disposition === 'retry' || error.disposition === 'uncertain');

export class ChannelHealth {
  private readonly entries = new Map<string, Entry>();

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
      const entry: Entry = { breaker, openedAt: null, pausedUntil: null, pauseReason: null, lastSuccessAt: null, lastFailureAt: null, lastError: null, lastErrorCode: null, recent: [] };
      breaker.onBreak(() => (entry.openedAt = this.clock.now()));
      breaker.onReset(() => (entry.openedAt = null));
      this.entries.set(name, entry);
    }
  }

  /** Channels that may take a call now, in priority order (an open breaker past its pause lets one probe through). */
  usable(): string[] {
    const now = this.clock.now();
    return this.names.filter((name) => {
      const entry = this.entries.get(name)!;
      if (entry.pausedUntil !== null && entry.pausedUntil > now) return false;
      const state = entry.breaker.state;
      if (state === CircuitState.Closed) return true;
      if (state === CircuitState.Open) return entry.openedAt !== null && now - entry.openedAt >= this.options.halfOpenAfterMs;
      return false;
    });
  }

  /** Runs one call through the channel's breaker; a refused call throws ChannelError `circuit_open` (disposition retry). */
  async execute<T>(name: string, call: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(name);
    if (!entry) throw new ChannelError('circuit_open', 'retry', `no channel named ${name}`);
    try {
      const result = await entry.breaker.execute(call);
      entry.lastSuccessAt = this.clock.now();
      this.remember(entry, true);
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ChannelError('circuit_open', 'retry', `channel ${name} is resting after repeated failures`, { cause: error });
      }
      if (countsAsFailure(error)) {
        entry.lastFailureAt = this.clock.now();
        entry.lastError = (error as Error).message;
        entry.lastErrorCode = (error as ChannelError).code;
        this.remember(entry, false);
      } else {
        this.remember(entry, true);
      }
      throw error;
    }
  }

  /** Parks a channel whose credentials or permissions were refused. */
  pause(name: string, reason: string): number {
    const entry = this.entries.get(name);
    const until = this.clock.now() + this.options.pauseMs;
    if (entry) {
      entry.pausedUntil = until;
      entry.pauseReason = reason;
    }
    return until;
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
        lastError: entry.lastError,
        lastErrorCode: entry.lastErrorCode,
        errorRate: entry.recent.length === 0 ? 0 : failures / entry.recent.length,
      };
    });
  }

  private remember(entry: Entry, ok: boolean): void {
    entry.recent.push(ok);
    if (entry.recent.length > 100) entry.recent.shift();
  }
}
