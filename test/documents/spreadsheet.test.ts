// The .xlsx module: rows written and read back as text, and hostile files refused before they are
// read: a zip bomb (declared honestly, or lying about its size), formulas, too many rows, and
// files that are no workbook at all.
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { checkWorkbookFile, readSheetRows, SPREADSHEET_LIMITS, SpreadsheetRefusal, writeWorkbook } from '../../src/documents/spreadsheet.js';

const work = mkdtempSync(join(tmpdir(), 'fapiao-xlsx-'));
let files = 0;
const path = () => join(work, `file-${++files}.xlsx`);

async function written(sheets: Parameters<typeof writeWorkbook>[1]): Promise<string> {
  const file = path();
  await writeWorkbook(createWriteStream(file), sheets);
  return file;
}

async function rowsOf(file: string, sheets: string[], limits = SPREADSHEET_LIMITS) {
  const rows: Array<{ sheet: string; row: number; cells: ReadonlyArray<string | undefined> }> = [];
  for await (const item of readSheetRows(file, sheets, limits)) if ('cells' in item) rows.push(item);
  return rows;
}

async function refusal(run: () => Promise<unknown>): Promise<SpreadsheetRefusal> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SpreadsheetRefusal) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** A zip archive of stored or deflated entries, written by hand so that it can lie. */
function zip(entries: Array<{ name: string; data: Buffer; declaredSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const packed = deflateRawSync(entry.data);
    const name = Buffer.from(entry.name);
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 14); // no CRC: yauzl checks sizes, not CRCs
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('the .xlsx module', () => {
  it('writes rows and reads them back as text, only from the sheets asked for', async () => {
    const file = await written([
      { name: '1-发票基本信息', columns: [{ header: '发票流水号', width: 20 }, { header: '金额', width: 10 }, { header: '备注', width: 10 }], rows: [['S1', '1060.5', undefined], ['S2', 19.9, '合同 HT-88']] },
      { name: '其他', columns: [{ header: 'x', width: 5 }], rows: [['ignored']] },
    ]);
    const copy = `${file}.checked`;
    await checkWorkbookFile(file, copy);
    expect(await rowsOf(copy, ['1-发票基本信息'])).toEqual([
      { sheet: '1-发票基本信息', row: 1, cells: ['发票流水号', '金额', '备注'] },
      { sheet: '1-发票基本信息', row: 2, cells: ['S1', '1060.5'] },
      { sheet: '1-发票基本信息', row: 3, cells: ['S2', '19.9', '合同 HT-88'] },
    ]);
  });

  it('reads a workbook whose archive puts the sheets before the workbook (the streaming reader alone fails on it)', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('1-发票基本信息').addRows([['发票流水号', '购买方名称'], ['S1', '杭州某某科技有限公司']]);
    const original = path();
    await book.xlsx.writeFile(original);
    const entries = await new Promise<Array<{ name: string; data: Buffer }>>((resolve, reject) => {
      yauzl.open(original, { lazyEntries: true }, (error, zipFile) => {
        if (error) return reject(error);
        const found: Array<{ name: string; data: Buffer }> = [];
        zipFile.on('entry', (entry: yauzl.Entry) =>
          zipFile.openReadStream(entry, (openError, stream) => {
            if (openError) return reject(openError);
            const chunks: Buffer[] = [];
            stream.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => {
              found.push({ name: entry.fileName, data: Buffer.concat(chunks) });
              zipFile.readEntry();
            });
          }),
        );
        zipFile.on('end', () => resolve(found));
        zipFile.readEntry();
      });
    });
    // Relations and shared strings first, then the sheet, and the workbook last.
    const order = (name: string) => (name === 'xl/sharedStrings.xml' || name.includes('_rels') ? 0 : name.startsWith('xl/worksheets/') ? 1 : name === 'xl/workbook.xml' ? 3 : 2);
    const shuffled = path();
    writeFileSync(shuffled, zip([...entries].sort((a, b) => order(a.name) - order(b.name))));
    await expect(rowsOf(shuffled, ['1-发票基本信息'])).rejects.toThrow();
    const copy = `${shuffled}.checked`;
    await checkWorkbookFile(shuffled, copy);
    expect((await rowsOf(copy, ['1-发票基本信息'])).map((row) => row.cells)).toEqual([['发票流水号', '购买方名称'], ['S1', '杭州某某科技有限公司']]);
  });

  it('refuses a formula, naming its cell, and a sheet past the row limit', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('1-发票基本信息');
    sheet.getCell('A1').value = '金额';
    sheet.getCell('A2').value = { formula: 'SUM(1,2)', result: 3 };
    const file = path();
    await book.xlsx.writeFile(file);
    const formula = await refusal(() => rowsOf(file, ['1-发票基本信息']));
    expect(formula).toMatchObject({ code: 'formula', at: { sheet: '1-发票基本信息', row: 2, column: 1 } });
    expect(formula.zh).toContain('选择性粘贴为数值');

    const many = await written([{ name: 'S', columns: [{ header: 'n', width: 5 }], rows: Array.from({ length: 30 }, (_, i) => [i]) }]);
    expect((await refusal(() => rowsOf(many, ['S'], { ...SPREADSHEET_LIMITS, maxRowsPerSheet: 20 }))).code).toBe('too_many_rows');
  });

  it('refuses a zip bomb, whether it declares its size or lies about it, before reading a row', async () => {
    const sheetXml = Buffer.from(`<worksheet><sheetData>${'<row><c t="inlineStr"><is><t>x</t></is></c></row>'.repeat(200_000)}</sheetData></worksheet>`);
    const honest = path();
    writeFileSync(honest, zip([{ name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') }, { name: 'xl/worksheets/sheet1.xml', data: sheetXml }]));
    expect((await refusal(() => checkWorkbookFile(honest, `${honest}.out`))).code).toBe('too_large');
    // The same bytes declaring a tenth of their size: yauzl finds the lie.
    const lying = path();
    writeFileSync(lying, zip([{ name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') }, { name: 'xl/worksheets/sheet1.xml', data: sheetXml, declaredSize: Math.floor(sheetXml.length / 10) }]));
    expect((await refusal(() => checkWorkbookFile(lying, `${lying}.out`, { ...SPREADSHEET_LIMITS, maxRatio: 1_000_000 }))).code).toMatch(/^(too_large|not_xlsx)$/);
    // Past the total however it packs.
    expect((await refusal(() => checkWorkbookFile(honest, `${honest}.out`, { ...SPREADSHEET_LIMITS, maxRatio: 1_000_000, maxUnpackedBytes: 1_000_000 }))).code).toBe('too_large');
  });

  it('stops reading a sheet of a million rows at the limit, however small the file', async () => {
    const rows: string[] = [];
    for (let n = 1; n <= 1_000_000; n++) rows.push(`<row r="${n}"><c r="A${n}" t="inlineStr"><is><t>${n}</t></is></c></row>`);
    const million = path();
    writeFileSync(
      million,
      zip([
        { name: 'xl/workbook.xml', data: Buffer.from('<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="1-发票基本信息" sheetId="1" r:id="rId1"/></sheets></workbook>') },
        { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from('<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>') },
        { name: 'xl/sharedStrings.xml', data: Buffer.from('<sst/>') },
        { name: 'xl/worksheets/sheet1.xml', data: Buffer.from(`<worksheet><sheetData>${rows.join('')}</sheetData></worksheet>`) },
      ]),
    );
    const copy = `${million}.checked`;
    await checkWorkbookFile(million, copy);
    const refused = await refusal(() => rowsOf(copy, ['1-发票基本信息']));
    expect(refused.code).toBe('too_many_rows');
    expect(refused.zh).toContain('超过 120000 行');
  });

  it('refuses what is no workbook: text, an empty file, a zip of something else', async () => {
    const text = path();
    writeFileSync(text, '发票流水号,金额\nS1,100\n');
    expect((await refusal(() => checkWorkbookFile(text, `${text}.out`))).code).toBe('not_xlsx');
    const empty = path();
    writeFileSync(empty, '');
    expect((await refusal(() => checkWorkbookFile(empty, `${empty}.out`))).code).toBe('not_xlsx');
    const other = path();
    writeFileSync(other, zip([{ name: 'word/document.xml', data: Buffer.from('<doc/>') }]));
    expect((await refusal(() => checkWorkbookFile(other, `${other}.out`))).code).toBe('not_xlsx');
  });
});
