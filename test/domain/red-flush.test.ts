import { describe, expect, it } from 'vitest';
import { computedInvoiceJson, type ComputedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { flushedBy, redFlush, type FlushedLine, type RedFlushOutcome, type RedInvoiceJson } from '../../src/domain/red-flush.js';
import { validLine, validRequest, type JsonRecord } from '../support/invoice-request.js';

function preview(request: JsonRecord): ComputedInvoiceJson {
  const result = previewInvoice(request);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return computedInvoiceJson(result.invoice);
}

const OATS = validLine({ name: '*谷物*燕麦', taxCode: '1010101020000000000', spec: undefined, unit: '袋', quantity: '2', unitPrice: '100.00', amount: '200.00', taxRate: '0.09' });
const SERVICE = validLine({ quantity: undefined, unitPrice: undefined, amount: '100.00', taxRate: '0.06' });
/** domain.md §5.4's example: oats, 2 × 100.00 at 9 %, prices excluding tax. */
const goods = preview(validRequest({ priceIncludesTax: false, lines: [OATS] }));
const services = preview(validRequest({ priceIncludesTax: false, lines: [SERVICE] }));
const mixed = preview(validRequest({ priceIncludesTax: true, lines: [OATS, validLine()] }));

const NUMBER = '26332000000000000123';

/** Flushes `body` of `invoice` after the red invoices in `before` (each of which must have been ok). */
function flush(invoice: ComputedInvoiceJson, body: unknown, before: RedInvoiceJson[] = []): RedFlushOutcome {
  const flushed: FlushedLine[] = [];
  for (const red of before) flushedBy(red, flushed);
  return redFlush(body, { id: 'inv_blue', number: NUMBER, invoice, flushed });
}

function ok(outcome: RedFlushOutcome): RedInvoiceJson {
  if (outcome.kind !== 'ok') throw new Error(`${outcome.kind}: ${JSON.stringify(outcome.errors)}`);
  return outcome.red;
}

function problems(outcome: RedFlushOutcome): string[] {
  return outcome.kind === 'ok' ? [] : outcome.errors.map((item) => `${outcome.kind} ${item.path} ${item.code}`);
}

describe('red-flush rules', () => {
  it('partly returns domain.md §5.4 oats: −1 × 100.00, tax −9.00, （负数）壹佰零玖圆整', () => {
    const red = ok(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }));
    expect(red.lines).toEqual([
      expect.objectContaining({ name: '*谷物*燕麦', quantity: '-1', unitPrice: '100.00', amount: '-100.00', tax: '-9.00', amountIncludingTax: '-109.00', blueLine: 0 }),
    ]);
    expect(red.totals).toEqual({ amount: '-100.00', tax: '-9.00', total: '-109.00', totalInWords: '（负数）壹佰零玖圆整' });
    expect(red.red).toEqual({ blueInvoiceId: 'inv_blue', blueNumber: NUMBER, reason: 'sales_return', whole: false });
    expect(red.remarks).toBe(`被红冲蓝字数电发票号码：${NUMBER}`);
  });

  it('flushes a whole invoice: every figure negated, unit prices positive', () => {
    const red = ok(flush(mixed, { reason: 'issued_in_error' }));
    expect(red.lines.map((line) => [line.quantity, line.unitPrice, line.amount, line.tax, line.blueLine])).toEqual([
      ['-2', '100.00', '-200.00', '-16.51', 0],
      ['-1', '1060.00', '-1060.00', '-60.00', 1],
    ]);
    expect(red.totals.total).toBe(`-${mixed.totals.total}`);
    expect(red.totals.tax).toBe(`-${mixed.totals.tax}`);
    expect(red.totals.totalInWords).toMatch(/^（负数）/);
    // Whole: some upstreams (诺诺) then take a form without lines.
    expect(red.red.whole).toBe(true);
  });

  it('adds up two partial red-flushes and refuses the third past the blue line', () => {
    const first = ok(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }));
    const second = ok(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1', amount: '-100.00' }] }, [first]));
    // The rest of a partly flushed invoice is never "whole", even when it empties it.
    expect([first.red.whole, second.red.whole]).toEqual([false, false]);
    expect(second.totals.total).toBe('-109.00');
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }, [first, second]))).toEqual(['exceeds /lines/0/amount red_exceeds_line']);
    expect(problems(flush(goods, { reason: 'sales_allowance' }, [first, second]))).toEqual(['exceeds  red_flush_nothing_left']);
  });

  it('refuses more than is left of a line, by quantity or by amount', () => {
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-3' }] }))).toEqual(['exceeds /lines/0/amount red_exceeds_line']);
    expect(problems(flush(services, { reason: 'sales_allowance', lines: [{ line: 0, amount: '-100.01' }] }))).toEqual(['exceeds /lines/0/amount red_exceeds_line']);
    const allowance = ok(flush(goods, { reason: 'sales_allowance', lines: [{ line: 0, amount: '-150.00' }] }));
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }, [allowance]))).toEqual(['exceeds /lines/0/amount red_exceeds_line']);
  });

  it('flushes what is left after partial ones, to the fen, tax included', () => {
    const parts = [] as RedInvoiceJson[];
    for (const amount of ['-33.33', '-33.33']) parts.push(ok(flush(services, { reason: 'sales_allowance', lines: [{ line: 0, amount }] }, parts)));
    const rest = ok(flush(services, { reason: 'service_stopped' }, parts));
    expect(rest.lines[0]).toMatchObject({ amount: '-33.34', tax: '-2.00' });
    const all = [...parts, rest];
    const sum = (key: 'amount' | 'tax') => all.reduce((total, red) => total + Math.round(Number(red.totals[key]) * 100), 0);
    expect([sum('amount'), sum('tax')]).toEqual([-10000, -600]);
  });

  it('keeps each reason to what it may change', () => {
    expect(problems(flush(goods, { reason: 'issued_in_error', lines: [{ line: 0, quantity: '-1' }] }))).toEqual(['invalid /lines red_reason_requires_full']);
    expect(problems(flush(goods, { reason: 'sales_allowance', lines: [{ line: 0, quantity: '-1', amount: '-10.00' }] }))).toEqual(['invalid /lines/0/quantity red_quantity_forbidden']);
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0, amount: '-10.00' }] }))).toEqual(['invalid /lines/0/quantity red_quantity_required']);
    expect(problems(flush(services, { reason: 'service_stopped', lines: [{ line: 0, quantity: '-1' }] }))).toEqual(['invalid /lines/0/quantity red_quantity_forbidden']);
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1', amount: '-90.00' }] }))).toEqual(['invalid /lines/0/amount amount_mismatch']);
    const allowance = ok(flush(goods, { reason: 'sales_allowance', lines: [{ line: 0, amount: '-50.00' }] }));
    expect(allowance.lines[0]).not.toHaveProperty('quantity');
    expect(allowance.lines[0]).not.toHaveProperty('unitPrice');
    expect(allowance.lines[0]).toMatchObject({ amount: '-50.00', tax: '-4.50' });
  });

  it('refuses 开票有误 once part of the invoice was flushed', () => {
    const part = ok(flush(goods, { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] }));
    expect(problems(flush(goods, { reason: 'issued_in_error' }, [part]))).toEqual(['exceeds  red_flush_partly_flushed']);
  });

  it('allows 服务中止 only where there are services and 销货退回 only where there are goods', () => {
    expect(problems(flush(goods, { reason: 'service_stopped' }))).toEqual(['invalid /reason red_reason_not_allowed']);
    expect(problems(flush(services, { reason: 'sales_return' }))).toEqual(['invalid /reason red_reason_not_allowed']);
    expect(ok(flush(mixed, { reason: 'service_stopped' })).lines).toHaveLength(2);
  });

  it('flushes a discounted line only with the whole invoice', () => {
    const discounted = preview(validRequest({ priceIncludesTax: true, lines: [validLine(), { name: '*信息技术服务*软件开发服务', taxCode: '3040201010000000000', amount: '-60.00', taxRate: '0.06', kind: 'discount' }] }));
    expect(problems(flush(discounted, { reason: 'sales_allowance', lines: [{ line: 0, amount: '-10.00' }] }))).toEqual(['invalid /lines/0/line red_discounted_line_partial']);
    const red = ok(flush(discounted, { reason: 'issued_in_error' }));
    expect(red.lines.map((line) => line.amount)).toEqual(['-1060.00', '60.00']);
    expect(red.totals.total).toBe('-1000.00');
  });

  it('refuses malformed requests with every problem at once', () => {
    expect(problems(flush(goods, null))).toEqual(['invalid  field_required']);
    expect(problems(flush(goods, []))).toEqual(['invalid  type_invalid']);
    expect(problems(flush(goods, { reason: 'void', extra: 1 }))).toEqual(['invalid /extra field_unknown', 'invalid /reason value_not_allowed']);
    expect(
      problems(
        flush(mixed, {
          reason: 'sales_return',
          lines: [{ line: 5, quantity: '-1' }, { line: 0, quantity: '1' }, { line: 0, amount: '-1.00' }, { line: '1', amount: '-1.00' }, {}, { line: 1, quantity: '-1e2', note: 'x' }],
        }),
      ),
    ).toEqual(['invalid /lines lines_too_many']);
    expect(
      problems(flush(mixed, { reason: 'sales_return', lines: [{ line: 5, quantity: '-1' }, { line: 0, quantity: '1' }] })),
    ).toEqual(['invalid /lines/0/line red_line_unknown', 'invalid /lines/1/quantity red_value_not_negative']);
    expect(problems(flush(mixed, { reason: 'sales_return', lines: [{ line: 1, amount: '-1.00', x: 1 }, { line: 1 }] }))).toEqual([
      'invalid /lines/0/x field_unknown',
      'invalid /lines/1/line red_line_duplicate',
      'invalid /lines/1 red_line_empty',
    ]);
    expect(problems(flush(goods, { reason: 'sales_return', lines: [] }))).toEqual(['invalid /lines lines_empty']);
    expect(problems(flush(goods, { reason: 'sales_return', lines: [{ line: 0.5, quantity: '-1' }] }))).toEqual(['invalid /lines/0/line red_line_unknown']);
  });
});
