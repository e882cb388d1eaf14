// The frame font: the face's fixed words, figures and dates set in one subset made once and written
// as the same bytes into every PDF, the rest in each document's own subset — and every character
// still copies out of the PDF as itself, whichever font it was set in.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInvoicePdf } from '../../src/documents/invoice-pdf.js';
import { frameCovers, frameFontProgram } from '../../src/documents/frame-font.js';
import { validRequest } from '../support/invoice-request.js';
import { issued } from '../support/issued-invoice.js';
import { hasTool } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'fapiao-frame-'));
const hasPoppler = hasTool('pdftotext', ['-v']) && hasTool('pdffonts', ['-v']);

describe('the frame font', () => {
  it('holds the face’s words, figures and dates, and nothing else decides what goes in it', () => {
    for (const text of ['开票日期：', '2026年11月22日', '26332000000000000042', '¥1060.00', '税率/征收率', '统一社会信用代码/纳税人识别号：', '-106.00', '6%', '91330106MA2B0Y5R34', '⊗ 壹仟零陆拾圆整']) expect(frameCovers(text), text).toBe(true);
    for (const text of ['杭州某某科技有限公司', '*信息技术服务*软件开发服务', 'V2', 'abc', '😀']) expect(frameCovers(text), text).toBe(false);
  });

  it('is the same bytes in every PDF, and text from both fonts copies out as itself', async () => {
    const buyers = [
      { name: '杭州某某科技有限公司', taxId: '91330100716105852F' },
      { name: '宁波海纳百川贸易有限公司', taxId: '91110000600037341L' },
    ];
    const pdfs = await Promise.all(buyers.map((buyer) => renderInvoicePdf({ ...issued(validRequest({ buyer })), simulated: false })));
    const program = frameFontProgram();
    for (const pdf of pdfs) expect(pdf.includes(program)).toBe(true);
    // The documents' own subsets differ: different buyers, different glyphs.
    expect(pdfs[0]!.equals(pdfs[1]!)).toBe(false);
    if (!hasPoppler) return;
    pdfs.forEach((pdf, index) => {
      const file = join(work, `frame-${index}.pdf`);
      writeFileSync(file, pdf);
      const fonts = spawnSync('pdffonts', [file], { encoding: 'utf8' }).stdout;
      expect(fonts).toMatch(/FAPIAO\+NotoSansSC-Regular\s+CID TrueType\s+Identity-H\s+yes yes yes/);
      expect(fonts.match(/NotoSansSC-Regular/g)).toHaveLength(2);
      const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
      for (const words of ['开票日期：', '2026年11月22日', '26332000000000000042', '价税合计（大写）', '¥1060.00', buyers[index]!.name, buyers[index]!.taxId, '壹仟零陆拾圆整', '*信息技术服务*软件开发服务']) expect(text, words).toContain(words);
    });
  });
});
