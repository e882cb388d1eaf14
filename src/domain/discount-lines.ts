/**
 * Discount lines (折扣行, domain.md §3.5): a discount directly follows the one line it discounts
 * (被折扣行), repeats its name, tax code and rate, and is not larger than it. The tax platform and
 * the providers refuse anything else (诺诺 E9105, E9108, E9110, E9112).
 */
import type { LineDraft } from './invoice-draft.js';
import { formatFen } from './money.js';
import { pointer, fieldError, type FieldError } from './field-error.js';

/** What the invoice face and the tax platform call each line (发票行性质 00 / 02 / 01). */
export type LineNature = 'normal' | 'discounted' | 'discount';

/**
 * Reports every broken discount rule. Lines that failed their own validation are undefined and
 * are skipped, so one mistake is not reported twice.
 */
export function checkDiscountLines(lines: ReadonlyArray<LineDraft | undefined>, report: (item: FieldError) => void): void {
  lines.forEach((line, index) => {
    if (line?.kind !== 'discount') return;
    const path = pointer('/lines', index);
    const discounted = index > 0 ? lines[index - 1] : undefined;
    if (index === 0 || discounted?.kind === 'discount') {
      report(fieldError(pointer(path, 'kind'), 'discount_without_line'));
      return;
    }
    if (!discounted) return;
    if (line.name !== discounted.name) report(fieldError(pointer(path, 'name'), 'discount_line_mismatch', { field: 'name' }));
    if (line.taxCode !== discounted.taxCode) {
      report(fieldError(pointer(path, 'taxCode'), 'discount_line_mismatch', { field: 'taxCode' }));
    }
    if (line.taxRate !== discounted.taxRate) {
      report(fieldError(pointer(path, 'taxRate'), 'discount_line_mismatch', { field: 'taxRate' }));
    }
    if (-line.amount > discounted.amount) {
      report(
        fieldError(pointer(path, 'amount'), 'discount_exceeds_line', {
          discount: formatFen(line.amount),
          line: formatFen(discounted.amount),
        }),
      );
    }
  });
}

/** The nature of each line of a valid draft: the line before a discount is `discounted`. */
export function lineNatures(lines: readonly LineDraft[]): LineNature[] {
  return lines.map((line, index) =>
    line.kind === 'discount' ? 'discount' : lines[index + 1]?.kind === 'discount' ? 'discounted' : 'normal',
  );
}
