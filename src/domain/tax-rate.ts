/**
 * The VAT rates and levy rates (税率/征收率) an invoice line may carry, plus 免税 and 不征税.
 * A rate is held in millionths (the platform's `slv` has at most 6 decimals) so tax stays exact.
 */
import { parseDecimal, pow10 } from './decimal.js';

/** `rate`: a 税率 or 征收率, possibly 0 (zero-rated export); `free`: 免税; `none`: 不征税. */
export type TaxRateKind = 'rate' | 'free' | 'none';

export interface TaxRate {
  /** The canonical request value: "0.13", "0.015", "0", "free" or "none". */
  readonly code: string;
  readonly kind: TaxRateKind;
  /** The rate in millionths: 0.13 → 130000. Zero for 免税 and 不征税. */
  readonly micro: bigint;
  /** What the invoice face prints in the 税率/征收率 column. */
  readonly label: string;
}

export const MICRO = pow10(6);

const rate = (code: string, micro: number, label: string): TaxRate => ({
  code,
  kind: 'rate',
  micro: BigInt(micro),
  label,
});

/**
 * The rates in use (domain.md §3.1): 13/9/6 % general rates, 5/3 % simplified levy rates, the
 * reduced 1 % and 1.5 %, zero-rated export, and the two zero-tax kinds.
 */
export const TAX_RATES: readonly TaxRate[] = [
  rate('0.13', 130_000, '13%'),
  rate('0.09', 90_000, '9%'),
  rate('0.06', 60_000, '6%'),
  rate('0.05', 50_000, '5%'),
  rate('0.03', 30_000, '3%'),
  rate('0.015', 15_000, '1.5%'),
  rate('0.01', 10_000, '1%'),
  rate('0', 0, '0%'),
  { code: 'free', kind: 'free', micro: 0n, label: '免税' },
  { code: 'none', kind: 'none', micro: 0n, label: '不征税' },
];

const byMicro = new Map(TAX_RATES.filter((r) => r.kind === 'rate').map((r) => [r.micro, r]));
const byCode = new Map(TAX_RATES.map((r) => [r.code, r]));

/** The rate a request's `taxRate` names ("0.13", "0.130000", "free", …), or undefined. */
export function parseTaxRate(text: string): TaxRate | undefined {
  const named = byCode.get(text);
  if (named) return named;
  const parsed = parseDecimal(text, { maxDecimals: 6, maxIntegerDigits: 1, allowNegative: false });
  if (!parsed.ok) return undefined;
  return byMicro.get(parsed.value.units * pow10(6 - parsed.value.scale));
}

/** The list a person reads in an error message: "0.13, 0.09, …, free, none". */
export const TAX_RATE_CODES = TAX_RATES.map((r) => r.code).join(', ');
