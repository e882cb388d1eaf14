// Saving a table of invoices as a file: CSV (UTF-8 with a BOM, so Excel reads Chinese right) or a
// real Excel workbook (write-excel-file, loaded only when asked for); the cells as table-cells.ts
// makes them.
import { csvText, excelRows, type Table } from './table-cells';

export type { Table } from './table-cells';

function save(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadCsv(name: string, table: Table): void {
  save(name, new Blob(['\ufeff', csvText(table)], { type: 'text/csv;charset=utf-8' }));
}

export async function downloadExcel(name: string, table: Table): Promise<void> {
  const { default: writeXlsxFile } = await import('write-excel-file/browser');
  save(name, await writeXlsxFile(excelRows(table), { columns: table.headers.map(() => ({ width: 20 })) }).toBlob());
}
