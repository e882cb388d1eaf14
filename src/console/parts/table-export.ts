// Saving a table of invoices as a file: CSV (UTF-8 with a BOM, so Excel reads Chinese right) or a
// real Excel workbook (write-excel-file, loaded only when asked for).
export interface Table {
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

function save(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A cell as CSV: quoted when it must be, and never read as a formula by a spreadsheet. */
function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function downloadCsv(name: string, table: Table): void {
  const lines = [table.headers, ...table.rows].map((row) => row.map(csvCell).join(','));
  save(name, new Blob(['\ufeff', lines.join('\r\n'), '\r\n'], { type: 'text/csv;charset=utf-8' }));
}

export async function downloadExcel(name: string, table: Table): Promise<void> {
  const { default: writeXlsxFile } = await import('write-excel-file/browser');
  const data = [table.headers.map((value) => ({ value, fontWeight: 'bold' as const })), ...table.rows.map((row) => row.map((value) => ({ value })))];
  save(name, await writeXlsxFile(data, { columns: table.headers.map(() => ({ width: 20 })) }).toBlob());
}
