// The invoice XML: valid against docs/invoice.xsd (checked with xmllint), every field present,
// and signed so that one changed byte, or another key, is caught.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invoiceXml } from '../../src/documents/invoice-xml.js';
import { signInvoiceXml, verifyInvoiceXml } from '../../src/documents/invoice-signature.js';
import { loadOrCreateSigningKey, loadPublicKey, publicKeyPath, type SigningAlgorithm } from '../../src/documents/signing-key.js';
import { validLine, validRequest, validSpecialRequest, type JsonRecord } from '../support/invoice-request.js';
import { issued, redIssued } from '../support/issued-invoice.js';
import { hasTool } from '../support/tools.js';

const XSD = join(import.meta.dirname, '../../docs/invoice.xsd');
const hasXmllint = hasTool('xmllint');
const work = mkdtempSync(join(tmpdir(), 'fapiao-xml-'));

const lines = (count: number) => Array.from({ length: count }, (_, i) => validLine({ name: `*信息技术服务*软件开发服务第${i + 1}期`, amount: '106.00', unitPrice: '106.00' }));

const CASES: Array<[string, JsonRecord]> = [
  ['one line', validRequest()],
  ['eight lines', validRequest({ lines: lines(8) })],
  ['forty lines', validRequest({ lines: lines(40) })],
  ['a special invoice', validSpecialRequest()],
  ['a tax-free line', validRequest({ lines: [validLine(), validLine({ name: '*蔬菜*白菜', taxCode: '1010112010000000000', taxRate: 'free', amount: '50.00', unitPrice: '50.00' })] })],
  ['a long remark', validRequest({ remarks: '合同号 HT-88；'.repeat(20).slice(0, 200) })],
  ['a discount', validRequest({ priceIncludesTax: false, lines: [validLine({ quantity: undefined, unitPrice: undefined, amount: '600.00', taxRate: '0.13' }), { kind: 'discount', name: '*信息技术服务*软件开发服务', taxCode: '3040201010000000000', taxRate: '0.13', amount: '-60.00' }] })],
  ['characters XML must escape', validRequest({ buyer: { name: 'A&B <科技> "有限" \'公司\'' }, remarks: 'x < y & z > w' })],
];

describe('invoice XML', () => {
  it.for(CASES)('%s: carries the invoice and validates against the XSD', ([, request], ctx) => {
    const document = issued(request);
    const xml = invoiceXml(document);
    expect(xml).toContain('<EIid>26332000000000000042</EIid>');
    expect(xml).toContain(`<TotalTax-includedAmountInChinese>${document.invoice.totals.totalInWords}</TotalTax-includedAmountInChinese>`);
    expect(xml.match(/<Item /g)).toHaveLength(document.invoice.lines.length);
    if (hasXmllint) {
      const file = join(work, `invoice-${Math.random().toString(36).slice(2)}.xml`);
      writeFileSync(file, signInvoiceXml(xml, loadOrCreateSigningKey(join(work, 'gw'))));
      const run = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
      expect(run.stderr).toContain('validates');
      expect(run.status).toBe(0);
    }
    if (!hasXmllint) ctx.skip();
  });

  it('carries a red invoice: the blue number, the reason code, negative quantities, and the XSD covers it', (ctx) => {
    const red = redIssued(validRequest({ priceIncludesTax: false, lines: [validLine({ name: '*谷物*燕麦', taxCode: '1010101020000000000', quantity: '2', unitPrice: '100.00', amount: '200.00', taxRate: '0.09' })] }), { reason: 'sales_return', lines: [{ line: 0, quantity: '-1' }] });
    const xml = invoiceXml(red);
    expect(xml).toContain('<RedEInvoice>\n    <OriginalInvoiceCode>26332000000000000042</OriginalInvoiceCode>\n    <RedReason>02</RedReason>\n  </RedEInvoice>');
    expect(xml).toContain('BlueLineNo="1"');
    expect(xml).toContain('<Quantity>-1</Quantity>');
    expect(xml).toContain('<TotalTax-includedAmount>-109.00</TotalTax-includedAmount>');
    expect(xml).toContain('<TotalTax-includedAmountInChinese>（负数）壹佰零玖圆整</TotalTax-includedAmountInChinese>');
    if (hasXmllint) {
      const file = join(work, 'red.xml');
      writeFileSync(file, signInvoiceXml(xml, loadOrCreateSigningKey(join(work, 'gw'))));
      const run = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
      expect(run.stderr).toContain('validates');
    }
    if (!hasXmllint) ctx.skip();
  });

  it('escapes what XML must escape, and the text reads back exactly', (ctx) => {
    const xml = invoiceXml(issued(CASES[7]![1]));
    expect(xml).toContain('<BuyerName>A&amp;B &lt;科技&gt; &quot;有限&quot; &apos;公司&apos;</BuyerName>');
    if (hasXmllint) {
      const file = join(work, 'escape.xml');
      writeFileSync(file, xml);
      const name = execFileSync('xmllint', ['--xpath', 'string(//*[local-name()="BuyerName"])', file], { encoding: 'utf8' });
      expect(name.trim()).toBe('A&B <科技> "有限" \'公司\'');
    }
    if (!hasXmllint) ctx.skip();
  });

  it.runIf(hasXmllint)('the XSD refuses a document that breaks it (the check can fail)', () => {
    const broken = invoiceXml(issued(validRequest())).replace('<EIid>26332000000000000042</EIid>', '<EIid>2633</EIid>');
    const file = join(work, 'broken.xml');
    writeFileSync(file, broken);
    expect(spawnSync('xmllint', ['--noout', '--schema', XSD, file]).status).not.toBe(0);
  });
});

describe.each<SigningAlgorithm>(['SM2-SM3', 'Ed25519'])('signatures (%s)', (algorithm) => {
  const key = loadOrCreateSigningKey(join(work, `key-${algorithm}`), algorithm);
  const signed = Buffer.from(signInvoiceXml(invoiceXml(issued(validRequest())), key), 'utf8');

  it('verify on a fresh document', () => {
    expect(verifyInvoiceXml(signed, key.publicKey)).toEqual({ valid: true, keyId: key.keyId, algorithm });
  });

  it('fail on any one changed byte', () => {
    const positions = [0, 1, signed.length - 2, signed.length - 1];
    for (let i = 5; i < signed.length; i += 37) positions.push(i);
    for (const position of positions) {
      const changed = Buffer.from(signed);
      changed[position] = changed[position]! ^ 0x01;
      expect(verifyInvoiceXml(changed, key.publicKey).valid, `byte ${position}`).toBe(false);
    }
  });

  it('fail against another key, and say so', () => {
    const other = loadOrCreateSigningKey(join(work, `other-${algorithm}`), algorithm);
    expect(verifyInvoiceXml(signed, other.publicKey)).toMatchObject({ valid: false, reason: 'other_key' });
  });

  it('fail on an unsigned document', () => {
    expect(verifyInvoiceXml(Buffer.from(invoiceXml(issued(validRequest()))), key.publicKey)).toMatchObject({ valid: false, reason: 'unsigned' });
  });
});

describe('signing key', () => {
  it('is created once, kept readable by its owner only, and loaded again: what it signed still verifies', () => {
    const dir = join(work, 'persist');
    const first = loadOrCreateSigningKey(dir);
    const signed = Buffer.from(signInvoiceXml(invoiceXml(issued(validRequest())), first));
    const again = loadOrCreateSigningKey(dir);
    expect(again.keyId).toBe(first.keyId);
    expect(verifyInvoiceXml(signed, again.publicKey).valid).toBe(true);
    expect(verifyInvoiceXml(signed, loadPublicKey(publicKeyPath(dir))).valid).toBe(true);
    expect(first.algorithm).toBe('SM2-SM3');
    expect(statSync(join(dir, 'keys', 'signing-key.pem')).mode & 0o777).toBe(0o600);
  });
});

describe('choosing the signing algorithm', () => {
  it('creates an Ed25519 key when asked, and keeps an existing key whatever is asked later', () => {
    const dir = join(work, 'choose');
    const ed = loadOrCreateSigningKey(dir, 'Ed25519');
    expect(ed.algorithm).toBe('Ed25519');
    expect(loadOrCreateSigningKey(dir, 'SM2-SM3').keyId).toBe(ed.keyId);
  });
});
