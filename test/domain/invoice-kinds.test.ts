// The kinds of invoice a real seller issues (issue 26): people, natural-person buyers, 优惠政策,
// 差额征税 and the four 特定业务, each with figures worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { codes, preview } from '../support/preview.js';
import { KIND_REQUESTS, validLine, validRequest, validSpecialRequest, type JsonRecord } from '../support/invoice-request.js';

const plain = (extra: JsonRecord) => validLine({ spec: undefined, unit: undefined, quantity: undefined, unitPrice: undefined, ...extra });

describe('people on the invoice and natural-person buyers', () => {
  it('carries drawer, payee and reviewer, and names a natural person with （个人）', () => {
    const invoice = preview(KIND_REQUESTS.exemptForPerson());
    expect(invoice).toMatchObject({ drawer: '王会计', payee: '李出纳', reviewer: '赵复核' });
    expect(invoice.buyer).toEqual({ name: '张三（个人）', naturalPerson: true });
    // 100 × 5.00 = 500.00, exempt: no tax.
    expect(invoice.lines[0]).toMatchObject({ taxRate: 'free', policy: 'exempt', amountExcludingTax: '500.00', tax: '0.00' });
    expect(invoice.totals).toMatchObject({ amount: '500.00', tax: '0.00', total: '500.00' });
  });

  it('refuses a natural person on a 专票, a one-character name and a name too long for its suffix', () => {
    expect(codes(validSpecialRequest({ buyer: { ...(validSpecialRequest().buyer as JsonRecord), naturalPerson: true } }))).toEqual(['/buyer/naturalPerson natural_person_special']);
    expect(codes(validRequest({ buyer: { name: '张', naturalPerson: true } }))).toEqual(['/buyer/name natural_person_name_short']);
    expect(codes(validRequest({ buyer: { name: '张'.repeat(97), naturalPerson: true } }))).toEqual(['/buyer/name string_too_long']);
    expect(codes(validRequest({ buyer: { name: '张三', naturalPerson: 'yes' } }))).toEqual(['/buyer/naturalPerson type_invalid']);
    expect(codes(validRequest({ payee: 'x'.repeat(21) }))).toEqual(['/payee string_too_long']);
  });
});

describe('优惠政策 per line', () => {
  it('takes each policy at its rates: simplified_3 at 3 %, simplified at 5 %, a refund policy at 13 %', () => {
    // 1,030.00 including 3 %: tax 1030 × 0.03 / 1.03 = 30.00; 1,050.00 at 5 %: 50.00; 1,130.00 at 13 %: 130.00.
    const invoice = preview(
      validRequest({
        lines: [plain({ amount: '1030.00', taxRate: '0.03', policy: 'simplified_3' }), plain({ amount: '1050.00', taxRate: '0.05', policy: 'simplified' }), plain({ amount: '1130.00', taxRate: '0.13', policy: 'immediate_refund_70' })],
      }),
    );
    expect(invoice.lines.map((line) => [line.policy, line.tax])).toEqual([
      ['simplified_3', '30.00'],
      ['simplified', '50.00'],
      ['immediate_refund_70', '130.00'],
    ]);
    expect(invoice.totals).toMatchObject({ amount: '3000.00', tax: '210.00', total: '3210.00' });
  });

  it('reads a policy by its code or label too (the spreadsheet gives those) and refuses an unknown one', () => {
    expect(preview(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0', policy: '03' })] })).lines[0]).toMatchObject({ policy: 'exempt', taxRate: 'free' });
    expect(preview(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0', policy: '免税' })] })).lines[0]).toMatchObject({ policy: 'exempt' });
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0', policy: 'tax_holiday' })] }))).toEqual(['/lines/0/policy policy_unknown']);
  });

  it('refuses a rate the policy does not allow, 1.5 % without its policy, and 不征税 mixed with other lines', () => {
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0.05', policy: 'simplified_3' })] }))).toEqual(['/lines/0/taxRate policy_rate_mismatch']);
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0.13', policy: 'exempt' })] }))).toEqual(['/lines/0/taxRate policy_rate_mismatch']);
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0.03', policy: 'rare_earth' })] }))).toEqual(['/lines/0/taxRate policy_rate_mismatch']);
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0.015' })] }))).toEqual(['/lines/0/taxRate policy_rate_mismatch']);
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0', policy: 'not_taxable', taxCode: '6010000000000000000' }), plain({ amount: '1.00' })] }))).toEqual([
      '/lines/1/policy policy_not_mixable',
    ]);
    // Codes starting 6 are 不征税 whatever the policy says.
    expect(codes(validRequest({ lines: [plain({ amount: '1.00', taxRate: '0', policy: 'exempt', taxCode: '6010000000000000000' })] }))).toEqual(['/lines/0/taxRate tax_rate_not_allowed']);
  });

  it('keeps the reduced 1.5 % for a one-line property lease', () => {
    // 6,000.00 including 1.5 %: tax 6000 × 0.015 / 1.015 = 88.669… → 88.67; amount 5,911.33.
    const lease = KIND_REQUESTS.propertyLease();
    const leaseLine = (lease.lines as JsonRecord[])[0]!;
    const invoice = preview({ ...lease, lines: [{ ...leaseLine, taxRate: '0.015', policy: 'reduced_1_5' }] });
    expect(invoice.lines[0]).toMatchObject({ taxRate: '0.015', policy: 'reduced_1_5', amountExcludingTax: '5911.33', tax: '88.67' });
    expect(codes(validRequest({ lines: [plain({ amount: '100.00', taxRate: '0.015', policy: 'reduced_1_5' })] }))).toEqual(['/specific reduced_rate_property_lease_only']);
    expect(codes({ ...lease, lines: [{ ...leaseLine, taxRate: '0.015', policy: 'reduced_1_5' }, { ...leaseLine, taxRate: '0.015', policy: 'reduced_1_5' }] })).toEqual(['/lines reduced_rate_single_line']);
  });
});

describe('差额征税', () => {
  it('taxes the amount less the deduction: 10,000.00 − 6,000.00 at 6 %', () => {
    const invoice = preview(KIND_REQUESTS.differential());
    // (10000 − 6000) × 0.06 / 1.06 = 226.415… → 226.42; 金额 = 10000.00 − 226.42 = 9773.58.
    expect(invoice.lines[0]).toMatchObject({ deduction: '6000.00', amountExcludingTax: '9773.58', tax: '226.42', amountIncludingTax: '10000.00' });
    expect(invoice).toMatchObject({ taxation: 'differential', totals: { amount: '9773.58', tax: '226.42', total: '10000.00' } });
  });

  it('computes 劳务派遣 at the 5 % levy rate: 10,600.00 − 8,000.00', () => {
    const request = KIND_REQUESTS.differential({
      lines: [plain({ name: '*人力资源服务*劳务派遣服务', taxCode: '3040802010200000000', amount: '10600.00', taxRate: '0.05', policy: 'simplified_5', deduction: '8000.00' })],
    });
    // 2600 × 0.05 / 1.05 = 123.809… → 123.81; 金额 = 10600.00 − 123.81 = 10476.19.
    expect(preview(request).lines[0]).toMatchObject({ tax: '123.81', amountExcludingTax: '10476.19' });
  });

  it('allows a deduction equal to the amount (no tax), and refuses every broken form', () => {
    const all = KIND_REQUESTS.differential({ lines: [plain({ amount: '100.00', taxRate: '0.06', deduction: '100.00' })] });
    expect(preview(all).lines[0]).toMatchObject({ tax: '0.00', amountExcludingTax: '100.00' });
    expect(codes(KIND_REQUESTS.differential({ lines: [plain({ amount: '100.00', deduction: '100.01' })] }))).toEqual(['/lines/0/deduction deduction_exceeds_amount']);
    expect(codes(KIND_REQUESTS.differential({ lines: [plain({ amount: '100.00' })] }))).toEqual(['/lines/0/deduction deduction_required']);
    expect(codes(KIND_REQUESTS.differential({ lines: [plain({ amount: '100.00', deduction: '0.00' })] }))).toEqual(['/lines/0/deduction deduction_required']);
    expect(codes(KIND_REQUESTS.differential({ priceIncludesTax: false }))).toEqual(['/priceIncludesTax differential_tax_inclusive']);
    expect(codes(KIND_REQUESTS.differential({ lines: [plain({ amount: '100.00', deduction: '1.00' }), plain({ amount: '100.00' })] }))).toEqual(['/lines differential_one_line']);
    expect(codes(validRequest({ lines: [plain({ amount: '100.00', deduction: '1.00' })] }))).toEqual(['/lines/0/deduction deduction_not_differential']);
    expect(codes(validRequest({ taxation: 'partial' }))).toEqual(['/taxation value_not_allowed']);
  });
});

describe('特定业务', () => {
  it('reads a property lease: 120 平方米 at 50.00 including 9 %', () => {
    const invoice = preview(KIND_REQUESTS.propertyLease());
    // 6000 × 0.09 / 1.09 = 495.412… → 495.41; 金额 5504.59.
    expect(invoice.lines[0]).toMatchObject({ amountExcludingTax: '5504.59', tax: '495.41' });
    expect(invoice.specific).toEqual({
      kind: 'property_lease',
      province: '浙江省',
      city: '杭州市',
      address: '西湖区文三路 90 号 3 楼',
      leaseFrom: '2026-12-01',
      leaseTo: '2026-12-31',
      crossCity: false,
      certificateNo: '浙(2020)杭州市不动产权第0012345号',
    });
  });

  it('refuses a lease with a wrong place, period, unit or tax code, naming each field', () => {
    const lease = KIND_REQUESTS.propertyLease();
    const specific = lease.specific as JsonRecord;
    const leaseLine = (lease.lines as JsonRecord[])[0]!;
    expect(
      codes({
        ...lease,
        specific: { ...specific, province: '浙江', city: '杭州', address: '西湖边', leaseFrom: '2026-12-31', leaseTo: '2026-12-01', crossCity: 'N' },
        lines: [{ ...leaseLine, unit: '个', taxCode: '3070401000000000000' }],
      }),
    ).toEqual([
      '/specific/province place_province_form',
      '/specific/city place_city_form',
      '/specific/address place_address_form',
      '/specific/leaseTo lease_period_order',
      '/specific/crossCity type_invalid',
      '/lines/0/taxCode specific_tax_code',
      '/lines/0/unit lease_unit',
    ]);
    expect(codes({ ...lease, specific: { ...specific, leaseFrom: '2026-02-30' } })).toEqual(['/specific/leaseFrom date_format']);
    expect(codes({ ...lease, lines: [{ ...leaseLine, quantity: undefined, unitPrice: undefined }] })).toEqual(['/lines/0/quantity lease_area_required']);
    expect(codes({ ...lease, specific: { ...specific, certificateNo: undefined, colour: 'red' } })).toEqual(['/specific/colour field_unknown', '/specific/certificateNo field_required']);
    // A county directly under a province only in 重庆市 and 海南省; no city at all only in 香港, 澳门 and 台湾.
    expect(codes({ ...lease, specific: { ...specific, province: '重庆市', city: '城口县', address: '城口县葛城街道 1 号' } })).toEqual([]);
    expect(codes({ ...lease, specific: { ...specific, city: '桐庐县' } })).toEqual(['/specific/city place_city_form']);
    expect(codes({ ...lease, specific: { ...specific, province: '香港特别行政区', city: undefined, address: '皇后大道中 1 号' } })).toEqual([]);
    expect(codes({ ...lease, specific: { ...specific, city: undefined } })).toEqual(['/specific/city field_required']);
  });

  it('reads construction, freight and passenger transport, and refuses their broken forms', () => {
    // 109000 × 0.09 / 1.09 = 9000.00; 2180 → 180.00; 327 → 27.00.
    expect(preview(KIND_REQUESTS.construction()).totals).toMatchObject({ amount: '100000.00', tax: '9000.00' });
    expect(preview(KIND_REQUESTS.freight()).totals).toMatchObject({ amount: '2000.00', tax: '180.00' });
    expect(preview(KIND_REQUESTS.passenger()).totals).toMatchObject({ amount: '300.00', tax: '27.00' });
    expect(preview(KIND_REQUESTS.freight()).specific).toMatchObject({ kind: 'freight', shipments: [{ vehicleNo: '浙A12345' }, { vehicleNo: '沪B67890' }] });

    const construction = KIND_REQUESTS.construction();
    expect(codes({ ...construction, specific: { ...(construction.specific as JsonRecord), projectName: undefined } })).toEqual(['/specific/projectName field_required']);
    expect(codes(KIND_REQUESTS.construction({ lines: [plain({ amount: '1.00', taxRate: '0.09' })] }))).toEqual(['/lines/0/taxCode specific_tax_code']);
    expect(codes(KIND_REQUESTS.freight({ specific: { kind: 'freight', shipments: [] } }))).toEqual(['/specific/shipments specific_rows_count']);
    expect(codes(KIND_REQUESTS.freight({ specific: { kind: 'freight', shipments: [{ vehicleType: 'rocket', vehicleNo: 'X', from: 'A', to: 'B', goods: 'C' }] } }))).toEqual([
      '/specific/shipments/0/vehicleType value_not_allowed',
    ]);
    expect(codes(KIND_REQUESTS.passenger({ specific: { kind: 'passenger', travellers: [{ name: '李四', date: '2026-13-01', from: 'A', to: 'B', seatClass: '二等座', vehicleType: 'train' }] } }))).toEqual([
      '/specific/travellers/0/date date_format',
    ]);
    expect(codes(validRequest({ specific: { kind: 'hotel' } }))).toEqual(['/specific/kind value_not_allowed']);
    expect(codes(validRequest({ specific: 'lease' }))).toEqual(['/specific type_invalid']);
  });
});
