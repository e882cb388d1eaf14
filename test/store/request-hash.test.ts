// The idempotency fingerprint: the same request however it is serialised, another for any change.
import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/store/request-hash.js';

describe('requestHash', () => {
  it('is the same for reordered keys, and for a null member and an absent one (the reader treats them alike)', () => {
    expect(requestHash({ b: 1, a: { y: '2', x: '1' } })).toBe(requestHash({ a: { x: '1', y: '2' }, b: 1 }));
    expect(requestHash({ orderNo: 'SO-1', remarks: null })).toBe(requestHash({ orderNo: 'SO-1' }));
    expect(requestHash({ buyer: { name: '张三', email: null } })).toBe(requestHash({ buyer: { name: '张三' } }));
  });

  it('differs for any changed value, and keeps nulls inside arrays in place', () => {
    expect(requestHash({ remarks: 'a' })).not.toBe(requestHash({ remarks: 'b' }));
    expect(requestHash({ remarks: '' })).not.toBe(requestHash({}));
    expect(requestHash({ lines: [null, 1] })).not.toBe(requestHash({ lines: [1] }));
  });
});
