// The idempotency fingerprint: the same request however it is serialised, another for any change.
import { readFileSync } from 'node:fs';
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

  it('is the fingerprint stored by earlier releases, byte for byte (their idempotency records must still match)', () => {
    // Computed with the first implementation (entries, filter, sort with <, map and join).
    const example = JSON.parse(readFileSync(new URL('../../examples/invoice.json', import.meta.url), 'utf8')) as unknown;
    expect(requestHash(example)).toBe('95d1104af6402aa893457dc94805c878dc6d54c0993beca11a1b334671378f69');
    expect(requestHash({ Z: 1, a: [null, { é: 'é"\\', b: true, c: 1.5 }], '\u{1F600}': 'x', '': null, e: [] })).toBe('d5db9e0a9516990c6ef95167b7c7a6e31f3b7ddd5d2e5aca45d0de39fc2eead9');
  });
});
