/** Invoices are dated in Beijing time (UTC+8, no daylight saving), whatever the server's zone. */

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** ISO 8601 in Beijing time: 2026-11-26T09:30:00+08:00. */
export function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}
