/**
 * Tax of one invoice line (价税分离), exact to the fen. Decision 2 of domain.md:
 * tax-exclusive `tax = round(amount × rate)`; tax-inclusive `tax = round(gross × rate / (1 + rate))`
 * and `amount = gross − tax`, so amount + tax is always exactly the gross: no fen lost or invented.
 */
import { roundHalfUp } from './decimal.js';
import type { Fen } from './money.js';
import { MICRO, type TaxRate } from './tax-rate.js';

export interface LineTax {
  /** 金额 (不含税) */
  readonly amountExcludingTax: Fen;
  /** 税额 */
  readonly tax: Fen;
  /** 含税金额 = 金额 + 税额, exactly. */
  readonly amountIncludingTax: Fen;
}

/** Splits a line amount given excluding tax. */
export function taxExclusiveLine(amount: Fen, rate: TaxRate): LineTax {
  const tax = roundHalfUp(amount * rate.micro, MICRO);
  return { amountExcludingTax: amount, tax, amountIncludingTax: amount + tax };
}

/** Splits a line amount given including tax (价税分离). */
export function taxInclusiveLine(gross: Fen, rate: TaxRate): LineTax {
  const tax = roundHalfUp(gross * rate.micro, MICRO + rate.micro);
  return { amountExcludingTax: gross - tax, tax, amountIncludingTax: gross };
}

/**
 * 差额征税 (差额开票): tax on the amount including tax less the deduction,
 * `round((gross − deduction) × rate / (1 + rate))`, and 金额 = gross − tax ([LQ-KP] 2.2.4.2).
 */
export function differentialLine(gross: Fen, deduction: Fen, rate: TaxRate): LineTax {
  const tax = roundHalfUp((gross - deduction) * rate.micro, MICRO + rate.micro);
  return { amountExcludingTax: gross - tax, tax, amountIncludingTax: gross };
}

/** The split of a line amount in the invoice's price convention. */
export function lineTax(amount: Fen, rate: TaxRate, priceIncludesTax: boolean): LineTax {
  return priceIncludesTax ? taxInclusiveLine(amount, rate) : taxExclusiveLine(amount, rate);
}
