/**
 * Computes an invoice from a valid draft: each line's tax split, the totals as sums of the lines
 * (合计金额, 合计税额, 价税合计 = 合计金额 + 合计税额 exactly) and the capitals; then checks what
 * only the whole invoice can break (a blue total above zero, the 1.27 total-tax tolerance).
 */
import { roundHalfUp, trimDecimal, type Decimal } from './decimal.js';
import { amountInWords } from './amount-in-words.js';
import { lineNatures, type LineNature } from './discount-lines.js';
import { NATURAL_PERSON_SUFFIX, type BuyerDraft, type InvoiceDraft, type LineDraft } from './invoice-draft.js';
import { differentialLine, lineTax, type LineTax } from './line-tax.js';
import { formatFen, MONEY_MAX_FEN, sumFen, type Fen } from './money.js';
import { fieldError, type FieldError } from './field-error.js';
import { MICRO } from './tax-rate.js';
import { totalTaxDeviationMicroFen, TOTAL_TAX_TOLERANCE_FEN } from './tolerance.js';

export interface ComputedLine extends LineDraft, LineTax {
  readonly nature: LineNature;
  /** 单价 (不含税) as the invoice face prints it, 8 decimals at most; absent without a quantity. */
  readonly unitPriceExcludingTax?: Decimal;
}

export interface InvoiceTotals {
  /** 合计金额 (不含税) */
  readonly amount: Fen;
  /** 合计税额 */
  readonly tax: Fen;
  /** 价税合计 */
  readonly total: Fen;
  /** 价税合计（大写） */
  readonly totalInWords: string;
}

export interface ComputedInvoice extends Omit<InvoiceDraft, 'lines'> {
  readonly lines: readonly ComputedLine[];
  readonly totals: InvoiceTotals;
}

export type ComputeResult = { ok: true; invoice: ComputedInvoice } | { ok: false; errors: FieldError[] };

const UNIT_PRICE_DECIMALS = 8;

/** Computes the invoice and checks its totals. */
export function computeInvoice(draft: InvoiceDraft): ComputeResult {
  const natures = lineNatures(draft.lines);
  const lines = draft.lines.map((line, index): ComputedLine => {
    const split =
      draft.taxation === 'differential' && line.deduction !== undefined
        ? differentialLine(line.amount, line.deduction, line.taxRate)
        : lineTax(line.amount, line.taxRate, draft.priceIncludesTax);
    const unitPrice = unitPriceExcludingTax(line, split, draft.priceIncludesTax);
    return { ...line, ...split, nature: natures[index]!, ...(unitPrice && { unitPriceExcludingTax: unitPrice }) };
  });
  const amount = sumFen(lines.map((line) => line.amountExcludingTax));
  const tax = sumFen(lines.map((line) => line.tax));
  const total = amount + tax;

  const errors: FieldError[] = [];
  if (amount <= 0n || total <= 0n) errors.push(fieldError('/lines', 'total_not_positive'));
  if (total > MONEY_MAX_FEN) errors.push(fieldError('/lines', 'total_too_large', { max: formatFen(MONEY_MAX_FEN) }));
  // A differential invoice has one line whose tax is within half a fen of its own rule; Σ(金额 × 税率)
  // does not apply to it (its tax is on the amount less the deduction).
  const deviation = draft.taxation === 'differential' ? 0n : totalTaxDeviationMicroFen(
    lines.map((line) => ({ amountExcludingTax: line.amountExcludingTax, rate: line.taxRate })),
    tax,
  );
  if (deviation > TOTAL_TAX_TOLERANCE_FEN * MICRO) {
    errors.push(fieldError('/lines', 'total_tax_tolerance', { deviation: formatFen(roundHalfUp(deviation, MICRO)) }));
  }
  if (errors.length > 0) return { ok: false, errors };

  const { lines: _draftLines, ...header } = draft; // the draft lines are replaced by the computed ones
  return {
    ok: true,
    invoice: { ...header, buyer: issuedBuyer(draft.buyer), lines, totals: { amount, tax, total, totalInWords: amountInWords(total) } },
  };
}

/** The buyer as the invoice names it: a natural person's name ends with （个人）, as the platform prints it. */
function issuedBuyer(buyer: BuyerDraft): BuyerDraft {
  if (!buyer.naturalPerson || buyer.name.endsWith(NATURAL_PERSON_SUFFIX)) return buyer;
  return { ...buyer, name: `${buyer.name}${NATURAL_PERSON_SUFFIX}` };
}

/**
 * The face shows unit prices excluding tax. For a tax-inclusive line that is 金额 / 数量, rounded
 * half-up to 8 decimals (the providers' precision) with trailing zeros trimmed to 2.
 */
function unitPriceExcludingTax(line: LineDraft, split: LineTax, priceIncludesTax: boolean): Decimal | undefined {
  if (line.quantity === undefined || line.unitPrice === undefined) return undefined;
  if (!priceIncludesTax) return line.unitPrice;
  // amount (fen, scale 2) / quantity (scale q) at scale 8: fen × 10^(8 − 2 + q) / quantity.units
  const numerator = split.amountExcludingTax * 10n ** BigInt(UNIT_PRICE_DECIMALS - 2 + line.quantity.scale);
  const units = roundHalfUp(numerator, line.quantity.units);
  return trimDecimal({ units, scale: UNIT_PRICE_DECIMALS }, 2);
}
