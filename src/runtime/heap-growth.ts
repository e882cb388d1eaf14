/**
 * How far V8 lets a serving process's heap grow past what its last full collection kept
 * (FAPIAO_HEAP_GROWING_PERCENT, 25 unless the operator says otherwise; 0 leaves it to V8).
 * Issuing at full speed makes garbage faster than V8's own growth (up to 4× on a machine with
 * memory to spare) reclaims it: the main heap reached 220 MB around ~45 MB live and the process
 * 430 MB draining 100,000 waiting invoices. Growing by a quarter held the process at ~270 MB
 * draining and ~195 MB accepting (against ~290), for no CPU per accepted or issued invoice that
 * runs apart from the noise (A/B, three rounds each, 2026-12-03; bench/RESULTS.md, "How cost grows").
 */
import { setFlagsFromString } from 'node:v8';

export const DEFAULT_HEAP_GROWING_PERCENT = 25;

/**
 * Set once before the gateway starts. V8 reads this flag at each full collection, when it sets the
 * next limit, so setting it after start-up takes effect (for the render threads too: flags are
 * per process); it changes when memory is collected, never what the program computes. Answers the
 * flag it set, if any.
 */
export function limitHeapGrowth(percent: number = DEFAULT_HEAP_GROWING_PERCENT): string | undefined {
  if (percent === 0) return undefined;
  const flag = `--heap-growing-percent=${percent}`;
  setFlagsFromString(flag);
  return flag;
}
