/**
 * An upstream that reports the totals it issued (诺诺 does) is checked against ours: what it issued
 * must be what the API computed and showed. Pure; the dispatcher reports a difference as an event.
 */
import type { ComputedInvoiceJson } from '../domain/invoice-json.js';
import type { ReportedTotals } from '../channels/channel.js';

/** Each total the upstream reports otherwise than ours, e.g. "tax 60.01 ≠ 60.00"; [] when all agree. */
export function totalsDiffering(reported: ReportedTotals, ours: ComputedInvoiceJson['totals']): string[] {
  return (['amount', 'tax', 'total'] as const).flatMap((field) => {
    const theirs = reported[field];
    return theirs === undefined || theirs === ours[field] ? [] : [`${field} ${theirs} ≠ ${ours[field]}`];
  });
}
