// The one way a page keeps what it shows fresh: read now, then again a while after each read ends
// (never two reads at once on a slow gateway), until the page goes, what it reads changes, or the
// value says there is nothing more to see. A failed read is tried again at the next turn.
import { useEffect } from 'preact/hooks';

export interface Polling<T> {
  /** Wait after a read ends before the next, ms. */
  readonly intervalMs: number;
  /** What the read depends on: a change starts over. */
  readonly deps: readonly unknown[];
  readonly onValue: (value: T) => void;
  readonly onError?: (error: unknown) => void;
  /** Stop once this holds of a value (an invoice that settled). */
  readonly until?: (value: T) => boolean;
}

export function usePolling<T>(read: () => Promise<T>, polling: Polling<T>): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const turn = async () => {
      try {
        const value = await read();
        if (stopped) return;
        polling.onValue(value);
        if (polling.until?.(value)) return;
      } catch (error) {
        if (stopped) return;
        polling.onError?.(error);
      }
      timer = setTimeout(() => void turn(), polling.intervalMs);
    };
    void turn();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, polling.deps);
}
