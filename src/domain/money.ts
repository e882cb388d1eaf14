/**
 * Money is an integer number of fen (分) inside the gateway and a decimal string with exactly two
 * decimals at its edges ("1060.00"). bigint, because the tax platform's amounts are 18 digits with
 * 2 decimals (乐企 `je` 18,2) and that passes 2^53 fen.
 */
import { parseDecimal, pow10, type DecimalLimits, type DecimalSyntaxFault } from './decimal.js';

/** An amount of money in fen (1 元 = 100 分). Negative on red invoices and discount lines. */
export type Fen = bigint;

/** Digits before the point of an amount: 18 digits in all, 2 of them decimals (乐企 18,2). */
const MONEY_MAX_INTEGER_DIGITS = 16;

/** The largest amount any field may hold, in fen: 9999999999999999.99. */
export const MONEY_MAX_FEN: Fen = pow10(MONEY_MAX_INTEGER_DIGITS + 2) - 1n;

/** The shape of a money string: two decimals at most, 16 integer digits at most. */
export function moneyLimits(allowNegative: boolean): DecimalLimits {
  return { maxDecimals: 2, maxIntegerDigits: MONEY_MAX_INTEGER_DIGITS, allowNegative };
}

export type MoneyParse = { ok: true; fen: Fen } | { ok: false; fault: DecimalSyntaxFault };

/** Parses "1060", "1060.5" or "1060.00" into fen; refuses more than two decimals. */
export function parseMoney(text: string, options: { allowNegative: boolean }): MoneyParse {
  const parsed = parseDecimal(text, moneyLimits(options.allowNegative));
  if (!parsed.ok) return parsed;
  return { ok: true, fen: parsed.value.units * pow10(2 - parsed.value.scale) };
}

/** Formats fen as a decimal string with exactly two decimals: 106000n → "1060.00", -5n → "-0.05". */
export function formatFen(fen: Fen): string {
  const negative = fen < 0n;
  const digits = (negative ? -fen : fen).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** The sum of amounts in fen. */
export function sumFen(amounts: Iterable<Fen>): Fen {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}
