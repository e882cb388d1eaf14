/**
 * Exact decimal numbers for the edges of the domain: strict parsing of the decimal strings that
 * travel in JSON, and half-up rounding of exact integer ratios. No floating point anywhere:
 * binary floats get ties wrong (100.50 × 0.13 is not 13.065 in a double).
 */

/** value = units / 10^scale, exactly. `scale` is the number of digits after the point as written. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** How a decimal string can be wrong; each maps to a stable problem code where it is used. */
export type DecimalSyntaxFault = 'not_decimal' | 'negative' | 'too_many_decimals' | 'too_many_integer_digits';

export interface DecimalLimits {
  /** Digits allowed after the point. */
  readonly maxDecimals: number;
  /** Digits allowed before the point. */
  readonly maxIntegerDigits: number;
  /** Whether a leading minus sign is allowed (red invoices, discount lines). */
  readonly allowNegative: boolean;
}

export type DecimalParse = { ok: true; value: Decimal } | { ok: false; fault: DecimalSyntaxFault };

// One optional minus, no plus, no leading zeros (except "0" itself), an optional fraction with at
// least one digit. Refuses "", " 1", "1e3", "0x10", "NaN", "Infinity", "1.", ".5", "01", "1,000".
const DECIMAL_SYNTAX = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** Parses a plain decimal string exactly, within the given limits. */
export function parseDecimal(text: string, limits: DecimalLimits): DecimalParse {
  const match = DECIMAL_SYNTAX.exec(text);
  if (!match) return { ok: false, fault: 'not_decimal' };
  const [, sign = '', integer = '', fraction = ''] = match;
  if (integer.length > limits.maxIntegerDigits) return { ok: false, fault: 'too_many_integer_digits' };
  if (fraction.length > limits.maxDecimals) return { ok: false, fault: 'too_many_decimals' };
  const magnitude = BigInt(integer + fraction);
  if (sign === '-' && magnitude !== 0n && !limits.allowNegative) return { ok: false, fault: 'negative' };
  return { ok: true, value: { units: sign === '-' ? -magnitude : magnitude, scale: fraction.length } };
}

/** Canonical text of a decimal, keeping its scale ("2.50" stays "2.50"). */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const integer = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return (negative ? '-' : '') + integer + (value.scale > 0 ? '.' + fraction : '');
}

/** 10^n as a bigint. */
export function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/**
 * numerator / denominator rounded half-up (四舍五入): ties go away from zero, so a red (negative)
 * figure is exactly the negation of its blue counterpart. Never banker's rounding.
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('roundHalfUp: division by zero');
  if (denominator < 0n) return roundHalfUp(-numerator, -denominator);
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return negative ? -rounded : rounded;
}

/** The exact product of two decimals. */
export function multiplyDecimals(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Re-expresses a decimal at a smaller or equal scale, rounding half-up. */
export function rescaleHalfUp(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) return { units: value.units * pow10(scale - value.scale), scale };
  return { units: roundHalfUp(value.units, pow10(value.scale - scale)), scale };
}

/** The decimal with trailing fractional zeros removed, keeping at least `minScale` digits. */
export function trimDecimal(value: Decimal, minScale = 0): Decimal {
  let { units, scale } = value;
  while (scale > minScale && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

