/**
 * Reading and writing .xlsx, behind one small module so the library can be swapped: rows stream in
 * and out (exceljs's streaming reader and writer), cells arrive as text. An untrusted file is
 * unpacked once first with yauzl, which holds every entry to its declared size, so a zip bomb or a
 * lying archive is refused before the reader sees it; that pass also rewrites the archive in the
 * entry order the streaming reader needs (yazl).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import yazl from 'yazl';

/**
 * exceljs and the packages under it are a fifth of what a gateway loads at start (~400 files):
 * loaded at the first workbook instead, so that a restart — a rolling upgrade's — is ready sooner.
 */
let excelModule: Promise<typeof ExcelJS> | undefined;
const excel = (): Promise<typeof ExcelJS> => (excelModule ??= import('exceljs').then((module) => module.default));

/** Why a file cannot be read as a workbook: the code is stable, the words are for a person. */
export class SpreadsheetRefusal extends Error {
  override readonly name = 'SpreadsheetRefusal';
  constructor(
    readonly code: 'not_xlsx' | 'too_large' | 'too_many_rows' | 'formula' | 'cell_too_long',
    readonly zh: string,
    en: string,
    readonly at?: { readonly sheet: string; readonly row: number; readonly column: number },
  ) {
    super(en);
  }
}

export interface SpreadsheetLimits {
  /** Bytes of all entries once unpacked. */
  readonly maxUnpackedBytes: number;
  /** Unpacked ÷ packed, per entry: ordinary sheets pack 5–20 times; a bomb thousands of times. */
  readonly maxRatio: number;
  /** Rows of any one sheet, counting its header rows. */
  readonly maxRowsPerSheet: number;
  readonly maxCellLength: number;
}

export const SPREADSHEET_LIMITS: SpreadsheetLimits = { maxUnpackedBytes: 256 * 1024 * 1024, maxRatio: 200, maxRowsPerSheet: 120_000, maxCellLength: 2000 };

/** One row of a sheet: 1-based row number, and the cells' text by 0-based column (undefined when empty). */
export interface SheetRow {
  readonly sheet: string;
  readonly row: number;
  readonly cells: ReadonlyArray<string | undefined>;
}

const notXlsx = (detail: string) =>
  new SpreadsheetRefusal('not_xlsx', `文件不是有效的 .xlsx 工作簿（${detail}），请用 Excel 或 WPS 另存为 .xlsx`, `the file is not a valid .xlsx workbook (${detail}); save it as .xlsx from Excel or WPS`);

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (error, zip) => (error ? reject(notXlsx(error.message)) : resolve(zip)));
  });
}

/** Every entry of the archive, from its central directory. */
function entriesOf(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('error', (error: Error) => reject(notXlsx(error.message)));
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.readEntry();
  });
}

// The streaming reader takes entries in archive order and assumes the workbook, its relations and
// shared strings come before the sheets; writers do not promise that (exceljs's own writer varies).
const FIRST = ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml', 'xl/styles.xml'];
const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : name.startsWith('xl/worksheets/') ? FIRST.length + 1 : FIRST.length);

/**
 * Unpacks an untrusted workbook once, counting bytes, and writes it again to `output` with its
 * entries in the order the reader needs. Refused past the limits: yauzl fails an entry whose real
 * size differs from the size it declares, so the count cannot be lied to.
 */
export async function checkWorkbookFile(path: string, output: string, limits: SpreadsheetLimits = SPREADSHEET_LIMITS): Promise<void> {
  const tooLarge = () =>
    new SpreadsheetRefusal(
      'too_large',
      `文件解压后过大（超过 ${Math.round(limits.maxUnpackedBytes / 1048576)} MB 或压缩比异常），疑似压缩炸弹，已拒绝`,
      `the file unpacks to too much (over ${Math.round(limits.maxUnpackedBytes / 1048576)} MB, or an abnormal packing ratio): refused as a possible zip bomb`,
    );
  const zip = await openZip(path);
  try {
    const entries = (await entriesOf(zip)).filter((entry) => !entry.fileName.endsWith('/'));
    if (!entries.some((entry) => entry.fileName === 'xl/workbook.xml')) throw notXlsx('no xl/workbook.xml');
    if (entries.length > 10_000) throw notXlsx('too many entries');
    let declared = 0;
    for (const entry of entries) {
      declared += entry.uncompressedSize;
      if (declared > limits.maxUnpackedBytes || entry.uncompressedSize > Math.max(entry.compressedSize, 1024) * limits.maxRatio) throw tooLarge();
    }
    const copy = new yazl.ZipFile();
    const written = pipeline(copy.outputStream, createWriteStream(output, { mode: 0o600 }));
    let unpacked = 0;
    for (const entry of [...entries].sort((a, b) => rank(a.fileName) - rank(b.fileName))) {
      const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (error, opened) => (error ? reject(notXlsx(error.message)) : resolve(opened))));
      const counted = new PassThrough();
      stream.on('data', (chunk: Buffer) => {
        unpacked += chunk.length;
        if (unpacked > limits.maxUnpackedBytes) stream.destroy(tooLarge());
      });
      const done = new Promise<void>((resolve, reject) => {
        stream.on('error', (error: Error) => reject(error instanceof SpreadsheetRefusal ? error : notXlsx(error.message)));
        counted.on('end', resolve);
      });
      copy.addReadStream(stream.pipe(counted), entry.fileName);
      // One entry at a time: yazl writes them in order, and a bad one stops the copy here.
      await done;
    }
    copy.end();
    await written;
  } finally {
    zip.close();
  }
}

/** A cell's value as text: numbers in their shortest exact form, dates as yyyy-MM-dd; formulas refused. */
function cellText(value: ExcelJS.CellValue, at: { sheet: string; row: number; column: number }): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('formula' in value || 'sharedFormula' in value) {
    throw new SpreadsheetRefusal(
      'formula',
      `${at.sheet} 第 ${at.row} 行第 ${at.column} 列是公式：请复制后“选择性粘贴为数值”再上传`,
      `${at.sheet} row ${at.row} column ${at.column} holds a formula: paste it as values before uploading`,
      at,
    );
  }
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('error' in value) return undefined;
  return undefined;
}

/**
 * The rows of the named sheets, in file order, as they are read: the whole workbook is never held.
 * Read the copy checkWorkbookFile wrote, never a file from outside directly.
 */
export async function* readSheetRows(path: string, sheets: readonly string[], limits: SpreadsheetLimits = SPREADSHEET_LIMITS): AsyncGenerator<SheetRow | { readonly sheet: string; readonly started: true }> {
  const reader = new (await excel()).stream.xlsx.WorkbookReader(createReadStream(path), { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', entries: 'ignore' });
  try {
    for await (const worksheet of reader) {
      const sheet = (worksheet as unknown as { name: string }).name;
      if (!sheets.includes(sheet)) {
        // Drained, not read: its rows are skipped as they stream past.
        for await (const _row of worksheet) void _row;
        continue;
      }
      yield { sheet, started: true };
      for await (const row of worksheet) {
        if (row.number > limits.maxRowsPerSheet) {
          throw new SpreadsheetRefusal(
            'too_many_rows',
            `“${sheet}”超过 ${limits.maxRowsPerSheet} 行，请拆分为多个文件`,
            `sheet ${sheet} has more than ${limits.maxRowsPerSheet} rows; split the file`,
          );
        }
        const values = row.values as ExcelJS.CellValue[];
        const cells: Array<string | undefined> = [];
        for (let column = 1; column < values.length; column++) {
          const text = cellText(values[column], { sheet, row: row.number, column });
          if (text !== undefined && text.length > limits.maxCellLength) {
            throw new SpreadsheetRefusal('cell_too_long', `${sheet} 第 ${row.number} 行第 ${column} 列内容过长`, `${sheet} row ${row.number} column ${column} is too long`, { sheet, row: row.number, column });
          }
          cells[column - 1] = text === undefined || text.trim() === '' ? undefined : text.trim();
        }
        yield { sheet, row: row.number, cells };
      }
    }
  } catch (error) {
    if (error instanceof SpreadsheetRefusal) throw error;
    throw notXlsx(error instanceof Error ? error.message : String(error));
  }
}

export interface SheetToWrite {
  readonly name: string;
  readonly columns: readonly { readonly header: string; readonly width: number }[];
  readonly rows: AsyncIterable<ReadonlyArray<string | number | undefined>> | Iterable<ReadonlyArray<string | number | undefined>>;
}

/** Writes a workbook row by row to `stream`; resolves once it is all written. */
export async function writeWorkbook(stream: Writable, sheets: readonly SheetToWrite[]): Promise<void> {
  const workbook = new (await excel()).stream.xlsx.WorkbookWriter({ stream, useSharedStrings: false, useStyles: true });
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheet.name);
    worksheet.columns = sheet.columns.map((column) => ({ header: column.header, width: column.width }));
    worksheet.getRow(1).font = { bold: true };
    worksheet.getRow(1).commit();
    for await (const row of sheet.rows) worksheet.addRow([...row]).commit();
    worksheet.commit();
  }
  await workbook.commit();
}
