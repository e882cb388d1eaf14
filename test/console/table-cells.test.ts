// Exported tables as a spreadsheet reads them (OWASP CSV injection): every text cell that starts
// with = + - @, a tab or a carriage return is neutralised, minus-and-digit included; only number
// columns are numbers; a 20-digit invoice number stays text; the workbook types cells alike.
import { describe, expect, it } from 'vitest';
import { csvText, excelRows, type Table } from '../../src/console/parts/table-cells.js';

const PAYLOADS = ["=HYPERLINK(\"http://x\",\"y\")", '+1+cmd|\' /C calc\'!A0', "-1+cmd|' /C calc'!A0", '-2+3', '@SUM(A1:A2)', '\t=1+1', '\r=1+1', '=1'];

const table = (cells: readonly string[]): Table => ({
  headers: ['订单号', '购买方', '价税合计', '发票号码'],
  kinds: ['text', 'text', 'number', 'text'],
  rows: cells.map((cell) => [cell, cell, cell, '24332000000012345678']),
});

describe('exported cells', () => {
  it.each(PAYLOADS)('neutralises %j in every text cell of the CSV and the workbook', (payload) => {
    const [, line] = csvText(table([payload])).split('\r\n');
    const cells = line!.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, '').replace(/^"|"$/g, '').replaceAll('""', '"'));
    expect(cells[0]).toBe(`'${payload}`);
    expect(cells[1]).toBe(`'${payload}`);
    // Not a number, so the number column writes it as neutralised text too.
    expect(cells[2]).toBe(`'${payload}`);
    const row = excelRows(table([payload]))[1]!;
    expect(row.slice(0, 3).map((cell) => [cell.value, cell.type])).toEqual([[`'${payload}`, String], [`'${payload}`, String], [`'${payload}`, String]]);
  });

  it('keeps amounts as numbers and long invoice numbers as text', () => {
    const csv = csvText(table(['1060.00', '-1060.00']));
    expect(csv.split('\r\n')[1]).toBe(`1060.00,1060.00,1060.00,"\t24332000000012345678"`);
    expect(csv.split('\r\n')[2]).toBe(`'-1060.00,'-1060.00,-1060.00,"\t24332000000012345678"`);
    const rows = excelRows(table(['1060.00']));
    expect(rows[1]).toEqual([
      { value: '1060.00', type: String },
      { value: '1060.00', type: String },
      { value: 1060, type: Number },
      { value: '24332000000012345678', type: String },
    ]);
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvText({ headers: ['a'], kinds: ['text'], rows: [['杭州,"某"\n公司']] }).split('\r\n').slice(1).join('\r\n')).toBe('"杭州,""某""\n公司"\r\n');
  });
});
