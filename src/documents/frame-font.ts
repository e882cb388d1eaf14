/**
 * The glyphs every invoice face uses — its fixed words, the capitals of 价税合计, figures, dates
 * and tax IDs — as one subset font made and compressed once per process and written as the same
 * bytes into every PDF; each document's own subset then holds only its names, items and remarks.
 */
import { deflateSync } from 'node:zlib';
import type * as fontkit from 'fontkit';
import type PDFDocument from 'pdfkit';
import { cjkDocumentFont } from './cjk-font.js';

type Doc = InstanceType<typeof PDFDocument>;

/**
 * What the frame font holds. Text is set in it only when every glyph of the text is here (else in
 * the document's own subset, whole), so this list decides size, never correctness: the face's
 * words and the characters of figures, dates, tax IDs and invoice numbers.
 */
const FRAME_TEXT = [
  '电子发票（增值税专用发票）（普通发票）发票号码：开票日期：年月日',
  '购买方信息销售方信息名称：统一社会信用代码/纳税人识别号：',
  '项目名称规格型号单位数量单价金额税率/征收率税额合计价税合计（大写）（小写）备注开票人：',
  '¥%0123456789 .-',
  '⊗零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆角分整负数',
  // The letters of tax IDs (统一社会信用代码 leaves out I, O, S, V and Z) with the figures: next to
  // Latin letters the font shapes figures with other glyphs than alone or next to Chinese.
  'ABCDEFGHJKLMNPQRTUWXY0123456789.-%',
];

/** Remembered answers to "is all of this text in the frame font", for text seen again. */
const COVERS_KEPT = 20_000;

interface Frame {
  readonly cidOf: ReadonlyMap<number, number>;
  /** Advance widths in PDF glyph units, by CID. */
  readonly widths: readonly number[];
  readonly baseFont: string;
  readonly fontFile: Buffer;
  readonly fontFileLength: number;
  readonly toUnicode: Buffer;
  readonly descriptor: Record<string, unknown>;
}

function toHex(value: number): string {
  return value.toString(16).padStart(4, '0');
}

/** The ToUnicode map of `codePoints` by CID, as pdfkit writes one (so text copies out as itself). */
function toUnicodeCmap(codePoints: ReadonlyArray<readonly number[]>): string {
  const entries = codePoints.map((points) => `<${points.map((point) => (point > 0xffff ? [toHex(((point - 0x10000) >>> 10) | 0xd800), toHex(0xdc00 | ((point - 0x10000) & 0x3ff))].join(' ') : toHex(point))).join(' ')}>`);
  // A range may only span codes that differ in their last byte: 256 to a range, as pdfkit writes them.
  const ranges: string[] = [];
  for (let start = 0; start < entries.length; start += 256) {
    const end = Math.min(start + 256, entries.length);
    ranges.push(`<${toHex(start)}> <${toHex(end - 1)}> [${entries.slice(start, end).join(' ')}]`);
  }
  return `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo <<
  /Registry (Adobe)
  /Ordering (UCS)
  /Supplement 0
>> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000><ffff>
endcodespacerange
${ranges.length} beginbfrange
${ranges.join('\n')}
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end`;
}

let frame: Frame | undefined;

function buildFrame(): Frame {
  const font = cjkDocumentFont();
  const scale = 1000 / font.unitsPerEm;
  // fontkit's types say includeGlyph takes a glyph and answers a boolean; it takes an id and
  // answers the glyph's index in the subset, its CID.
  const subset = font.createSubset() as unknown as { includeGlyph(id: number): number; encode(): Uint8Array };
  const tables = font as unknown as { 'OS/2'?: { sFamilyClass?: number }; post: { isFixedPitch?: boolean }; head: { macStyle?: { italic?: boolean } } };
  const widths = [font.getGlyph(0).advanceWidth * scale];
  const codePoints: number[][] = [[0]];
  const cidOf = new Map<number, number>();
  // Each character alone and each run whole: shaping picks glyphs by the script of the run.
  const runs = [...new Set(FRAME_TEXT.join(''))].concat(FRAME_TEXT);
  for (const run of runs) {
    for (const glyph of font.layout(run).glyphs) {
      if (cidOf.has(glyph.id)) continue;
      const cid = subset.includeGlyph(glyph.id);
      cidOf.set(glyph.id, cid);
      widths[cid] = glyph.advanceWidth * scale;
      codePoints[cid] = [...glyph.codePoints];
    }
  }
  const program = Buffer.from(subset.encode());
  // Flags as pdfkit sets them for this font: symbolic (it is not in the standard Latin set).
  const familyClass = (tables['OS/2']?.sFamilyClass ?? 0) >> 8;
  let flags = 1 << 2;
  if (tables.post.isFixedPitch) flags |= 1 << 0;
  if (familyClass >= 1 && familyClass <= 7) flags |= 1 << 1;
  if (familyClass === 10) flags |= 1 << 3;
  if (tables.head.macStyle?.italic) flags |= 1 << 6;
  const { bbox } = font;
  return {
    cidOf,
    widths,
    baseFont: `FAPIAO+${font.postscriptName.replaceAll(' ', '_')}`,
    // Compressed once, as hard as zlib goes: every PDF carries these bytes.
    fontFile: deflateSync(program, { level: 9 }),
    fontFileLength: program.length,
    toUnicode: deflateSync(toUnicodeCmap(codePoints), { level: 9 }),
    descriptor: {
      Type: 'FontDescriptor',
      Flags: flags,
      FontBBox: [bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale],
      ItalicAngle: font.italicAngle,
      Ascent: font.ascent * scale,
      Descent: font.descent * scale,
      CapHeight: (font.capHeight || font.ascent) * scale,
      XHeight: (font.xHeight || 0) * scale,
      StemV: 0,
    },
  };
}

function frameOf(): Frame {
  frame ??= buildFrame();
  return frame;
}

/** The compressed font program every PDF carries for the frame font, byte for byte. */
export function frameFontProgram(): Buffer {
  return frameOf().fontFile;
}

const covered = new Map<string, boolean>();

/** Whether every glyph of `text` is in the frame font. */
export function frameCovers(text: string): boolean {
  let answer = covered.get(text);
  if (answer === undefined) {
    const { cidOf } = frameOf();
    answer = cjkDocumentFont()
      .layout(text)
      .glyphs.every((glyph) => cidOf.has(glyph.id));
    if (covered.size >= COVERS_KEPT) covered.delete(covered.keys().next().value!);
    covered.set(text, answer);
  }
  return answer;
}

/** pdfkit's embedded font, as far as this module reaches into it. */
interface PdfkitFont {
  document: { ref(data?: Record<string, unknown>): PdfkitRef };
  dictionary?: PdfkitRef;
  layout(text: string, features?: unknown): { glyphs: Array<{ id: number }>; positions: unknown[] };
  encode(text: string, features?: unknown): [string[], unknown[]];
  embed(): void;
  ref(): PdfkitRef;
  frameFont?: true;
}

interface PdfkitRef {
  data: Record<string, unknown>;
  end(chunk?: Uint8Array): void;
}

/** The shared font under another name, so that pdfkit keeps it apart from the document's own subset. */
let registered: fontkit.Font | undefined;

function registeredFrameFont(): fontkit.Font {
  if (!registered) {
    const view = Object.create(cjkDocumentFont()) as fontkit.Font;
    Object.defineProperty(view, 'postscriptName', { value: `${cjkDocumentFont().postscriptName}-Frame` });
    registered = view;
  }
  return registered;
}

/**
 * Makes the frame font `doc`'s current font. pdfkit would subset and compress it again in every
 * document; here its glyphs keep the CIDs of the subset made once, and embedding writes the bytes
 * made once (as pdfkit would write them, with the stream already compressed).
 */
export function useFrameFont(doc: Doc): void {
  doc.font('fapiao-frame');
  const pdfFont = (doc as unknown as { _font: PdfkitFont })._font;
  if (pdfFont.frameFont) return;
  const { cidOf, widths, baseFont, fontFile, fontFileLength, toUnicode, descriptor } = frameOf();
  pdfFont.frameFont = true;
  pdfFont.encode = (text, features) => {
    const { glyphs, positions } = pdfFont.layout(text, features);
    return [glyphs.map((glyph) => toHex(cidOf.get(glyph.id) ?? 0)), positions];
  };
  pdfFont.embed = () => {
    const { document } = pdfFont;
    const file = document.ref({ Filter: 'FlateDecode', Length1: fontFileLength });
    file.end(fontFile);
    const fontDescriptor = document.ref({ ...descriptor, FontName: baseFont, FontFile2: file });
    fontDescriptor.end();
    const descendant = document.ref({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: baseFont,
      // pdfkit writes a String object as a PDF string, (Adobe); a plain string would be a name.
      CIDSystemInfo: { Registry: new String('Adobe'), Ordering: new String('Identity'), Supplement: 0 },
      FontDescriptor: fontDescriptor,
      W: [0, widths],
      CIDToGIDMap: 'Identity',
    });
    descendant.end();
    const cmap = document.ref({ Filter: 'FlateDecode' });
    cmap.end(toUnicode);
    const dictionary = pdfFont.ref();
    dictionary.data = { Type: 'Font', Subtype: 'Type0', BaseFont: baseFont, Encoding: 'Identity-H', DescendantFonts: [descendant], ToUnicode: cmap };
    dictionary.end();
  };
}

/** Registers the frame font with `doc` (before useFrameFont). */
export function registerFrameFont(doc: Doc): void {
  doc.registerFont('fapiao-frame', registeredFrameFont() as unknown as Buffer);
}
