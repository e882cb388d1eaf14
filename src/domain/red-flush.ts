/**
 * Red-flush (红冲) rules (domain.md §5): from a blue invoice, what was already flushed of each of
 * its lines, and a request, the red invoice's lines and totals — or every reason it is refused.
 * Pure: the store supplies the blue invoice and the earlier red invoices under a lock, so the
 * cumulative limits hold under concurrent requests.
 */
import { amountInWords } from './amount-in-words.js';
import { formatDecimal, multiplyDecimals, parseDecimal, rescaleHalfUp, type Decimal } from './decimal.js';
import { fieldError, pointer, type FieldError } from './field-error.js';
import { INVOICE_LIMITS } from './invoice-limits.js';
import type { ComputedInvoiceJson, ComputedLineJson } from './invoice-json.js';
import { lineTax } from './line-tax.js';
import { formatFen, parseMoney, type Fen } from './money.js';
import { RequestReader, type JsonObject } from './request-reader.js';
import { parseTaxRate } from './tax-rate.js';
import { priceAgreesWithAmount } from './tolerance.js';

/** 冲红原因, in the contract's words. */
export const RED_FLUSH_REASONS = ['sales_return', 'issued_in_error', 'service_stopped', 'sales_allowance'] as const;
export type RedFlushReason = (typeof RED_FLUSH_REASONS)[number];

/** Each reason's codes: the bureau's (乐企 chyyDm) and 诺诺's (redReason) number them differently. */
export const RED_FLUSH_REASON_CODES: Readonly<Record<RedFlushReason, { readonly bureau: string; readonly nuonuo: string; readonly zh: string }>> = {
  issued_in_error: { bureau: '01', nuonuo: '2', zh: '开票有误' },
  sales_return: { bureau: '02', nuonuo: '1', zh: '销货退回' },
  service_stopped: { bureau: '03', nuonuo: '3', zh: '服务中止' },
  sales_allowance: { bureau: '04', nuonuo: '4', zh: '销售折让' },
};

/** What earlier red invoices took from one blue line: magnitudes (positive), summed. */
export interface FlushedLine {
  readonly quantity: Decimal | undefined;
  readonly amount: Fen;
  readonly tax: Fen;
}

const NOTHING_FLUSHED: FlushedLine = { quantity: undefined, amount: 0n, tax: 0n };

/** A red line: the blue line's text with negative quantity and amounts, and which blue line it flushes. */
export interface RedLineJson extends ComputedLineJson {
  /** The index of the blue line it flushes (蓝字明细序号, 0-based here). */
  blueLine: number;
}

/** What a red invoice records of its blue invoice, beside its lines. */
export interface RedOf {
  readonly blueInvoiceId: string;
  readonly blueNumber: string;
  readonly reason: RedFlushReason;
  /** The whole blue invoice, nothing flushed before: 诺诺 wants no lines for such a form. Absent on red invoices stored before it existed. */
  readonly whole?: boolean;
}

export type RedInvoiceJson = Omit<ComputedInvoiceJson, 'lines'> & { lines: RedLineJson[]; red: RedOf };

export type RedFlushOutcome =
  | { readonly kind: 'ok'; readonly red: RedInvoiceJson }
  /** The request itself breaks a rule (422): nothing about the blue invoice's state would fix it. */
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  /** More than what is left to flush (409): cumulative per line, or in total. */
  | { readonly kind: 'exceeds'; readonly errors: readonly FieldError[] };

export interface BlueInvoice {
  readonly id: string;
  readonly number: string;
  readonly invoice: ComputedInvoiceJson;
  /** Per blue line, what earlier red invoices (not rejected) took. */
  readonly flushed: readonly FlushedLine[];
}

const REQUEST_FIELDS = ['reason', 'lines'];
const LINE_FIELDS = ['line', 'quantity', 'amount'];
const QUANTITY_LIMITS = { maxDecimals: INVOICE_LIMITS.quantityDecimals, maxIntegerDigits: INVOICE_LIMITS.quantityIntegerDigits, allowNegative: true };

const money = (text: string): Fen => {
  const parsed = parseMoney(text, { allowNegative: true });
  if (!parsed.ok) throw new Error(`stored amount ${text} is not money`);
  return parsed.fen;
};
const decimal = (text: string | undefined): Decimal | undefined => {
  if (text === undefined) return undefined;
  const parsed = parseDecimal(text, { ...QUANTITY_LIMITS, maxDecimals: 20 });
  if (!parsed.ok) throw new Error(`stored quantity ${text} is not a decimal`);
  return parsed.value;
};
const abs = (fen: Fen): Fen => (fen < 0n ? -fen : fen);

/** a − b for decimals of any scale, at the larger scale. */
function subtract(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: a.units * 10n ** BigInt(scale - a.scale) - b.units * 10n ** BigInt(scale - b.scale), scale };
}
const compare = (a: Decimal, b: Decimal): number => {
  const difference = subtract(a, b).units;
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
};
const negate = (value: Decimal): Decimal => ({ units: -value.units, scale: value.scale });
const isZero = (value: Decimal | undefined) => value === undefined || value.units === 0n;

/** What is still there to flush of one blue line. */
interface Remaining {
  readonly index: number;
  readonly blue: ComputedLineJson;
  readonly quantity: Decimal | undefined;
  readonly unitPrice: Decimal | undefined;
  readonly amount: Fen;
  readonly tax: Fen;
  /** Part of a discount pair: flushed whole, with the invoice, never on its own. */
  readonly paired: boolean;
}

function remainingOf(blue: ComputedLineJson, index: number, flushed: FlushedLine): Remaining {
  const quantity = decimal(blue.quantity);
  return {
    index,
    blue,
    quantity: quantity && flushed.quantity ? subtract(quantity, flushed.quantity) : quantity,
    unitPrice: decimal(blue.unitPrice),
    amount: abs(money(blue.amount)) - flushed.amount,
    tax: abs(money(blue.tax)) - flushed.tax,
    paired: blue.nature !== 'normal',
  };
}

/** Goods (税收分类编码 starting 1 or 2) and services (3): which reasons the blue invoice's items allow. */
function reasonAllowed(reason: RedFlushReason, lines: readonly ComputedLineJson[]): FieldError | undefined {
  const goods = lines.some((line) => /^[12]/.test(line.taxCode));
  const services = lines.some((line) => line.taxCode.startsWith('3'));
  if (reason === 'service_stopped' && goods && !services) return fieldError('/reason', 'red_reason_not_allowed', { reason: RED_FLUSH_REASON_CODES[reason].zh, items: 'goods' });
  if (reason === 'sales_return' && services && !goods) return fieldError('/reason', 'red_reason_not_allowed', { reason: RED_FLUSH_REASON_CODES[reason].zh, items: 'services' });
  return undefined;
}

/** A requested line, read: the blue line, and the negative quantity and amount asked (either may be absent). */
interface AskedLine {
  readonly path: string;
  readonly line: number;
  readonly quantity: Decimal | undefined;
  readonly amount: Fen | undefined;
}

function readLines(reader: RequestReader, value: unknown, blueLines: number): AskedLine[] | undefined {
  const items = reader.lines(value, blueLines);
  if (!items) return undefined;
  const seen = new Set<number>();
  const asked: AskedLine[] = [];
  items.forEach((item: unknown, n) => {
    const path = pointer('/lines', n);
    const object = reader.object(item, path, true);
    if (!object) return;
    reader.onlyKnownFields(object, path, LINE_FIELDS);
    const line = object.line;
    if (line === undefined || line === null) reader.report(fieldError(pointer(path, 'line'), 'field_required'));
    else if (typeof line !== 'number' || !Number.isInteger(line) || line < 0 || line >= blueLines) {
      reader.report(fieldError(pointer(path, 'line'), 'red_line_unknown', { lines: blueLines }));
    } else if (seen.has(line)) reader.report(fieldError(pointer(path, 'line'), 'red_line_duplicate', { line }));
    else seen.add(line);
    const quantity = readNegative(reader, object, path, 'quantity');
    const amount = readNegativeMoney(reader, object, path);
    const absent = (key: string) => object[key] === undefined || object[key] === null;
    if (absent('quantity') && absent('amount')) reader.report(fieldError(path, 'red_line_empty'));
    if (typeof line === 'number' && seen.has(line)) asked.push({ path, line, quantity, amount });
  });
  return asked;
}

function readNegative(reader: RequestReader, object: JsonObject, path: string, key: 'quantity'): Decimal | undefined {
  const value = reader.decimal(object, key, path, QUANTITY_LIMITS, '-1');
  if (value !== undefined && value.units >= 0n) {
    reader.report(fieldError(pointer(path, key), 'red_value_not_negative'));
    return undefined;
  }
  return value;
}

function readNegativeMoney(reader: RequestReader, object: JsonObject, path: string): Fen | undefined {
  const value = reader.money(object, 'amount', path, true);
  if (value !== undefined && value >= 0n) {
    reader.report(fieldError(pointer(path, 'amount'), 'red_value_not_negative'));
    return undefined;
  }
  return value;
}

/**
 * One partial line by the reason's rule: the red quantity (negative, or none) and amount (negative),
 * or the problem. Unit prices never change; a 销售折让 carries no quantity.
 */
function partialLine(reason: RedFlushReason, asked: AskedLine, left: Remaining, report: (item: FieldError) => void): { quantity: Decimal | undefined; amount: Fen } | undefined {
  if (left.paired) {
    report(fieldError(pointer(asked.path, 'line'), 'red_discounted_line_partial'));
    return undefined;
  }
  const priced = left.quantity !== undefined && left.unitPrice !== undefined;
  if (reason === 'sales_allowance') {
    if (asked.quantity !== undefined) report(fieldError(pointer(asked.path, 'quantity'), 'red_quantity_forbidden'));
    if (asked.amount === undefined) report(fieldError(pointer(asked.path, 'amount'), 'field_required'));
    return asked.quantity === undefined && asked.amount !== undefined ? { quantity: undefined, amount: asked.amount } : undefined;
  }
  if (reason === 'sales_return' && priced && asked.quantity === undefined) {
    report(fieldError(pointer(asked.path, 'quantity'), 'red_quantity_required'));
    return undefined;
  }
  if (asked.quantity !== undefined && !priced) {
    report(fieldError(pointer(asked.path, 'quantity'), 'red_quantity_forbidden'));
    return undefined;
  }
  if (asked.quantity === undefined) return asked.amount === undefined ? undefined : { quantity: undefined, amount: asked.amount };
  // Quantity × the blue unit price, which never changes; the rest of a line's quantity takes
  // exactly the amount left, so rounding never strands a fen.
  if (asked.amount !== undefined && !priceAgreesWithAmount(asked.quantity, left.unitPrice!, asked.amount)) {
    report(fieldError(pointer(asked.path, 'amount'), 'amount_mismatch', { product: formatDecimal(multiplyDecimals(asked.quantity, left.unitPrice!)), amount: formatFen(asked.amount) }));
    return undefined;
  }
  if (compare(negate(asked.quantity), left.quantity!) === 0) return { quantity: asked.quantity, amount: -left.amount };
  return { quantity: asked.quantity, amount: asked.amount ?? rescaleHalfUp(multiplyDecimals(asked.quantity, left.unitPrice!), 2).units };
}

/**
 * A red line of a blue line: its text, the negative `quantity` at the blue unit price (none for
 * an amount-only line), and `amount` with `tax` split in the invoice's price convention.
 */
function redLineJson(left: Remaining, quantity: Decimal | undefined, amount: Fen, tax: Fen, priceIncludesTax: boolean): RedLineJson {
  const { quantity: _q, unitPrice: _p, unitPriceExcludingTax: _e, ...text } = left.blue;
  return {
    ...text,
    ...(quantity !== undefined && { quantity: formatDecimal(quantity) }),
    ...(quantity !== undefined && left.blue.unitPrice !== undefined && { unitPrice: left.blue.unitPrice }),
    ...(quantity !== undefined && left.blue.unitPriceExcludingTax !== undefined && { unitPriceExcludingTax: left.blue.unitPriceExcludingTax }),
    amount: formatFen(amount),
    amountExcludingTax: formatFen(priceIncludesTax ? amount - tax : amount),
    tax: formatFen(tax),
    amountIncludingTax: formatFen(priceIncludesTax ? amount : amount + tax),
    blueLine: left.index,
  };
}

/** The red line for `amount` (negative) of a blue line: tax by the line rule, the last of a line takes exactly the tax left. */
function redLine(left: Remaining, priceIncludesTax: boolean, quantity: Decimal | undefined, amount: Fen, withPrice: boolean): RedLineJson {
  const rate = parseTaxRate(left.blue.taxRate);
  if (!rate) throw new Error(`stored tax rate ${left.blue.taxRate} is unknown`);
  const byRule = lineTax(amount, rate, priceIncludesTax).tax;
  // Rounding must never take more tax than the blue line has left.
  const tax = -amount === left.amount || -byRule > left.tax ? -left.tax : byRule;
  return redLineJson(left, withPrice ? quantity : undefined, amount, tax, priceIncludesTax);
}

/** The same line flushed whole: every figure of what is left, negated (a discount line turns positive). */
function wholeLine(left: Remaining, priceIncludesTax: boolean, withPrice: boolean): RedLineJson {
  const sign = money(left.blue.amount) < 0n ? -1n : 1n;
  const quantity = withPrice && left.quantity !== undefined ? negate(left.quantity) : undefined;
  return redLineJson(left, quantity, -left.amount * sign, -left.tax * sign, priceIncludesTax);
}

/** The red invoice a request asks for, by the rules; `body` is untrusted JSON. */
export function redFlush(body: unknown, blue: BlueInvoice): RedFlushOutcome {
  const reader = new RequestReader();
  const request = reader.object(body, '', true);
  if (!request) return { kind: 'invalid', errors: reader.errors };
  reader.onlyKnownFields(request, '', REQUEST_FIELDS);
  const reason = reader.choice(request, 'reason', '', RED_FLUSH_REASONS, true);
  const blueLines = blue.invoice.lines;
  const asked = request.lines === undefined || request.lines === null ? undefined : readLines(reader, request.lines, blueLines.length);
  if (reason !== undefined) {
    const notAllowed = reasonAllowed(reason, blueLines);
    if (notAllowed) reader.report(notAllowed);
    if (reason === 'issued_in_error' && asked !== undefined) reader.report(fieldError('/lines', 'red_reason_requires_full'));
  }
  // 差额征税 has one line taxed on the amount less its deduction: only the whole invoice can be undone.
  if (blue.invoice.taxation === 'differential' && asked !== undefined) reader.report(fieldError('/lines', 'red_differential_partial'));
  if (reader.errors.length > 0 || reason === undefined) return { kind: 'invalid', errors: reader.errors };

  const left = blueLines.map((line, index) => remainingOf(line, index, blue.flushed[index] ?? NOTHING_FLUSHED));
  const { priceIncludesTax } = blue.invoice;
  // 销售折让 changes amounts only: its red lines carry no quantity or unit price.
  const withPrice = reason !== 'sales_allowance';
  const exceeded: FieldError[] = [];
  let lines: RedLineJson[];
  if (asked === undefined) {
    // A whole red-flush takes everything still there; 开票有误 needs the whole invoice untouched.
    const touched = blue.flushed.some((line) => line.amount !== 0n || !isZero(line.quantity));
    if (reason === 'issued_in_error' && touched) exceeded.push(fieldError('', 'red_flush_partly_flushed'));
    lines = left.filter((line) => line.amount !== 0n || line.tax !== 0n).map((line) => wholeLine(line, priceIncludesTax, withPrice));
    if (lines.length === 0) exceeded.push(fieldError('', 'red_flush_nothing_left'));
  } else {
    lines = [];
    for (const item of asked) {
      const line = left[item.line]!;
      const partial = partialLine(reason, item, line, (problem) => reader.report(problem));
      if (!partial) continue;
      if (-partial.amount > line.amount) {
        exceeded.push(fieldError(pointer(item.path, 'amount'), 'red_exceeds_line', { asked: formatFen(-partial.amount), left: formatFen(line.amount) }));
        continue;
      }
      if (partial.quantity !== undefined && line.quantity !== undefined && compare(negate(partial.quantity), line.quantity) > 0) {
        exceeded.push(fieldError(pointer(item.path, 'quantity'), 'red_exceeds_line', { asked: formatDecimal(negate(partial.quantity)), left: formatDecimal(line.quantity) }));
        continue;
      }
      lines.push(redLine(line, priceIncludesTax, partial.quantity, partial.amount, withPrice));
    }
    if (reader.errors.length > 0) return { kind: 'invalid', errors: reader.errors };
    lines.sort((a, b) => a.blueLine - b.blueLine);
  }
  if (exceeded.length > 0) return { kind: 'exceeds', errors: exceeded };

  const sum = (key: 'amountExcludingTax' | 'tax' | 'amountIncludingTax') => lines.reduce((total, line) => total + money(line[key]), 0n);
  const total = sum('amountIncludingTax');
  const blueTotal = money(blue.invoice.totals.total);
  const flushedTotal = blue.flushed.reduce((all, line) => all + line.amount + (priceIncludesTax ? 0n : line.tax), 0n);
  if (-total > blueTotal - flushedTotal) {
    return { kind: 'exceeds', errors: [fieldError('', 'red_exceeds_total', { asked: formatFen(-total), left: formatFen(blueTotal - flushedTotal) })] };
  }
  const { lines: _blueLines, remarks: _remarks, ...header } = blue.invoice;
  return {
    kind: 'ok',
    red: {
      ...header,
      lines,
      remarks: `被红冲蓝字数电发票号码：${blue.number}`,
      totals: { amount: formatFen(sum('amountExcludingTax')), tax: formatFen(sum('tax')), total: formatFen(total), totalInWords: amountInWords(total) },
      red: { blueInvoiceId: blue.id, blueNumber: blue.number, reason, whole: flushedTotal === 0n && -total === blueTotal },
    },
  };
}

/** What a red invoice takes from each blue line, as magnitudes: to be added to `FlushedLine`s. */
export function flushedBy(red: RedInvoiceJson, into: FlushedLine[]): void {
  for (const line of red.lines) {
    const before = into[line.blueLine] ?? NOTHING_FLUSHED;
    const quantity = decimal(line.quantity);
    const magnitude = quantity ? negate(quantity) : undefined;
    into[line.blueLine] = {
      quantity: magnitude ? (before.quantity ? subtract(before.quantity, negate(magnitude)) : magnitude) : before.quantity,
      amount: before.amount + abs(money(line.amount)),
      tax: before.tax + abs(money(line.tax)),
    };
  }
}

/** Red invoices in these states hold part of their blue invoice: every one the upstream did not refuse. */
const HOLDING_STATUSES: readonly string[] = ['pending', 'issued', 'failed'];

/** Whether a red invoice in `status` holds part of its blue invoice. */
export const holdsBlue = (status: string): boolean => HOLDING_STATUSES.includes(status);

/** What the red invoices that still hold their blue invoice took from each of its lines. */
export function flushedByReds(reds: readonly { readonly invoice: RedInvoiceJson; readonly status: string }[]): FlushedLine[] {
  const flushed: FlushedLine[] = [];
  for (const red of reds) if (holdsBlue(red.status)) flushedBy(red.invoice, flushed);
  return flushed;
}

/** A red invoice's order number: the seller's order numbers are the client's, a red one's is derived, unique per blue. */
export const redOrderNo = (earlierReds: number, blueSerialNo: string): string => `R${earlierReds + 1}-${blueSerialNo}`;
