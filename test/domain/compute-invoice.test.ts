import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFen } from '../../src/domain/money.js';
import { TAX_RATES } from '../../src/domain/tax-rate.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { codes, preview } from '../support/preview.js';
import { validLine, validRequest, type JsonRecord } from '../support/invoice-request.js';
import { fen } from '../support/money.js';

function line(amount: string, taxRate: string, extra: JsonRecord = {}): JsonRecord {
  return validLine({ quantity: undefined, unitPrice: undefined, spec: undefined, unit: undefined, amount, taxRate, ...extra });
}

describe('computed invoice', () => {
  it('computes the api.md example: 1060.00 at 6 % including tax', () => {
    const invoice = preview(validRequest());
    expect(invoice.lines[0]).toMatchObject({ amountExcludingTax: '1000.00', tax: '60.00', amountIncludingTax: '1060.00' });
    expect(invoice.totals).toEqual({ amount: '1000.00', tax: '60.00', total: '1060.00', totalInWords: '壹仟零陆拾圆整' });
  });

  it('computes the amount from quantity × unit price, half-up: 0.333333 × 7 = 2.33 (domain.md §3.4)', () => {
    const invoice = preview(
      validRequest({ priceIncludesTax: false, lines: [validLine({ quantity: '7', unitPrice: '0.333333', amount: undefined })] }),
    );
    expect(invoice.lines[0]).toMatchObject({ amount: '2.33', amountExcludingTax: '2.33', tax: '0.14', amountIncludingTax: '2.47' });
  });

  it('rounds quantity × unit price where doubles go wrong: 1.005 × 1 = 1.01', () => {
    const invoice = preview(validRequest({ lines: [validLine({ quantity: '1.005', unitPrice: '1', amount: undefined })] }));
    expect(invoice.lines[0]?.amount).toBe('1.01');
  });

  it('splits 19.90 × 3 including 13 % into 52.83 + 6.87 and prints the unit price excluding tax', () => {
    const invoice = preview(
      validRequest({ lines: [validLine({ quantity: '3', unitPrice: '19.90', amount: '59.70', taxRate: '0.13' })] }),
    );
    expect(invoice.lines[0]).toMatchObject({ amountExcludingTax: '52.83', tax: '6.87', unitPriceExcludingTax: '17.61' });
    expect(invoice.totals.totalInWords).toBe('伍拾玖圆柒角整');
  });

  it('keeps the unit price as given on a tax-exclusive line', () => {
    const invoice = preview(
      validRequest({ priceIncludesTax: false, lines: [validLine({ quantity: '2.5', unitPrice: '424.00', amount: '1060.00' })] }),
    );
    expect(invoice.lines[0]).toMatchObject({ quantity: '2.5', unitPrice: '424.00', unitPriceExcludingTax: '424.00', tax: '63.60' });
  });

  it('sums lines at several rates, 免税 included; 不征税 stands alone (该优惠政策不能混开)', () => {
    const invoice = preview(
      validRequest({
        priceIncludesTax: false,
        lines: [line('100.50', '0.13'), line('1.50', '0.03'), line('1000.00', 'free'), line('50.00', '0', { policy: 'exempt' })],
      }),
    );
    expect(invoice.lines.map((l) => l.tax)).toEqual(['13.07', '0.05', '0.00', '0.00']);
    expect(invoice.lines.map((l) => [l.taxRate, l.policy])).toEqual([['0.13', undefined], ['0.03', undefined], ['free', 'exempt'], ['free', 'exempt']]);
    expect(invoice.totals).toEqual({ amount: '1152.00', tax: '13.12', total: '1165.12', totalInWords: '壹仟壹佰陆拾伍圆壹角贰分' });
    const alone = preview(validRequest({ priceIncludesTax: false, lines: [line('50.00', '0', { policy: 'not_taxable', taxCode: '6010000000000000000' })] }));
    expect(alone.lines[0]).toMatchObject({ taxRate: 'none', policy: 'not_taxable', tax: '0.00' });
  });

  it('nets a discount line against the line it discounts (domain.md §3.5)', () => {
    const invoice = preview(
      validRequest({
        priceIncludesTax: false,
        lines: [
          line('600.00', '0.13', { name: '*电子计算机*笔记本电脑', taxCode: '1090511030000000000' }),
          line('-60.00', '0.13', { name: '*电子计算机*笔记本电脑', taxCode: '1090511030000000000', kind: 'discount' }),
        ],
      }),
    );
    expect(invoice.lines.map((l) => [l.nature, l.amountExcludingTax, l.tax])).toEqual([
      ['discounted', '600.00', '78.00'],
      ['discount', '-60.00', '-7.80'],
    ]);
    expect(invoice.totals).toMatchObject({ amount: '540.00', tax: '70.20', total: '610.20' });
  });

  it('refuses a blue invoice that a full discount brings to zero', () => {
    expect(codes(validRequest({ lines: [line('100.00', '0.06'), line('-100.00', '0.06', { kind: 'discount' })] }))).toEqual([
      '/lines total_not_positive',
    ]);
  });

  it('refuses a total past the platform field size', () => {
    const big = line('9999999999999999.99', '0.13');
    expect(codes(validRequest({ priceIncludesTax: false, lines: [big] }))).toEqual(['/lines total_too_large']);
  });
});

describe('the 1.27 total-tax tolerance (domain.md §3.3)', () => {
  // 0.05 at 13 % is 0.0065, rounded to 0.01: each line carries 0.0035 of rounding, all one way.
  const smallLines = (count: number) => Array.from({ length: count }, () => line('0.05', '0.13'));

  it('holds for 362 such lines (deviation 1.267)', () => {
    expect(codes(validRequest({ priceIncludesTax: false, lines: smallLines(362) }))).toEqual([]);
  });

  it('breaks at 363 lines (deviation 1.2705) and says by how much', () => {
    const result = previewInvoice(validRequest({ priceIncludesTax: false, lines: smallLines(363) }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ path: '/lines', code: 'total_tax_tolerance' });
    expect(result.errors[0]?.message).toContain('1.27');
  });
});

describe('computed invoice: properties over random lines', () => {
  const moneyText = fc.bigInt({ min: 1n, max: 10n ** 10n }).map((fen) => formatFen(fen));
  const rateCode = fc.constantFrom(...TAX_RATES.map((r) => r.code).filter((code) => code !== 'none'));
  const randomLine = fc.tuple(moneyText, rateCode).map(([amount, taxRate]) => line(amount, taxRate));

  it('amount + tax = total, per line and in sum, and totals are the sums of the lines', () => {
    fc.assert(
      fc.property(fc.array(randomLine, { minLength: 1, maxLength: 40 }), fc.boolean(), (lines, priceIncludesTax) => {
        const result = previewInvoice(validRequest({ lines, priceIncludesTax }));
        fc.pre(result.ok);
        const invoice = computedInvoiceJson(result.ok ? result.invoice : (undefined as never));
        let amount = 0n;
        let tax = 0n;
        for (const computed of invoice.lines) {
          expect(fen(computed.amountExcludingTax) + fen(computed.tax)).toBe(fen(computed.amountIncludingTax));
          const given = fen(computed.amount);
          expect(priceIncludesTax ? fen(computed.amountIncludingTax) : fen(computed.amountExcludingTax)).toBe(given);
          amount += fen(computed.amountExcludingTax);
          tax += fen(computed.tax);
        }
        expect(fen(invoice.totals.amount)).toBe(amount);
        expect(fen(invoice.totals.tax)).toBe(tax);
        expect(fen(invoice.totals.total)).toBe(amount + tax);
      }),
      { numRuns: 500 },
    );
  });
});
