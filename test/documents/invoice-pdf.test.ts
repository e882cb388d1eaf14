// The invoice PDF as a person and a machine read it: pdftotext finds the real characters (the CJK
// font is embedded, subset, with its text mapping), qpdf finds the file sound, long invoices flow
// onto further pages, and simulated invoices say so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paginate, renderInvoicePdf } from '../../src/documents/invoice-pdf.js';
import { signPdf, verifyPdf } from '../../src/documents/pdf-signature.js';
import { loadOrCreateSigningKey } from '../../src/documents/signing-key.js';
import { validLine, validRequest, validSpecialRequest, type JsonRecord } from '../support/invoice-request.js';
import { issued, redIssued } from '../support/issued-invoice.js';
import { hasTool } from '../support/tools.js';
import { qrPayload } from '../../src/documents/qr-payload.js';

const work = mkdtempSync(join(tmpdir(), 'fapiao-pdf-'));
// The checks that need poppler or qpdf run wherever they are installed; .ci/run installs both.
const hasPoppler = hasTool('pdftotext', ['-v']) && hasTool('pdfinfo', ['-v']);
const hasQpdf = hasTool('qpdf');
const hasZbar = hasTool('zbarimg', ['--version']);

async function render(request: JsonRecord, simulated = true): Promise<{ file: string; text: string; bytes: Buffer }> {
  const document = { ...issued(request), simulated };
  const bytes = await renderInvoicePdf(document);
  const file = join(work, `invoice-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, bytes);
  const text = hasPoppler ? spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout : '';
  return { file, text, bytes };
}

const lines = (count: number) => Array.from({ length: count }, (_, i) => validLine({ name: `*信息技术服务*软件开发服务第${i + 1}期`, amount: '106.00', unitPrice: '106.00' }));

const CASES: Array<[string, JsonRecord, string]> = [
  ['one line', validRequest(), '壹仟零陆拾圆整'],
  ['eight lines', validRequest({ lines: lines(8) }), '捌佰肆拾捌圆整'],
  ['forty lines', validRequest({ lines: lines(40) }), '肆仟贰佰肆拾圆整'],
  ['a special invoice', validSpecialRequest(), '壹仟零陆拾圆整'],
  ['a tax-free line', validRequest({ lines: [validLine(), validLine({ name: '*蔬菜*白菜', taxCode: '1010112010000000000', taxRate: 'free', amount: '50.00', unitPrice: '50.00' })] }), '壹仟壹佰壹拾圆整'],
  ['a long remark', validRequest({ remarks: '合同号 HT-88；交付地点：杭州市西湖区文三路 90 号。'.repeat(6).slice(0, 200) }), '壹仟零陆拾圆整'],
];

describe('invoice PDF', () => {
  // The code is drawn as runs of modules, from segments chosen here, not by qrcode's optimiser: a
  // reader must still find exactly the payload, for each kind and for a total of every length.
  it.runIf(hasPoppler && hasZbar).for([
    ['normal', '1060.00'],
    ['special', '9.50'],
    ['normal', '123456789.00'],
  ] as const)('draws a QR code a reader decodes to the payload (%s, %s)', async ([kind, amount]) => {
    const request = kind === 'special' ? validSpecialRequest({ lines: [validLine({ amount, unitPrice: amount })] }) : validRequest({ lines: [validLine({ amount, unitPrice: amount })] });
    const document = issued(request);
    const file = join(work, `qr-${kind}-${amount}.pdf`);
    writeFileSync(file, await renderInvoicePdf(document));
    const png = join(work, `qr-${kind}-${amount}`);
    expect(spawnSync('pdftoppm', ['-r', '200', '-png', '-singlefile', file, png]).status).toBe(0);
    const read = spawnSync('zbarimg', ['-q', '--raw', `${png}.png`], { encoding: 'utf8' });
    const expected = qrPayload({ type: document.invoice.type, number: document.number, total: document.invoice.totals.total, issuedAt: document.issuedAt });
    expect(read.stdout.trim()).toBe(expected);
  });

  it.runIf(hasPoppler)('shows a red invoice as red: （负数） in the capitals, the blue number, negative figures', async (ctx) => {
    const red = redIssued(validRequest(), { reason: 'sales_allowance', lines: [{ line: 0, amount: '-106.00' }] });
    const bytes = await renderInvoicePdf(red);
    const file = join(work, 'red.pdf');
    writeFileSync(file, bytes);
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('（负数）壹佰零陆圆整');
    expect(text).toContain('红字发票');
    expect(text.replace(/\s+/g, '')).toContain('被红冲蓝字发票号码：26332000000000000042');
    expect(text).toContain('-100.00');
    expect(text).toContain('-6.00');
    if (hasQpdf) expect(spawnSync('qpdf', ['--check', file], { encoding: 'utf8' }).status).toBe(0);
    else ctx.skip();
  });

  it.for(CASES)('%s: the buyer, the number and the capitals are real text; the file is sound', async ([, request, words], ctx) => {
    const { file, text, bytes } = await render(request);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    if (hasPoppler) {
      expect(text).toContain(String((request.buyer as { name: string }).name));
      expect(text).toContain('26332000000000000042');
      expect(text).toContain(words);
      expect(text).toContain('模拟 SIMULATED');
    }
    if (hasQpdf) expect(spawnSync('qpdf', ['--check', file], { encoding: 'utf8' }).status).toBe(0);
    // Checked with less than the tools would check: said so, not passed.
    if (!hasPoppler || !hasQpdf) ctx.skip();
  });

  it.runIf(hasPoppler)('shows the face labels, the tax-free marks and the title of a special invoice', async () => {
    const special = await render(validSpecialRequest());
    expect(special.text).toContain('电子发票（增值税专用发票）');
    // The buyer's address, phone, bank and account, which a 专票 requires, are printed in 备注.
    const flat = special.text.replace(/\s+/g, '');
    for (const value of ['杭州市西湖区文三路1号', '0571-88888888', '中国工商银行杭州分行', '1202020209900012345']) expect(flat).toContain(value);
    expect(flat).toContain('购方地址、电话：杭州市西湖区文三路1号0571-88888888；开户行及账号：中国工商银行杭州分行1202020209900012345');
    const withRemarks = (await render(validSpecialRequest({ remarks: '合同号 HT-88' }))).text.replace(/\s+/g, '');
    for (const value of ['销方地址、电话：', '合同号HT-88']) expect(withRemarks).toContain(value);
    const free = await render(CASES[4]![1]);
    for (const label of ['项目名称', '规格型号', '税率/征收率', '价税合计（大写）', '开票人', '免税', '***']) expect(free.text).toContain(label);
  });

  it.runIf(hasPoppler)('flows 40 lines onto two pages with 共2页 and every line once', async () => {
    const { file, text } = await render(validRequest({ lines: lines(40) }));
    const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout;
    expect(info).toMatch(/Pages:\s+2/);
    expect(text).toContain('共2页 第1页');
    expect(text).toContain('共2页 第2页');
    for (let i = 1; i <= 40; i++) expect(text.split(`服务第${i}期`).length - 1, `line ${i}`).toBe(1);
  });

  it.runIf(hasPoppler)('marks only simulated invoices', async () => {
    expect((await render(validRequest(), false)).text).not.toContain('SIMULATED');
  });

  it('puts every line on exactly one page, and the totals never alone', () => {
    for (let count = 1; count <= 200; count++) {
      const { pages } = paginate(count);
      expect(pages.reduce((a, b) => a + b, 0)).toBe(count);
      expect(pages.every((rows) => rows > 0)).toBe(true);
    }
    expect(paginate(8).pages).toEqual([8]);
    expect(paginate(9).pages.length).toBe(1);
  });
});

describe.each(['SM2-SM3', 'Ed25519'] as const)('PDF signatures (%s)', (algorithm) => {
  const key = loadOrCreateSigningKey(join(work, `key-${algorithm}`), algorithm);

  it('verify on a fresh PDF that readers still accept, and fail on one changed byte or another key', async (ctx) => {
    const signed = signPdf(await renderInvoicePdf(issued(validRequest())), key);
    expect(verifyPdf(signed, key.publicKey)).toEqual({ valid: true, keyId: key.keyId, algorithm });
    if (hasQpdf) {
      const file = join(work, `signed-${algorithm}.pdf`);
      writeFileSync(file, signed);
      expect(spawnSync('qpdf', ['--check', file]).status).toBe(0);
    }
    for (let position = 0; position < signed.length; position += Math.floor(signed.length / 60)) {
      const changed = Buffer.from(signed);
      changed[position] = changed[position]! ^ 0x20;
      expect(verifyPdf(changed, key.publicKey).valid, `byte ${position}`).toBe(false);
    }
    const other = loadOrCreateSigningKey(join(work, `other-${algorithm}`), algorithm);
    expect(verifyPdf(signed, other.publicKey)).toMatchObject({ valid: false, reason: 'other_key' });
    expect(verifyPdf(await renderInvoicePdf(issued(validRequest())), key.publicKey)).toMatchObject({ valid: false, reason: 'unsigned' });
    if (!hasQpdf) ctx.skip();
  });
});
