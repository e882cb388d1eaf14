// The serving process's heap grows by a quarter past what a full collection kept unless the
// operator says otherwise; 0 leaves it to V8 (its memory effect is measured in bench/RESULTS.md).
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/runtime/heap-growth.js';

describe('heap growth', () => {
  it('is a quarter by default, what the operator sets otherwise, and V8’s own at 0', () => {
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(25);
    expect(limitHeapGrowth(undefined)).toBe('--heap-growing-percent=25');
    expect(limitHeapGrowth(10)).toBe('--heap-growing-percent=10');
    expect(limitHeapGrowth(0)).toBeUndefined();
  });
});
