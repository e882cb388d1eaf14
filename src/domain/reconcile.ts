/**
 * Reconciliation (对账): the upstream's list of a day against our own invoices, matched by serial
 * number, every difference classified and explained field by field. Pure: the store reads both
 * sides and carries out the adoptions this decides.
 */

/** One of our invoices, as reconciliation sees it. */
export interface OurInvoice {
  readonly id: string;
  readonly serialNo: string;
  readonly status: string;
  readonly number: string | null;
  readonly total: string;
  readonly sellerTaxId: string;
}

/** One invoice of the upstream's day list. */
export interface TheirInvoice {
  readonly serialNo: string;
  readonly number: string;
  readonly total: string;
  readonly sellerTaxId: string;
}

/** A field that differs: what we hold and what the upstream says. */
export interface FieldDifference {
  readonly field: 'number' | 'total' | 'seller' | 'status';
  readonly ours: string;
  readonly theirs: string;
}

export interface Reconciliation<O extends OurInvoice, T extends TheirInvoice> {
  readonly matched: ReadonlyArray<{ readonly ours: O; readonly theirs: T }>;
  /** Pending or failed here, issued there: to be issued here with the upstream's number. */
  readonly adopt: ReadonlyArray<{ readonly ours: O; readonly theirs: T }>;
  /** Issued here on that day through that channel, absent from the upstream's list. */
  readonly missingUpstream: readonly O[];
  /** Both sides have it, and they disagree. */
  readonly mismatched: ReadonlyArray<{ readonly ours: O; readonly theirs: T; readonly differences: readonly FieldDifference[] }>;
  /** The upstream issued it under a serial number we never gave. */
  readonly unknownUpstream: readonly T[];
}

/** What differs between our invoice and the upstream's record of it (status apart). */
function differences(ours: OurInvoice, theirs: TheirInvoice): FieldDifference[] {
  const found: FieldDifference[] = [];
  if (ours.number !== null && ours.number !== theirs.number) found.push({ field: 'number', ours: ours.number, theirs: theirs.number });
  if (ours.total !== theirs.total) found.push({ field: 'total', ours: ours.total, theirs: theirs.total });
  if (ours.sellerTaxId !== theirs.sellerTaxId) found.push({ field: 'seller', ours: ours.sellerTaxId, theirs: theirs.sellerTaxId });
  return found;
}

/**
 * Classifies the upstream's day list. `bySerial` holds our invoices with any of its serial numbers;
 * `issuedThatDay` ours issued on that day through that channel.
 */
export function reconcile<O extends OurInvoice, T extends TheirInvoice>(theirs: readonly T[], bySerial: ReadonlyMap<string, O>, issuedThatDay: readonly O[]): Reconciliation<O, T> {
  const matched: Array<{ ours: O; theirs: T }> = [];
  const adopt: Array<{ ours: O; theirs: T }> = [];
  const mismatched: Array<{ ours: O; theirs: T; differences: FieldDifference[] }> = [];
  const unknownUpstream: T[] = [];
  for (const record of theirs) {
    const ours = bySerial.get(record.serialNo);
    if (!ours) {
      unknownUpstream.push(record);
      continue;
    }
    const found = differences(ours, record);
    // Issued there though no answer said so here: the upstream's list is the answer. It is adopted
    // even when a figure differs (it exists and must never be sent again), and the difference is
    // reported for a person.
    if (ours.status === 'pending' || ours.status === 'failed') adopt.push({ ours, theirs: record });
    else if (ours.status !== 'issued') found.unshift({ field: 'status', ours: ours.status, theirs: 'issued' });
    if (found.length > 0) mismatched.push({ ours, theirs: record, differences: found });
    else if (ours.status === 'issued') matched.push({ ours, theirs: record });
  }
  const listed = new Set(theirs.map((record) => record.serialNo));
  const missingUpstream = issuedThatDay.filter((ours) => !listed.has(ours.serialNo));
  return { matched, adopt, missingUpstream, mismatched, unknownUpstream };
}
