import { describe, expect, it } from 'vitest';
import { reconcile, type OurInvoice, type TheirInvoice } from '../../src/domain/reconcile.js';

const ours = (serialNo: string, status: string, number: string | null = null, total = '1060.00'): OurInvoice => ({ id: `inv_${serialNo}`, serialNo, status, number, total, sellerTaxId: '91330106MA2B0Y5R34' });
const theirs = (serialNo: string, number: string, total = '1060.00', sellerTaxId = '91330106MA2B0Y5R34'): TheirInvoice => ({ serialNo, number, total, sellerTaxId });

describe('reconciliation classes', () => {
  it('matches, adopts, and reports what differs field by field', () => {
    const here = [ours('A', 'issued', '1'), ours('B', 'pending'), ours('C', 'failed'), ours('D', 'issued', '4', '100.00'), ours('E', 'rejected'), ours('F', 'pending', null, '5.00')];
    const bySerial = new Map(here.map((invoice) => [invoice.serialNo, invoice]));
    const missing = ours('M', 'issued', '9');
    const result = reconcile(
      [theirs('A', '1'), theirs('B', '2'), theirs('C', '3'), theirs('D', '44', '99.00'), theirs('E', '5'), theirs('F', '6', '6.00'), theirs('Z', '26', '1.00', '91330100799655058B')],
      bySerial,
      [here[0]!, missing],
    );
    expect(result.matched.map((item) => item.ours.serialNo)).toEqual(['A']);
    expect(result.adopt.map((item) => [item.ours.serialNo, item.theirs.number])).toEqual([['B', '2'], ['C', '3'], ['F', '6']]);
    expect(result.mismatched.map((item) => [item.ours.serialNo, item.differences])).toEqual([
      ['D', [{ field: 'number', ours: '4', theirs: '44' }, { field: 'total', ours: '100.00', theirs: '99.00' }]],
      ['E', [{ field: 'status', ours: 'rejected', theirs: 'issued' }]],
      // Adopted (it exists there and must never be sent again), and its different total reported.
      ['F', [{ field: 'total', ours: '5.00', theirs: '6.00' }]],
    ]);
    expect(result.unknownUpstream.map((item) => item.serialNo)).toEqual(['Z']);
    expect(result.missingUpstream.map((item) => item.serialNo)).toEqual(['M']);
  });

  it('finds nothing to do on an empty day', () => {
    expect(reconcile([], new Map(), [])).toEqual({ matched: [], adopt: [], missingUpstream: [], mismatched: [], unknownUpstream: [] });
  });
});
