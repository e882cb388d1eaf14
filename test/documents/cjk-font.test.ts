// The font documents are set in, remembering shaped runs and glyph outlines across documents
// (src/documents/cjk-font.ts): what pdfkit writes with it is byte for byte what it writes with
// the plain font, for a first document and for later ones that reuse what was remembered.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { rememberingFont } from '../../src/documents/cjk-font.js';

const require = createRequire(import.meta.url);
const bytes = readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'));

/** A page of mixed runs: CJK words, figures, a line that wraps, one with an ellipsis, repeated words. */
function page(font: fontkit.Font, runs: readonly string[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: [595, 400], margin: 0, compress: true, font: '', info: { CreationDate: new Date(1_790_000_000_000) } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
  });
  doc.registerFont('cjk', font as unknown as Buffer);
  doc.font('cjk').fontSize(9);
  runs.forEach((run, n) => doc.text(run, 20, 20 + n * 30, { width: 160 + (n % 3) * 60, height: 24, ellipsis: n % 2 === 0 }));
  doc.end();
  return done;
}

const FIRST = ['*信息技术服务*软件开发服务 1060.00 ¥1,123.60', '演示科技（杭州）有限公司 91330106MA2B0Y5R34', '壹仟壹佰贰拾叁圆陆角整 收款人:李出纳; 复核人:赵复核;', 'a long remark that wraps over the width of the box and is cut with an ellipsis 备注 备注 备注'];
const SECOND = ['*运输服务*国内道路货物运输服务 浙A12345 杭州市 上海市', '演示科技（杭州）有限公司 91330106MA2B0Y5R34', '1060.00 ¥1,123.60 13% 免税 ***'];

describe('rememberingFont', () => {
  it('makes pdfkit write the same bytes as the plain font, document after document', async () => {
    const plain = fontkit.create(bytes) as fontkit.Font;
    const remembering = rememberingFont(fontkit.create(bytes) as fontkit.Font);
    for (const runs of [FIRST, SECOND, FIRST, [...SECOND, ...FIRST]]) {
      const expected = await page(plain, runs);
      const actual = await page(remembering, runs);
      expect(actual.equals(expected)).toBe(true);
    }
  });

  it('answers each layout with positions of its own, so pdfkit scaling one run leaves the next alone', () => {
    const font = rememberingFont(fontkit.create(bytes) as fontkit.Font);
    const first = font.layout('发票号码');
    const width = first.advanceWidth;
    for (const position of first.positions) position.xAdvance *= 3;
    const second = font.layout('发票号码');
    expect(second.advanceWidth).toBe(width);
    expect(second.glyphs.map((glyph) => glyph.id)).toEqual(first.glyphs.map((glyph) => glyph.id));
  });
});
