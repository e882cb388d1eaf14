/**
 * The tax platform's own validation tolerances (domain.md §3.3, [LQ-XML] §五.1, [LQ-KP] §2.2.4.2),
 * checked on exact decimals. An invoice that breaks the price or the total tax rule is refused
 * upstream, so we refuse it first; the line tax rule no request can break, since the gateway
 * computes each line's tax itself (below).
 */
import { multiplyDecimals, pow10, type Decimal } from './decimal.js';
import type { Fen } from './money.js';
import { MICRO, type TaxRate } from './tax-rate.js';

/** |单价 × 数量 − 金额| ≤ 0.01 */
const LINE_AMOUNT_TOLERANCE_FEN: Fen = 1n;
/** |金额 × 税率 − 税额| ≤ 0.06 */
const LINE_TAX_TOLERANCE_FEN: Fen = 6n;
/** |Σ(金额ᵢ × 税率ᵢ) − 合计税额| ≤ 1.27, over the unrounded products. */
export const TOTAL_TAX_TOLERANCE_FEN: Fen = 127n;

/** |quantity × unitPrice − amount|, in units of 10^-scale 元, with that scale (≥ 2). */
function priceDeviation(quantity: Decimal, unitPrice: Decimal, amount: Fen): { deviation: bigint; scale: number } {
  const product = multiplyDecimals(quantity, unitPrice);
  const scale = Math.max(product.scale, 2);
  const exact = product.units * pow10(scale - product.scale);
  const stated = amount * pow10(scale - 2);
  const deviation = exact - stated;
  return { deviation: deviation < 0n ? -deviation : deviation, scale };
}

/** Whether quantity × unit price agrees with the line amount within 0.01. */
export function priceAgreesWithAmount(quantity: Decimal, unitPrice: Decimal, amount: Fen): boolean {
  const { deviation, scale } = priceDeviation(quantity, unitPrice, amount);
  return deviation <= LINE_AMOUNT_TOLERANCE_FEN * pow10(scale - 2);
}

/**
 * Whether a line's tax is within 0.06 of amount × rate. No request is checked against it: the
 * gateway computes every line's tax (line-tax.ts), rounding to the fen, so it is always within
 * 0.005; test/domain/line-tax.test.ts holds every computed line to the platform's rule with it.
 */
export function lineTaxWithinTolerance(amountExcludingTax: Fen, rate: TaxRate, tax: Fen): boolean {
  const deviation = amountExcludingTax * rate.micro - tax * MICRO;
  return (deviation < 0n ? -deviation : deviation) <= LINE_TAX_TOLERANCE_FEN * MICRO;
}

/**
 * |Σ(amountᵢ × rateᵢ) − totalTax| in millionths of a fen. Every line's rounding error is at most
 * half a fen (times 1 + rate for tax-inclusive lines), so a few hundred small lines at one rate can
 * break the 1.27 limit even though each line is right.
 */
export function totalTaxDeviationMicroFen(
  lines: ReadonlyArray<{ readonly amountExcludingTax: Fen; readonly rate: TaxRate }>,
  totalTax: Fen,
): bigint {
  let exact = 0n;
  for (const line of lines) exact += line.amountExcludingTax * line.rate.micro;
  const deviation = exact - totalTax * MICRO;
  return deviation < 0n ? -deviation : deviation;
}

