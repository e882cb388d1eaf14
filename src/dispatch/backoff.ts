/**
 * When to try again: 1 s doubling per attempt up to a cap, with "equal jitter" (half fixed, half
 * random) so a burst of failures does not come back as a burst, and never sooner than the
 * upstream's Retry-After.
 */
export interface BackoffOptions {
  /** First delay, ms. @default 1000 */
  readonly baseMs: number;
  /** Largest delay, ms. @default 60000 */
  readonly capMs: number;
}

/** Delay before attempt `attempt + 1`, ms; `random` is in [0, 1). */
export function retryDelayMs(attempt: number, options: BackoffOptions, random: number, retryAfterMs?: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  const delay = ceiling / 2 + random * (ceiling / 2);
  return Math.round(Math.max(delay, retryAfterMs ?? 0));
}
