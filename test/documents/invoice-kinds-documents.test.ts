// Each kind of invoice on paper and in XML: the 特定业务 block under the lines, 差额征税 and 收款人/复核人
// in 备注, 免税 and （个人） on the face; the XML valid against docs/invoice.xsd with its elements.
// FAPIAO_KEEP_KIND_PDFS=dir keeps the PDFs (and PNGs, with pdftoppm) to look at.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInvoicePdf } from '../../src/documents/invoice-pdf.js';
import { invoiceXml } from '../../src/documents/invoice-xml.js';
import { KIND_REQUESTS, type JsonRecord } from '../support/invoice-request.js';
import { issued } from '../support/issued-invoice.js';
import { hasTool } from '../support/tools.js';

const XSD = join(import.meta.dirname, '../../docs/invoice.xsd');
const keep = process.env.FAPIAO_KEEP_KIND_PDFS;
const work = keep ?? mkdtempSync(join(tmpdir(), 'fapiao-kinds-'));
mkdirSync(work, { recursive: true });
const hasPoppler = hasTool('pdftotext', ['-v']);
const hasXmllint = hasTool('xmllint');

/** Each kind, the words its face must show, and XML fragments it must carry. */
const KINDS: Array<[string, JsonRecord, string[], string[]]> = [
  [
    'property-lease',
    KIND_REQUESTS.propertyLease(),
    ['特定业务：不动产经营租赁服务', '租赁期起止', '浙江省杭州市西湖区文三路 90 号 3 楼', '2026-12-01 至 2026-12-31', '浙(2020)杭州市不动产权第0012345号', '平方米'],
    ['<SpecificInformation Kind="property_lease" Code="06">', '<LeaseFrom>2026-12-01</LeaseFrom>', '<CrossCity>N</CrossCity>'],
  ],
  [
    'construction',
    KIND_REQUESTS.construction(),
    ['特定业务：建筑服务', '建筑服务发生地', '星湖街厂房改造工程', '¥100000.00', '¥9000.00'],
    ['<SpecificInformation Kind="construction" Code="03">', '<ProjectName>星湖街厂房改造工程</ProjectName>', '<CrossCity>Y</CrossCity>'],
  ],
  [
    'freight',
    KIND_REQUESTS.freight(),
    ['特定业务：货物运输服务', '运输工具牌号', '浙A12345', '沪B67890', '公路运输', '电子元件'],
    ['<SpecificInformation Kind="freight" Code="04">', '<VehicleNo>沪B67890</VehicleNo>'],
  ],
  [
    'passenger',
    KIND_REQUESTS.passenger(),
    ['特定业务：旅客运输服务', '出行人', '李四', '110101199003078515', '杭州东', '二等座', '火车'],
    ['<SpecificInformation Kind="passenger" Code="09">', '<SeatClass>二等座</SeatClass>', '<VehicleType>train</VehicleType>'],
  ],
  [
    'differential',
    KIND_REQUESTS.differential(),
    ['差额征税：扣除额 6000.00 元。', '¥9773.58', '¥226.42', '壹万圆整'],
    ['<Deduction>6000.00</Deduction>', '<DifferentialTaxation>02</DifferentialTaxation>', '<ComTaxAm>226.42</ComTaxAm>'],
  ],
  [
    'exempt-natural-person',
    KIND_REQUESTS.exemptForPerson(),
    ['张三（个人）', '免税', '***', '收款人:李出纳; 复核人:赵复核;', '开票人'],
    ['<BuyerName>张三（个人）</BuyerName>', '<BuyerNaturalPerson>Y</BuyerNaturalPerson>', '<PreferentialPolicyCode>03</PreferentialPolicyCode>', '<Payee>李出纳</Payee>', '<Reviewer>赵复核</Reviewer>'],
  ],
];

describe('documents of each kind of invoice', () => {
  it.for(KINDS)('%s: the XML carries its elements and validates against the XSD', ([name, request, , fragments], ctx) => {
    const xml = invoiceXml(issued(request));
    for (const fragment of fragments) expect(xml).toContain(fragment);
    if (!hasXmllint) return ctx.skip();
    const file = join(work, `${name}.xml`);
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    expect(run.stderr).toContain('validates');
  });

  it.for(KINDS)('%s: the PDF prints its block and figures', async ([name, request, words], ctx) => {
    const bytes = await renderInvoicePdf(issued(request));
    const file = join(work, `${name}.pdf`);
    writeFileSync(file, bytes);
    if (!hasPoppler) return ctx.skip();
    const text = spawnSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' }).stdout;
    for (const word of words) expect(text).toContain(word);
    if (keep && hasTool('pdftoppm', ['-v'])) spawnSync('pdftoppm', ['-png', '-r', '110', '-singlefile', file, join(work, name)]);
  });
});
