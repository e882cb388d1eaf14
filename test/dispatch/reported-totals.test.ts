// The totals an upstream reports for an issued invoice, against ours: each difference named.
import { describe, expect, it } from 'vitest';
import { totalsDiffering } from '../../src/dispatch/reported-totals.js';

describe('reported totals', () => {
  const ours = { amount: '1000.00', tax: '60.00', total: '1060.00', totalInWords: '壹仟零陆拾圆整' };

  it('names every total the upstream reports differently from ours, and nothing it leaves out', () => {
    expect(totalsDiffering({ amount: '1000.00', tax: '60.00', total: '1060.00' }, ours)).toEqual([]);
    expect(totalsDiffering({ amount: '999.99', tax: '60.01', total: '1060.00' }, ours)).toEqual(['amount 999.99 ≠ 1000.00', 'tax 60.01 ≠ 60.00']);
    expect(totalsDiffering({}, ours)).toEqual([]);
  });
});
