// Amounts and days as finance staff write them, from the API's decimal text, never through a float.
import { describe, expect, it } from 'vitest';
import { dateOnly, money } from '../../src/console/format.js';

describe('console formats', () => {
  it('groups an amount by thousands and keeps its fen as written', () => {
    expect(money('1060.00')).toBe('¥1,060.00');
    expect(money('1234567.89')).toBe('¥1,234,567.89');
    expect(money('999.50')).toBe('¥999.50');
    expect(money('-1060.00')).toBe('-¥1,060.00');
    expect(money('90071992547409931.01')).toBe('¥90,071,992,547,409,931.01');
    expect(money('0')).toBe('¥0');
  });

  it('gives the day in Beijing as YYYY-MM-DD', () => {
    expect(dateOnly('2026-12-01T16:30:00Z')).toBe('2026-12-02');
    expect(dateOnly(null)).toBe('—');
  });
});
