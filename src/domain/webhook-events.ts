/**
 * The events a webhook subscriber can hear (docs/api.md "Webhooks"): which change of an invoice
 * or a channel each one reports, and how a subscription's list of types is read. Pure.
 */
export const WEBHOOK_EVENT_TYPES = [
  'invoice.issued',
  'invoice.rejected',
  'invoice.failed',
  'invoice.red_flushed',
  'invoice.documents_ready',
  'channel.down',
  'channel.up',
  'quota.low',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event an invoice's move into `to` (a state key: issued, rejected, failed, pending/…) reports, if any. */
export function invoiceEventOf(to: string): WebhookEventType | undefined {
  if (to === 'issued') return 'invoice.issued';
  if (to === 'rejected') return 'invoice.rejected';
  if (to === 'failed') return 'invoice.failed';
  return undefined;
}

/** Whether a subscription to `types` (or ["*"]) hears `type`. */
export function subscribedTo(types: readonly string[], type: WebhookEventType): boolean {
  return types.includes('*') || types.includes(type);
}

/**
 * The wait before the next try after `failures` failed ones, or undefined when the schedule has
 * run out (the event is then failed). The first try is at once.
 */
export function retryDelay(schedule: readonly number[], failures: number): number | undefined {
  return failures >= 1 && failures <= schedule.length ? schedule[failures - 1] : undefined;
}

/**
 * `5s,5m,30m,2h,5h,10h,10h` as ms (plain numbers are ms): FAPIAO_WEBHOOK_RETRY_SCHEDULE. Throws a
 * RangeError naming the part it cannot read.
 */
export function parseRetrySchedule(text: string): number[] {
  const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)(ms|s|m|h|d)?\s*$/.exec(part);
    if (!match) throw new RangeError(`"${part.trim()}" is not a delay: a number of ms, or with s, m, h or d (5s,5m,30m,2h)`);
    return Number(match[1]) * units[match[2] ?? 'ms']!;
  });
}
