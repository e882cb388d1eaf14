import { describe, expect, it } from 'vitest';
import { qrCrc, qrPayload } from '../../src/documents/qr-payload.js';

describe('invoice QR payload (domain.md §7.4)', () => {
  it.each([
    ['01,32,,24312000000136634917,0.01,20240514,,', '1DD6'],
    ['01,32,,26427000000375586818,10.70,20260430,,', 'FAFB'],
  ])('matches the CRC printed on a real invoice: %s → %s', (prefix, crc) => {
    expect(qrCrc(prefix)).toBe(crc);
  });

  it('builds the whole payload in Beijing time', () => {
    // 2024-05-14 20:01:47 Beijing is 12:01:47 UTC: the real 诺诺 payload of domain.md §6.1.
    expect(qrPayload({ type: 'normal', number: '24312000000136634917', total: '0.01', issuedAt: 1715688107000 })).toBe('01,32,,24312000000136634917,0.01,20240514,,1DD6');
    expect(qrPayload({ type: 'special', number: '26332000000000000001', total: '1060.00', issuedAt: Date.parse('2026-11-22T23:30:00Z') })).toMatch(/^01,31,,26332000000000000001,1060\.00,20261123,,[0-9A-F]{4}$/);
  });
});
