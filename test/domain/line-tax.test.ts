import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundHalfUp } from '../../src/domain/decimal.js';
import { lineTax, taxExclusiveLine, taxInclusiveLine } from '../../src/domain/line-tax.js';
import { formatFen } from '../../src/domain/money.js';
import { MICRO, parseTaxRate, TAX_RATES, type TaxRate } from '../../src/domain/tax-rate.js';
import { lineTaxWithinTolerance } from '../../src/domain/tolerance.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { validLine, validRequest } from '../support/invoice-request.js';
import { fen } from '../support/money.js';

/** A rate code as the fraction it spells: "0.13" → [13n, 100n], "0.015" → [15n, 1000n]; free and none are 0. */
function rateFraction(code: string): [bigint, bigint] {
  if (code === 'free' || code === 'none' || code === '0') return [0n, 1n];
  const decimals = code.split('.')[1] ?? '';
  return [BigInt(decimals), 10n ** BigInt(decimals.length)];
}

function rate(code: string): TaxRate {
  const found = parseTaxRate(code);
  if (!found) throw new Error(`unknown rate ${code}`);
  return found;
}

describe('line tax: worked examples (domain.md §3.4 and half-up ties)', () => {
  // [convention, amount, rate, amount excluding tax, tax, amount including tax, why it is here]
  const examples: Array<[boolean, string, string, string, string, string, string]> = [
    [false, '1.50', '0.03', '1.50', '0.05', '1.55', 'tie 0.045 rounds up; (1.5*0.03).toFixed(2) gives 0.04'],
    [false, '100.50', '0.13', '100.50', '13.07', '113.57', '13.065 exactly; a double holds 13.065000000000001'],
    [false, '0.70', '0.05', '0.70', '0.04', '0.74', 'tie 0.035; Math.round(0.7*0.05*100)/100 gives 0.03'],
    [false, '2.50', '0.09', '2.50', '0.23', '2.73', 'tie 0.225; Math.round on doubles gives 0.22'],
    [false, '9.25', '0.06', '9.25', '0.56', '9.81', 'tie 0.555; Math.round on doubles gives 0.55'],
    [false, '0.50', '0.13', '0.50', '0.07', '0.57', 'tie 0.065; half-even would give 0.06'],
    [false, '2.50', '0.01', '2.50', '0.03', '2.53', 'tie 0.025; half-even would give 0.02'],
    [false, '1.10', '0.015', '1.10', '0.02', '1.12', '1.5 % reduced rate, 0.0165'],
    [false, '906.13', '0.06', '906.13', '54.37', '960.50', 'real invoice 25122000000091445401'],
    [false, '2.00', '0.06', '2.00', '0.12', '2.12', 'the XML specification example'],
    [false, '1000.00', 'free', '1000.00', '0.00', '1000.00', '免税 has no tax'],
    [false, '1000.00', 'none', '1000.00', '0.00', '1000.00', '不征税 has no tax'],
    [false, '1000.00', '0', '1000.00', '0.00', '1000.00', 'zero-rated export'],
    [true, '5.65', '0.13', '5.00', '0.65', '5.65', '诺诺 documentation example'],
    [true, '59.70', '0.13', '52.83', '6.87', '59.70', '19.90 × 3 (domain.md §3.4)'],
    [true, '0.01', '0.03', '0.01', '0.00', '0.01', 'real 诺诺 payload'],
    [true, '1060.00', '0.06', '1000.00', '60.00', '1060.00', 'the api.md example'],
    [true, '100.50', '0.13', '88.94', '11.56', '100.50', '100.50 × 13 / 113 = 11.5619…'],
    [true, '109.00', '0.09', '100.00', '9.00', '109.00', '9 % inclusive'],
    [true, '1000.00', 'free', '1000.00', '0.00', '1000.00', '免税 inclusive'],
  ];

  it.each(examples)('inclusive=%s %s at %s → %s + %s = %s (%s)', (inclusive, amount, code, excl, tax, incl) => {
    const split = lineTax(fen(amount), rate(code), inclusive);
    expect(formatFen(split.amountExcludingTax)).toBe(excl);
    expect(formatFen(split.tax)).toBe(tax);
    expect(formatFen(split.amountIncludingTax)).toBe(incl);
  });
});

const lineAmount = fc.bigInt({ min: 1n, max: 10n ** 14n });
const anyRate = fc.constantFrom(...TAX_RATES);

describe('line tax: properties', () => {
  it('tax-inclusive lines: the tax is gross × r / (1 + r) to the nearest fen, with r read from the rate\'s own text', () => {
    // An independent route: the rate as the fraction its code spells ("0.13" = 13/100), not the
    // micro-units the code uses, and the split checked as the platform checks it, on the amount
    // excluding tax that the invoice will carry.
    fc.assert(
      fc.property(lineAmount, anyRate, (gross, r) => {
        const split = taxInclusiveLine(gross, r);
        const [numerator, denominator] = rateFraction(r.code);
        // tax = gross·n / (d + n), rounded half up: compare 2·gross·n with (2·tax ± 1)·(d + n).
        const exact2 = 2n * gross * numerator;
        const below = (2n * split.tax - 1n) * (denominator + numerator);
        const above = (2n * split.tax + 1n) * (denominator + numerator);
        expect(exact2 >= below && exact2 < above).toBe(true);
        // 版式规范 §五.1: |金额 × 税率 − 税额| ≤ 0.06 on the printed amount excluding tax.
        const deviation = split.amountExcludingTax * numerator - split.tax * denominator;
        expect(deviation <= 6n * denominator && deviation >= -6n * denominator).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('a whole accepted invoice keeps Σ(amount × rate) within 1.27 of its total tax, checked independently', () => {
    // Many small lines are where per-line rounding adds up; the gateway must refuse (never issue)
    // an invoice the platform would refuse for it.
    const smallLine = fc.record({ cents: fc.integer({ min: 1, max: 999 }), rate: fc.constantFrom('0.13', '0.09', '0.06', '0.03', '0.01') });
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(smallLine, { minLength: 1, maxLength: 400 }), fc.boolean(), (lines, inclusive) => {
        const request = validRequest({
          priceIncludesTax: inclusive,
          lines: lines.map((line) => validLine({ amount: formatFen(BigInt(line.cents)), taxRate: line.rate, quantity: undefined, unitPrice: undefined })),
        });
        const result = previewInvoice(request);
        if (!result.ok) {
          expect(result.errors.map((p) => p.code)).toEqual(['total_tax_tolerance']);
          seen.refused++;
          return;
        }
        seen.accepted++;
        const computed = computedInvoiceJson(result.invoice);
        // Σ over lines of amount × rate, as an exact fraction over 100 (every rate here is n/100).
        let sum100 = 0n;
        for (const line of computed.lines) sum100 += fen(line.amountExcludingTax) * rateFraction(line.taxRate)[0];
        const deviation = sum100 - fen(computed.totals.tax) * 100n;
        expect(deviation <= 127n * 100n && deviation >= -127n * 100n).toBe(true);
      }),
      { numRuns: 300 },
    );
    // The check ran on accepted invoices, not only on refusals.
    expect(seen.accepted).toBeGreaterThan(100);
  });

  it('tax-exclusive lines: amount + tax = total, tax is amount × rate rounded half-up', () => {
    fc.assert(
      fc.property(lineAmount, anyRate, (amount, r) => {
        const split = taxExclusiveLine(amount, r);
        expect(split.amountExcludingTax).toBe(amount);
        expect(split.amountExcludingTax + split.tax).toBe(split.amountIncludingTax);
        // 2·|amount·rate − tax| ≤ 1 fen, in millionths; ties (= 1 fen) only ever round up.
        const twiceError = 2n * (amount * r.micro - split.tax * MICRO);
        expect(twiceError < MICRO && twiceError >= -MICRO).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('tax-inclusive tax is the nearest fen to gross × rate / (1 + rate)', () => {
    fc.assert(
      fc.property(lineAmount, anyRate, (gross, r) => {
        const { tax } = taxInclusiveLine(gross, r);
        const denominator = MICRO + r.micro;
        const twiceError = 2n * (gross * r.micro - tax * denominator);
        expect(twiceError < denominator && twiceError >= -denominator).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('every computed line is within the platform tolerance of 0.06', () => {
    fc.assert(
      fc.property(lineAmount, anyRate, fc.boolean(), (amount, r, inclusive) => {
        const split = lineTax(amount, r, inclusive);
        expect(lineTaxWithinTolerance(split.amountExcludingTax, r, split.tax)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('a negative (red or discount) line is exactly the negation of the positive one', () => {
    fc.assert(
      fc.property(lineAmount, anyRate, fc.boolean(), (amount, r, inclusive) => {
        const positive = lineTax(amount, r, inclusive);
        const negative = lineTax(-amount, r, inclusive);
        expect(negative.amountExcludingTax).toBe(-positive.amountExcludingTax);
        expect(negative.tax).toBe(-positive.tax);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with an independent computation over decimal strings', () => {
    // A second route to the same number: scale to hundred-thousandths of a fen as text, then
    // round by looking at the digits, as a person would with pencil and paper.
    fc.assert(
      fc.property(lineAmount, anyRate, (amount, r) => {
        const product = (amount * r.micro).toString().padStart(7, '0');
        const whole = BigInt(product.slice(0, -6));
        const rest = product.slice(-6);
        const byHand = rest >= '500000' ? whole + 1n : whole;
        expect(taxExclusiveLine(amount, r).tax).toBe(byHand);
        expect(byHand).toBe(roundHalfUp(amount * r.micro, MICRO));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('tolerance check', () => {
  it('accepts 0.06 and refuses 0.07 of deviation', () => {
    const r13 = rate('0.13');
    expect(lineTaxWithinTolerance(10000n, r13, 1306n)).toBe(true); // 100.00 × 0.13 = 13.00, stated 13.06
    expect(lineTaxWithinTolerance(10000n, r13, 1307n)).toBe(false);
    expect(lineTaxWithinTolerance(10000n, r13, 1294n)).toBe(true);
    expect(lineTaxWithinTolerance(10000n, r13, 1293n)).toBe(false);
  });
});
