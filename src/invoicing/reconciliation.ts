/**
 * The reconciliation use case: ask one channel for its invoices of a day, classify them against
 * ours (src/domain/reconcile.ts), adopt what the upstream issued without telling us, and report
 * the rest for a person. `fapiao reconcile` runs it; so does `serve`, daily.
 */
import type { Kysely } from 'kysely';
import type { Channel } from '../channels/channel.js';
import { reconcile, type FieldDifference } from '../domain/reconcile.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { adoptInvoice, invoicesBySerial, issuedBetween } from '../store/reconciliation-store.js';
import type { Database } from '../store/schema/index.js';

export interface ReconcileReport {
  readonly date: string;
  readonly channel: string;
  readonly matched: number;
  readonly adopted: ReadonlyArray<{ readonly invoiceId: string; readonly serialNo: string; readonly number: string }>;
  readonly missingUpstream: ReadonlyArray<{ readonly invoiceId: string; readonly serialNo: string; readonly number: string | null; readonly total: string }>;
  readonly amountMismatch: ReadonlyArray<{ readonly invoiceId: string; readonly serialNo: string; readonly number: string; readonly differences: readonly FieldDifference[] }>;
  readonly unknownUpstream: ReadonlyArray<{ readonly serialNo: string; readonly number: string; readonly total: string; readonly sellerTaxId: string }>;
}

export const DAY_FORM = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Whether anything in the report needs a person (adoptions do not: they settle themselves). */
export function needsPerson(report: ReconcileReport): boolean {
  return report.missingUpstream.length + report.amountMismatch.length + report.unknownUpstream.length > 0;
}

/** Reconciles `channel`'s day (Beijing time, YYYY-MM-DD). @throws the channel's error when its list cannot be had */
export async function reconcileDay(deps: { db: Kysely<Database>; capabilities: StoreCapabilities; now: () => number }, channel: Channel, day: string, signal: AbortSignal): Promise<ReconcileReport> {
  if (!channel.listIssued) throw new Error(`channel ${channel.name} cannot list an upstream day, so it cannot be reconciled`);
  const theirs = await channel.listIssued(day, { signal });
  const start = Date.parse(`${day}T00:00:00+08:00`);
  const bySerial = await invoicesBySerial(deps.db, theirs.map((record) => record.serialNo));
  const classes = reconcile(theirs, bySerial, await issuedBetween(deps.db, channel.name, start, start + 86_400_000));
  const adopted: Array<ReconcileReport['adopted'][number]> = [];
  for (const { ours, theirs: record } of classes.adopt) {
    const result = await adoptInvoice(deps.db, deps.capabilities, { invoiceId: ours.id, number: record.number, issuedAt: record.issuedAt, channel: channel.name, simulated: record.simulated, now: deps.now() });
    if (result === 'adopted') adopted.push({ invoiceId: ours.id, serialNo: ours.serialNo, number: record.number });
  }
  return {
    date: day,
    channel: channel.name,
    matched: classes.matched.length,
    adopted,
    missingUpstream: classes.missingUpstream.map((ours) => ({ invoiceId: ours.id, serialNo: ours.serialNo, number: ours.number, total: ours.total })),
    amountMismatch: classes.mismatched.map(({ ours, theirs: record, differences }) => ({ invoiceId: ours.id, serialNo: ours.serialNo, number: record.number, differences })),
    unknownUpstream: classes.unknownUpstream.map((record) => ({ serialNo: record.serialNo, number: record.number, total: record.total, sellerTaxId: record.sellerTaxId })),
  };
}
