import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal, roundHalfUp } from '../../src/domain/decimal.js';
import { formatFen, MONEY_MAX_FEN, parseMoney } from '../../src/domain/money.js';

const anyFen = fc.bigInt({ min: -MONEY_MAX_FEN, max: MONEY_MAX_FEN });

describe('money strings ↔ fen', () => {
  it('parse ∘ format is the identity on every amount', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        const parsed = parseMoney(formatFen(fen), { allowNegative: true });
        expect(parsed).toEqual({ ok: true, fen });
      }),
      { numRuns: 5000 },
    );
  });

  it('format ∘ parse gives back every canonical two-decimal string', () => {
    const canonical = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 16n - 1n }), fc.integer({ min: 0, max: 99 }))
      .filter(([negative, yuan, fen]) => !(negative && yuan === 0n && fen === 0))
      .map(([negative, yuan, fen]) => `${negative ? '-' : ''}${yuan}.${String(fen).padStart(2, '0')}`);
    fc.assert(
      fc.property(canonical, (text) => {
        const parsed = parseMoney(text, { allowNegative: true });
        expect(parsed.ok && formatFen(parsed.fen)).toBe(text);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['1060.00', 106000n],
    ['1060', 106000n],
    ['1060.5', 106050n],
    ['0.01', 1n],
    ['0', 0n],
    ['9999999999999999.99', MONEY_MAX_FEN],
  ])('reads %s as %s fen', (text, fen) => {
    expect(parseMoney(text, { allowNegative: false })).toEqual({ ok: true, fen });
  });

  it.each([
    ['', 'not_decimal'],
    [' 1.00', 'not_decimal'],
    ['1.00 ', 'not_decimal'],
    ['+1.00', 'not_decimal'],
    ['1e3', 'not_decimal'],
    ['1E-2', 'not_decimal'],
    ['NaN', 'not_decimal'],
    ['Infinity', 'not_decimal'],
    ['0x10', 'not_decimal'],
    ['1,000.00', 'not_decimal'],
    ['１０.００', 'not_decimal'],
    ['01.00', 'not_decimal'],
    ['1.', 'not_decimal'],
    ['.5', 'not_decimal'],
    ['--1', 'not_decimal'],
    ['1.005', 'too_many_decimals'],
    ['0.001', 'too_many_decimals'],
    ['-1.00', 'negative'],
    ['10000000000000000.00', 'too_many_integer_digits'],
  ])('refuses %j (%s)', (text, fault) => {
    expect(parseMoney(text, { allowNegative: false })).toEqual({ ok: false, fault });
  });

  it('accepts negative amounts only where allowed, and "-0" is zero', () => {
    expect(parseMoney('-60.00', { allowNegative: true })).toEqual({ ok: true, fen: -6000n });
    expect(parseMoney('-0.00', { allowNegative: false })).toEqual({ ok: true, fen: 0n });
  });

  it('formats small and negative amounts with two decimals', () => {
    expect(formatFen(0n)).toBe('0.00');
    expect(formatFen(5n)).toBe('0.05');
    expect(formatFen(-5n)).toBe('-0.05');
    expect(formatFen(-106000n)).toBe('-1060.00');
  });
});

describe('decimals', () => {
  it('keep the scale they were written with', () => {
    const parsed = parseDecimal('2.50', { maxDecimals: 8, maxIntegerDigits: 12, allowNegative: false });
    expect(parsed).toEqual({ ok: true, value: { units: 250n, scale: 2 } });
    expect(parsed.ok && formatDecimal(parsed.value)).toBe('2.50');
    expect(formatDecimal({ units: -5n, scale: 3 })).toBe('-0.005');
  });

  it('round half-up (away from zero on ties), never half-even', () => {
    expect(roundHalfUp(45n, 10n)).toBe(5n); // 4.5 → 5 (half-even would give 4)
    expect(roundHalfUp(25n, 10n)).toBe(3n); // 2.5 → 3 (half-even would give 2)
    expect(roundHalfUp(44n, 10n)).toBe(4n);
    expect(roundHalfUp(-45n, 10n)).toBe(-5n);
    expect(roundHalfUp(45n, -10n)).toBe(-5n);
    expect(roundHalfUp(0n, 7n)).toBe(0n);
    expect(() => roundHalfUp(1n, 0n)).toThrow(RangeError);
  });

  it('rounds every ratio to the nearest integer, ties away from zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = roundHalfUp(n, d);
        // |n − q·d| ≤ d/2, and on an exact tie q is the one farther from zero.
        const twiceError = 2n * (n - q * d);
        expect(twiceError <= d && twiceError >= -d).toBe(true);
        if (twiceError === d) expect(n < 0n).toBe(true);
        if (twiceError === -d) expect(n > 0n).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
