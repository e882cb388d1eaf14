// What each cell of an exported table becomes, kept apart from the browser's download so a test can
// hold it to OWASP's CSV-injection rule: a text cell that starts with = + - @, a tab or a carriage
// return is prefixed with ' (so no spreadsheet reads it as a formula), only number columns are
// numbers, and long digit strings (20-digit invoice numbers) stay text instead of being rounded.
export type ColumnKind = 'text' | 'number';

export interface Table {
  readonly headers: readonly string[];
  readonly kinds: readonly ColumnKind[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;
// Excel keeps 15 significant digits: longer runs of digits would be shown rounded, in E notation.
const LONG_DIGITS = /^\d{12,}$/;

/** A text cell's content, safe to hand to a spreadsheet. */
function neutralisedText(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Whether a cell of a number column really is a number; anything else is written as text. */
const isPlainNumber = (text: string) => DECIMAL.test(text);

function csvCell(text: string, kind: ColumnKind): string {
  if (kind === 'number' && isPlainNumber(text)) return text;
  const safe = neutralisedText(text);
  // A tab before a long number is what makes Excel open it as text; it is no formula start here.
  const shown = LONG_DIGITS.test(safe) ? `\t${safe}` : safe;
  return /[",\r\n\t]/.test(shown) ? `"${shown.replaceAll('"', '""')}"` : shown;
}

/** The table as CSV lines (CRLF), headers first. */
export function csvText(table: Table): string {
  const lines = [table.headers.map((header) => csvCell(header, 'text')), ...table.rows.map((row) => row.map((cell, index) => csvCell(cell, table.kinds[index] ?? 'text')))];
  return `${lines.map((line) => line.join(',')).join('\r\n')}\r\n`;
}

export type ExcelCell = { readonly value: string; readonly type: StringConstructor; readonly fontWeight?: 'bold' } | { readonly value: number; readonly type: NumberConstructor };

/** The table as write-excel-file rows: every text cell typed as a string, numbers as numbers. */
export function excelRows(table: Table): ExcelCell[][] {
  return [
    table.headers.map((value) => ({ value: neutralisedText(value), type: String, fontWeight: 'bold' as const })),
    ...table.rows.map((row) => row.map((cell, index): ExcelCell => (table.kinds[index] === 'number' && isPlainNumber(cell) ? { value: Number(cell), type: Number } : { value: neutralisedText(cell), type: String }))),
  ];
}
