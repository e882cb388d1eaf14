/**
 * The PDF a person receives: laid out like a 数电 e-invoice (domain.md §7.2) — title, QR code,
 * number and date, buyer and seller blocks, the eight-column line table, 合计, 价税合计 in capitals
 * and figures, 备注, 开票人 — and a 特定业务 table under the lines where the invoice has one — in embedded,
 * subset CJK fonts (the face's fixed words and figures in one made once, frame-font.ts; names and items
 * in the document's own), drawn as vectors so it is crisp at any zoom. Up to 8 lines fit the platform's 210 × 140 mm page; longer invoices flow onto A4 pages
 * with the table header repeated and 共N页 第M页. Simulated invoices carry a mark nobody can miss.
 */
import PDFDocument from 'pdfkit';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { cjkDocumentFont } from './cjk-font.js';
import { frameCovers, registerFrameFont, useFrameFont } from './frame-font.js';
import { fixedPart, redrawFixedParts } from './face-frame.js';
import { beijingTime } from '../domain/beijing-time.js';
import { faceRemarks, specificTable, type SpecificTable } from '../domain/invoice-face.js';
import type { IssuedInvoice } from './invoice-xml.js';
import { qrPayload } from './qr-payload.js';

const MM = 72 / 25.4;
const WIDTH = 210 * MM;
const SHORT_HEIGHT = 140 * MM;
const A4_HEIGHT = 297 * MM;
const MARGIN = 20;
/** The width of the boxes and the table, margin to margin. */
const FULL = WIDTH - 2 * MARGIN;
const INK = '#800000';
const ROW = 16;
const SHORT_PAGE_LINES = 8;

const COLUMNS = [
  { title: '项目名称', width: 160, align: 'left' },
  { title: '规格型号', width: 62, align: 'left' },
  { title: '单位', width: 36, align: 'center' },
  { title: '数量', width: 52, align: 'right' },
  { title: '单价', width: 64, align: 'right' },
  { title: '金额', width: 70, align: 'right' },
  { title: '税率/征收率', width: 48, align: 'center' },
  { title: '税额', width: 63, align: 'right' },
] as const;

const TOP_OF_TABLE = 138;
const TABLE_HEADER = 18;
/** Height of what follows the rows on the last page: 合计, 价税合计, 备注, 开票人. */
const REMARKS_HEIGHT = 60;
const CLOSING_BLOCK = 18 + 22 + REMARKS_HEIGHT + 24;

function rateLabel(code: string): string {
  if (code === 'free') return '免税';
  if (code === 'none') return '不征税';
  return `${(Number(code) * 100).toFixed(code.length > 4 ? 1 : 0)}%`;
}

/** Face text of a line's tax: *** for 免税, blank for 不征税 ([LQ-XML] special display rules). */
function taxLabel(code: string, tax: string): string {
  if (code === 'free') return '***';
  if (code === 'none') return '';
  return tax;
}

function dateLabel(ms: number): string {
  const [year, month, day] = beijingTime(ms).slice(0, 10).split('-');
  return `${year}年${month}月${day}日`;
}

/** How many line rows each page holds; the last page also holds the closing block. */
export function paginate(lineCount: number): { pageHeight: number; pages: number[] } {
  if (lineCount <= SHORT_PAGE_LINES) return { pageHeight: SHORT_HEIGHT, pages: [lineCount] };
  const usable = A4_HEIGHT - TOP_OF_TABLE - TABLE_HEADER - MARGIN - 14;
  const perPage = Math.floor(usable / ROW);
  const lastPage = Math.floor((usable - CLOSING_BLOCK) / ROW);
  const pages: number[] = [];
  let remaining = lineCount;
  while (remaining > lastPage) {
    const take = Math.min(perPage, remaining);
    // Never leave the closing block alone on a page without lines.
    pages.push(remaining - take === 0 ? Math.min(take, remaining - 1) : take);
    remaining -= pages[pages.length - 1]!;
  }
  pages.push(remaining);
  return { pageHeight: A4_HEIGHT, pages };
}

type Doc = InstanceType<typeof PDFDocument>;

/** Sets `value` in the frame font when it holds every glyph of it, else in the document's own subset. */
function fontFor(doc: Doc, value: string): void {
  if (frameCovers(value)) useFrameFont(doc);
  else doc.font('cjk');
}

function text(doc: Doc, value: string, x: number, y: number, width: number, options: { size?: number; align?: 'left' | 'center' | 'right'; color?: string } = {}): void {
  if (value === '') return;
  const size = options.size ?? 8;
  const align = options.align ?? 'left';
  fontFor(doc, value);
  doc.fontSize(size).fillColor(options.color ?? 'black');
  // Nearly every cell fits on its line: placed by its measured width, it skips pdfkit's line
  // wrapper (word breaking and measuring each word again), a third of a page's time (profiled).
  // What does not fit is cut with an ellipsis by the wrapper, as before.
  const measured = value.includes('\n') ? Infinity : doc.widthOfString(value);
  if (measured <= width) {
    const left = align === 'left' ? x : align === 'right' ? x + width - measured : x + (width - measured) / 2;
    doc.text(value, left, y, { lineBreak: false });
    return;
  }
  doc.text(value, x, y, { width, height: size * 1.35, align, lineBreak: false, ellipsis: true });
}

/** A label written top to bottom, one character per line, centred in a column. */
function verticalLabel(doc: Doc, label: string, x: number, y: number, width: number, height: number): void {
  const size = 8;
  const step = Math.min(size * 1.25, height / label.length);
  const top = y + (height - step * label.length) / 2;
  [...label].forEach((char, index) => text(doc, char, x, top + index * step, width, { size, align: 'center', color: INK }));
}

/**
 * The QR code's segments: its long digit runs (the number, the date) as numeric, the rest as
 * bytes — what qrcode's own optimiser picks for this payload (version 3 at level M), without
 * the shortest-path search it runs for any text (half of making the code, profiled).
 */
function qrSegments(payload: string): QRCodeSegment[] {
  return payload
    .split(/(\d{8,})/)
    .filter((part) => part !== '')
    .map((part): QRCodeSegment => (/^\d{8,}$/.test(part) ? { data: part, mode: 'numeric' } : { data: Buffer.from(part, 'latin1'), mode: 'byte' }));
}

/**
 * The code as one path of horizontal runs of dark modules in module units, scaled once: a few
 * bytes a run instead of a rectangle of full coordinates per module (410 of them, four fifths of
 * the page's content stream, and the time to write and compress it). Each run reaches a fortieth
 * of a module into its neighbours so that no hairline shows between them.
 */
function drawQr(doc: Doc, payload: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(qrSegments(payload), { errorCorrectionLevel: 'M' });
  const count = qr.modules.size;
  const runs: string[] = [];
  for (let row = 0; row < count; row++) {
    let column = 0;
    while (column < count) {
      if (!qr.modules.get(row, column)) {
        column++;
        continue;
      }
      const start = column;
      while (column < count && qr.modules.get(row, column)) column++;
      runs.push(`${start} ${row} ${column - start + 0.025} 1.025 re`);
    }
  }
  doc.fillColor('black');
  const cell = size / count;
  doc.addContent(`q\n${cell.toFixed(6)} 0 0 ${cell.toFixed(6)} ${x} ${y} cm\n${runs.join('\n')}\nf\nQ`);
}

const PARTY_TOP = 76;
const PARTY_HEIGHT = 62;
const HALF = FULL / 2;

/** The header's fixed words and lines: the title of the kind, the labels, the party box, the table head. */
function headerFrame(doc: Doc, type: IssuedInvoice['invoice']['type']): void {
  const title = type === 'special' ? '电子发票（增值税专用发票）' : '电子发票（普通发票）';
  text(doc, title, 150, 22, WIDTH - 300, { size: 17, align: 'center', color: INK });
  doc.strokeColor(INK).lineWidth(0.8).moveTo(WIDTH / 2 - 95, 47).lineTo(WIDTH / 2 + 95, 47).moveTo(WIDTH / 2 - 95, 50).lineTo(WIDTH / 2 + 95, 50).stroke();
  text(doc, '发票号码：', 410, 26, 48, { size: 9, color: INK });
  text(doc, '开票日期：', 410, 42, 48, { size: 9, color: INK });
  // Buyer and seller: name and tax ID only, as on the 数电 face.
  doc.strokeColor(INK).lineWidth(0.6).rect(MARGIN, PARTY_TOP, FULL, PARTY_HEIGHT).stroke();
  doc.moveTo(MARGIN + HALF, PARTY_TOP).lineTo(MARGIN + HALF, PARTY_TOP + PARTY_HEIGHT).stroke();
  ['购买方信息', '销售方信息'].forEach((label, index) => {
    const left = MARGIN + index * HALF;
    doc.moveTo(left + 18, PARTY_TOP).lineTo(left + 18, PARTY_TOP + PARTY_HEIGHT).stroke();
    verticalLabel(doc, label, left, PARTY_TOP, 18, PARTY_HEIGHT);
    text(doc, '名称：', left + 24, PARTY_TOP + 14, 40, { size: 8, color: INK });
    text(doc, '统一社会信用代码/纳税人识别号：', left + 24, PARTY_TOP + 36, 130, { size: 8, color: INK });
  });
  let x = MARGIN;
  doc.rect(MARGIN, TOP_OF_TABLE, FULL, TABLE_HEADER).stroke();
  for (const column of COLUMNS) {
    text(doc, column.title, x, TOP_OF_TABLE + 5, column.width, { size: 8, align: 'center', color: INK });
    x += column.width;
  }
}

function header(doc: Doc, issued: IssuedInvoice, page: number, pageCount: number, pageHeight: number): void {
  const { invoice } = issued;
  fixedPart(doc, `header ${invoice.type} ${pageHeight}`, () => headerFrame(doc, invoice.type));
  drawQr(doc, qrPayload({ type: invoice.type, number: issued.number, total: invoice.totals.total, issuedAt: issued.issuedAt }), MARGIN, 16, 20 * MM);
  text(doc, issued.number, 458, 26, 120, { size: 9 });
  text(doc, dateLabel(issued.issuedAt), 458, 42, 120, { size: 9 });
  // A red invoice says so under the title, with the blue invoice it flushes (also in 备注).
  if (invoice.red) text(doc, `红字发票\u3000被红冲蓝字发票号码：${invoice.red.blueNumber}`, 150, 54, WIDTH - 300, { size: 8.5, align: 'center', color: '#d00000' });
  if (issued.simulated) text(doc, '【模拟 SIMULATED · 非真实发票】', 150, invoice.red ? 64 : 56, WIDTH - 300, { size: invoice.red ? 8.5 : 9, align: 'center', color: '#d00000' });
  if (pageCount > 1) text(doc, `共${pageCount}页 第${page}页`, WIDTH - MARGIN - 100, 60, 100, { size: 8, align: 'right', color: INK });
  const parties = [
    { name: invoice.buyer.name, taxId: invoice.buyer.taxId ?? '' },
    { name: invoice.seller.name, taxId: invoice.seller.taxId },
  ];
  parties.forEach((party, index) => {
    const left = MARGIN + index * HALF;
    text(doc, party.name, left + 52, PARTY_TOP + 14, HALF - 58, { size: 8.5 });
    text(doc, party.taxId, left + 150, PARTY_TOP + 36, HALF - 156, { size: 8.5 });
  });
}

function lineRow(doc: Doc, line: IssuedInvoice['invoice']['lines'][number], y: number): void {
  const values = [
    line.name,
    line.spec ?? '',
    line.unit ?? '',
    line.quantity ?? '',
    line.unitPriceExcludingTax ?? '',
    line.amountExcludingTax,
    rateLabel(line.taxRate),
    taxLabel(line.taxRate, line.tax),
  ];
  let x = MARGIN;
  COLUMNS.forEach((column, index) => {
    text(doc, values[index]!, x + 3, y + 4, column.width - 6, { size: 8, align: column.align });
    x += column.width;
  });
}

/** A row of the table: an invoice line, or a row of the 特定业务 block drawn in the line rows' place. */
type TableRow = { readonly line: IssuedInvoice['invoice']['lines'][number] } | { readonly cells: readonly string[]; readonly head: boolean } | { readonly title: string };

/** The rows of the table: the lines, then the 特定业务 title, its column heads and its rows. */
function tableRows(invoice: IssuedInvoice['invoice']): TableRow[] {
  const rows: TableRow[] = invoice.lines.map((line) => ({ line }));
  if (!invoice.specific) return rows;
  const table: SpecificTable = specificTable(invoice.specific);
  rows.push({ title: table.title }, { cells: table.columns, head: true }, ...table.rows.map((cells) => ({ cells, head: false })));
  return rows;
}

function drawRow(doc: Doc, row: TableRow, y: number): void {
  if ('line' in row) return lineRow(doc, row.line, y);
  if ('title' in row) {
    doc.strokeColor(INK).lineWidth(0.6).moveTo(MARGIN, y).lineTo(MARGIN + FULL, y).stroke();
    return text(doc, row.title, MARGIN + 4, y + 4, FULL - 8, { size: 8, color: INK });
  }
  const width = FULL / row.cells.length;
  // Seven columns (a traveller's) leave 79 pt each: an 18-digit ID number fits at 6.8 pt.
  const size = row.cells.length > 5 ? 6.8 : 7.5;
  row.cells.forEach((cell, index) => text(doc, cell, MARGIN + index * width + 2, y + 4, width - 4, { size, align: 'center', ...(row.head && { color: INK }) }));
}

const AMOUNT_X = MARGIN + COLUMNS.slice(0, 5).reduce((sum, c) => sum + c.width, 0);
const TAX_X = AMOUNT_X + COLUMNS[5].width + COLUMNS[6].width;

/** The closing block's fixed words and lines, its top at `top`. */
function closingFrame(doc: Doc, top: number): void {
  doc.strokeColor(INK).lineWidth(0.6).rect(MARGIN, top, FULL, 18).stroke();
  text(doc, '合    计', MARGIN, top + 5, COLUMNS[0].width, { size: 8.5, align: 'center', color: INK });
  const words = top + 18;
  doc.rect(MARGIN, words, FULL, 22).stroke();
  doc.moveTo(MARGIN + COLUMNS[0].width, words).lineTo(MARGIN + COLUMNS[0].width, words + 22).stroke();
  text(doc, '价税合计（大写）', MARGIN, words + 7, COLUMNS[0].width, { size: 8.5, align: 'center', color: INK });
  text(doc, '（小写）', AMOUNT_X, words + 7, 40, { size: 8.5, color: INK });
  const remarks = words + 22;
  doc.rect(MARGIN, remarks, FULL, REMARKS_HEIGHT).stroke();
  doc.moveTo(MARGIN + 18, remarks).lineTo(MARGIN + 18, remarks + REMARKS_HEIGHT).stroke();
  verticalLabel(doc, '备注', MARGIN, remarks, 18, REMARKS_HEIGHT);
  text(doc, '开票人：', MARGIN + 6, remarks + REMARKS_HEIGHT + 8, 40, { size: 8.5, color: INK });
}

function closingBlock(doc: Doc, issued: IssuedInvoice, top: number, pageHeight: number): void {
  const { invoice } = issued;
  fixedPart(doc, `closing ${top} ${pageHeight}`, () => closingFrame(doc, top));
  text(doc, `¥${invoice.totals.amount}`, AMOUNT_X + 3, top + 5, COLUMNS[5].width - 6, { size: 8.5, align: 'right' });
  text(doc, `¥${invoice.totals.tax}`, TAX_X + 3, top + 5, COLUMNS[7].width - 6, { size: 8.5, align: 'right' });
  const words = top + 18;
  text(doc, `⊗ ${invoice.totals.totalInWords}`, MARGIN + COLUMNS[0].width + 8, words + 6, 250, { size: 9.5 });
  text(doc, `¥${invoice.totals.total}`, AMOUNT_X + 40, words + 6, FULL - (AMOUNT_X - MARGIN) - 44, { size: 9.5 });
  const remarks = words + 22;
  const remarkText = faceRemarks(invoice).join('\n');
  if (remarkText) {
    fontFor(doc, remarkText);
    doc.fontSize(7.5).fillColor('black').text(remarkText, MARGIN + 24, remarks + 4, { width: FULL - 30, height: REMARKS_HEIGHT - 6, ellipsis: true, lineGap: 0.3 });
  }
  text(doc, invoice.drawer ?? '', MARGIN + 44, remarks + REMARKS_HEIGHT + 8, 200, { size: 8.5 });
}

function simulatedWatermark(doc: Doc, height: number): void {
  doc.save();
  doc.rotate(-24, { origin: [WIDTH / 2, height / 2] });
  doc.fillOpacity(0.12);
  text(doc, '模拟  SIMULATED', 0, height / 2 - 30, WIDTH, { size: 54, align: 'center', color: '#d00000' });
  doc.restore();
}

/** Renders the invoice as PDF bytes; `redrawFixed` draws the face's fixed parts again instead of reusing them (for tests). */
export function renderInvoicePdf(issued: IssuedInvoice, options: { redrawFixed?: boolean } = {}): Promise<Buffer> {
  const rowsToDraw = tableRows(issued.invoice);
  const { pageHeight, pages } = paginate(rowsToDraw.length);
  const doc = new PDFDocument({
    size: [WIDTH, pageHeight],
    margin: 0,
    autoFirstPage: false,
    compress: true,
    // No default font: pdfkit would parse Helvetica's metrics for every document (~0.7 ms) to set
    // a font this document replaces at once.
    font: '',
    info: {
      Title: `${issued.invoice.type === 'special' ? '电子发票（增值税专用发票）' : '电子发票（普通发票）'} ${issued.number}`,
      Author: issued.invoice.seller.name,
      Subject: `发票号码 ${issued.number}`,
      Creator: 'Fapiao Gateway',
      CreationDate: new Date(issued.issuedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // One parsed font shared by every document: parsing a CJK font costs far more than a page.
  doc.registerFont('cjk', cjkDocumentFont() as unknown as Buffer);
  registerFrameFont(doc);
  if (options.redrawFixed) redrawFixedParts(doc);
  doc.font('cjk');
  let next = 0;
  pages.forEach((rows, index) => {
    doc.addPage({ size: [WIDTH, pageHeight], margin: 0 });
    if (issued.simulated) simulatedWatermark(doc, pageHeight);
    header(doc, issued, index + 1, pages.length, pageHeight);
    const top = TOP_OF_TABLE + TABLE_HEADER;
    doc.strokeColor(INK).lineWidth(0.6).rect(MARGIN, top, FULL, rows * ROW).stroke();
    for (let row = 0; row < rows; row++) drawRow(doc, rowsToDraw[next + row]!, top + row * ROW);
    next += rows;
    if (index === pages.length - 1) closingBlock(doc, issued, top + rows * ROW, pageHeight);
  });
  doc.end();
  return done;
}
