import { describe, expect, it } from 'vitest';
import { readInvoiceRequest } from '../../src/domain/read-invoice-request.js';
import type { FieldError } from '../../src/domain/field-error.js';
import { validLine, validRequest, validSpecialRequest, type JsonRecord } from '../support/invoice-request.js';

function errors(input: unknown): Array<Pick<FieldError, 'path' | 'code'>> {
  const result = readInvoiceRequest(input);
  return result.ok ? [] : result.errors.map(({ path, code }) => ({ path, code }));
}

function withLine(line: JsonRecord, overrides: JsonRecord = {}): JsonRecord {
  return validRequest({ lines: [line], ...overrides });
}

describe('a valid request', () => {
  it('reads into a draft with exact values', () => {
    const result = readInvoiceRequest(validRequest());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.draft.lines[0]?.amount).toBe(106000n);
    expect(result.draft.lines[0]?.taxRate.code).toBe('0.06');
    expect(result.draft.buyer.taxId).toBe('91330100716105852F');
  });

  it('takes JSON null as an absent optional field', () => {
    expect(errors(validRequest({ remarks: null, drawer: null, buyer: { name: '张三', taxId: null } }))).toEqual([]);
  });

  it('lets a normal invoice to an individual omit the buyer tax ID', () => {
    expect(errors(validRequest({ buyer: { name: '张三' } }))).toEqual([]);
  });

  it('counts lengths in characters, not bytes: 100 汉字 fit a buyer name, 101 do not', () => {
    expect(errors(validRequest({ buyer: { name: '汉'.repeat(100) } }))).toEqual([]);
    expect(errors(validRequest({ buyer: { name: '汉'.repeat(101) } }))).toEqual([{ path: '/buyer/name', code: 'string_too_long' }]);
  });

  it('accepts a rate written with trailing zeros and normalises it', () => {
    const result = readInvoiceRequest(withLine(validLine({ taxRate: '0.060000' })));
    expect(result.ok && result.draft.lines[0]?.taxRate.code).toBe('0.06');
  });
});

describe('every field of the wrong type or shape', () => {
  it.each<[string, JsonRecord, string, string]>([
    ['orderNo number', { orderNo: 123 }, '/orderNo', 'type_invalid'],
    ['orderNo missing', { orderNo: undefined }, '/orderNo', 'field_required'],
    ['orderNo blank', { orderNo: '   ' }, '/orderNo', 'string_empty'],
    ['orderNo too long', { orderNo: 'x'.repeat(65) }, '/orderNo', 'string_too_long'],
    ['orderNo with a line break', { orderNo: 'SO\n1' }, '/orderNo', 'string_control_characters'],
    ['orderNo with a lone high surrogate', { orderNo: 'SUR-\ud800' }, '/orderNo', 'string_unicode_invalid'],
    ['buyer name with a lone low surrogate', { buyer: { name: '\udc00张三' } }, '/buyer/name', 'string_unicode_invalid'],
    ['remarks with a right-to-left override', { remarks: '合同号 \u202eHT-88' }, '/remarks', 'string_invisible_characters'],
    ['buyer name with a bidi isolate', { buyer: { name: '张三\u2067' } }, '/buyer/name', 'string_invisible_characters'],
    ['drawer with a zero-width space', { drawer: '王\u200b会计' }, '/drawer', 'string_invisible_characters'],
    ['orderNo with a byte-order mark', { orderNo: '\ufeffSO-1' }, '/orderNo', 'string_invisible_characters'],
    ['type unknown', { type: 'vat' }, '/type', 'value_not_allowed'],
    ['type boolean', { type: true }, '/type', 'type_invalid'],
    ['seller a string', { seller: '91330106MA2B0Y5R34' }, '/seller', 'type_invalid'],
    ['seller missing', { seller: undefined }, '/seller', 'field_required'],
    ['seller tax ID missing', { seller: {} }, '/seller/taxId', 'field_required'],
    ['seller tax ID typo', { seller: { taxId: '91330106MA2B0Y5R35' } }, '/seller/taxId', 'tax_id_checksum'],
    ['seller name given', { seller: { taxId: '91330106MA2B0Y5R34', name: 'x' } }, '/seller/name', 'field_unknown'],
    ['buyer an array', { buyer: [] }, '/buyer', 'type_invalid'],
    ['buyer name missing', { buyer: { taxId: '91330100716105852F' } }, '/buyer/name', 'field_required'],
    ['buyer tax ID number', { buyer: { name: 'a', taxId: 913301007161 } }, '/buyer/taxId', 'type_invalid'],
    ['buyer tax ID short', { buyer: { name: 'a', taxId: '1234' } }, '/buyer/taxId', 'tax_id_format'],
    ['buyer phone letters', { buyer: { name: 'a', phone: 'call me' } }, '/buyer/phone', 'phone_format'],
    ['buyer e-mail', { buyer: { name: 'a', email: 'ap.example.com' } }, '/buyer/email', 'email_format'],
    ['buyer bank account', { buyer: { name: 'a', bankAccount: '12#34' } }, '/buyer/bankAccount', 'bank_account_format'],
    ['priceIncludesTax a string', { priceIncludesTax: 'true' }, '/priceIncludesTax', 'type_invalid'],
    ['priceIncludesTax missing', { priceIncludesTax: undefined }, '/priceIncludesTax', 'field_required'],
    ['lines an object', { lines: {} }, '/lines', 'type_invalid'],
    ['lines empty', { lines: [] }, '/lines', 'lines_empty'],
    ['a line a string', { lines: ['*a*b'] }, '/lines/0', 'type_invalid'],
    ['remarks too long', { remarks: '备'.repeat(201) }, '/remarks', 'string_too_long'],
    ['remarks number', { remarks: 5 }, '/remarks', 'type_invalid'],
    ['drawer too long', { drawer: '王'.repeat(21) }, '/drawer', 'string_too_long'],
    ['unknown top-level field', { currency: 'CNY' }, '/currency', 'field_unknown'],
    ['unknown field with / in its name', { 'a/b~c': 1 }, '/a~1b~0c', 'field_unknown'],
  ])('%s', (_name, overrides, path, code) => {
    expect(errors(validRequest(overrides))).toEqual([{ path, code }]);
  });

  it.each<[string, JsonRecord, string, string]>([
    ['name without *简称*', { name: '软件开发服务' }, '/lines/0/name', 'line_name_format'],
    ['name with an empty 简称', { name: '**软件' }, '/lines/0/name', 'line_name_format'],
    ['taxCode 18 digits', { taxCode: '304020101000000000' }, '/lines/0/taxCode', 'tax_code_format'],
    ['taxCode starting 7', { taxCode: '7040201010000000000' }, '/lines/0/taxCode', 'tax_code_format'],
    ['taxCode a number', { taxCode: 3040201010000000000 }, '/lines/0/taxCode', 'type_invalid'],
    ['spec too long', { spec: 'x'.repeat(41) }, '/lines/0/spec', 'string_too_long'],
    ['unit too long', { unit: 'x'.repeat(21) }, '/lines/0/unit', 'string_too_long'],
    ['quantity a number', { quantity: 1 }, '/lines/0/quantity', 'decimal_format'],
    ['quantity exponent', { quantity: '1e0' }, '/lines/0/quantity', 'decimal_format'],
    ['quantity 9 decimals', { quantity: '1.000000000' }, '/lines/0/quantity', 'decimal_too_precise'],
    ['quantity 13 digits', { quantity: '1000000000000' }, '/lines/0/quantity', 'decimal_too_large'],
    ['quantity zero', { quantity: '0', amount: undefined }, '/lines/0/quantity', 'value_not_positive'],
    ['quantity negative', { quantity: '-1' }, '/lines/0/quantity', 'value_not_positive'],
    ['unitPrice NaN', { unitPrice: 'NaN' }, '/lines/0/unitPrice', 'decimal_format'],
    ['amount a number', { amount: 1060 }, '/lines/0/amount', 'decimal_format'],
    ['amount 3 decimals', { amount: '1060.001' }, '/lines/0/amount', 'decimal_too_precise'],
    ['amount negative', { amount: '-1060.00' }, '/lines/0/amount', 'value_not_positive'],
    ['amount zero', { quantity: undefined, unitPrice: undefined, amount: '0.00' }, '/lines/0/amount', 'value_not_positive'],
    ['amount empty string', { amount: '' }, '/lines/0/amount', 'decimal_format'],
    ['amount missing without price', { quantity: undefined, unitPrice: undefined, amount: undefined }, '/lines/0/amount', 'field_required'],
    ['quantity without unitPrice', { unitPrice: undefined }, '/lines/0/unitPrice', 'quantity_price_pair'],
    ['unitPrice without quantity', { quantity: undefined }, '/lines/0/quantity', 'quantity_price_pair'],
    ['amount off by 0.02', { amount: '1060.02' }, '/lines/0/amount', 'amount_mismatch'],
    ['taxRate unknown', { taxRate: '0.17' }, '/lines/0/taxRate', 'tax_rate_unknown'],
    ['taxRate as percent', { taxRate: '13%' }, '/lines/0/taxRate', 'tax_rate_unknown'],
    ['taxRate a number', { taxRate: 0.13 }, '/lines/0/taxRate', 'type_invalid'],
    ['taxRate missing', { taxRate: undefined }, '/lines/0/taxRate', 'field_required'],
    ['kind unknown', { kind: 'gift' }, '/lines/0/kind', 'value_not_allowed'],
    ['unknown line field', { discountRate: '0.1' }, '/lines/0/discountRate', 'field_unknown'],
    ['不征税 code with a rate', { taxCode: '6010000000000000000', taxRate: '0.06' }, '/lines/0/taxRate', 'tax_rate_not_allowed'],
  ])('line: %s', (_name, overrides, path, code) => {
    expect(errors(withLine(validLine(overrides)))).toEqual([{ path, code }]);
  });

  it('is refused as a whole when it is not an object', () => {
    for (const body of [null, 42, 'invoice', [validRequest()], true]) {
      expect(errors(body)).toEqual([{ path: '', code: body === null ? 'field_required' : 'type_invalid' }]);
    }
  });
});

describe('all errors at once', () => {
  it('reports each wrong field of a badly wrong request, in order', () => {
    const found = errors({
      orderNo: 7,
      type: 'vat',
      seller: { taxId: 'x' },
      buyer: { name: '' },
      priceIncludesTax: 1,
      lines: [validLine({ taxRate: '0.17' }), validLine({ amount: '1.005' })],
    });
    expect(found).toEqual([
      { path: '/orderNo', code: 'type_invalid' },
      { path: '/type', code: 'value_not_allowed' },
      { path: '/seller/taxId', code: 'tax_id_format' },
      { path: '/buyer/name', code: 'string_empty' },
      { path: '/priceIncludesTax', code: 'type_invalid' },
      { path: '/lines/0/taxRate', code: 'tax_rate_unknown' },
      { path: '/lines/1/amount', code: 'decimal_too_precise' },
    ]);
  });

  it('gives every problem a message in English and Chinese', () => {
    const result = readInvoiceRequest({ lines: [{}] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const item of result.errors) {
      expect(item.message.length).toBeGreaterThan(5);
      expect(item.messageZh).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe('line count', () => {
  it('accepts 2,000 lines and refuses 2,001 with one problem, not one per line', () => {
    const lines = (count: number) => Array.from({ length: count }, () => validLine());
    expect(errors(validRequest({ lines: lines(2000) }))).toEqual([]);
    expect(errors(validRequest({ lines: lines(2001).map(() => ({})) }))).toEqual([{ path: '/lines', code: 'lines_too_many' }]);
  });
});

describe('special VAT invoices (增值税专用发票)', () => {
  it('accept a buyer named in full', () => {
    expect(errors(validSpecialRequest())).toEqual([]);
  });

  it('need the buyer tax ID, address and bank', () => {
    expect(errors(validSpecialRequest({ buyer: { name: '杭州某某科技有限公司' } }))).toEqual([
      { path: '/buyer/taxId', code: 'field_required' },
      { path: '/buyer/address', code: 'field_required' },
      { path: '/buyer/bankName', code: 'field_required' },
      { path: '/buyer/bankAccount', code: 'field_required' },
    ]);
  });

  it('cannot go to a natural person (a resident identity number), but can to a 个体户 (its 20-character ID)', () => {
    const buyer = (taxId: string) => ({ buyer: { name: '张三', taxId, address: '杭州', bankName: '工行', bankAccount: '1202' } });
    expect(errors(validSpecialRequest(buyer('11010519491231002X')))).toEqual([{ path: '/buyer/taxId', code: 'special_invoice_natural_person' }]);
    expect(errors(validSpecialRequest(buyer('11010519491231002X01')))).toEqual([]);
    expect(errors(validRequest({ buyer: { name: '张三', taxId: '11010519491231002X' } }))).toEqual([]);
  });

  it('cannot carry tax-free lines', () => {
    expect(errors(validSpecialRequest({ lines: [validLine({ taxRate: 'free' })] }))).toEqual([
      { path: '/lines/0/taxRate', code: 'special_invoice_tax_free' },
    ]);
  });
});

describe('discount lines (折扣行)', () => {
  const discounted = validLine({ quantity: '1', unitPrice: '600.00', amount: '600.00', taxRate: '0.13', taxCode: '1090511030000000000', name: '*电子计算机*笔记本电脑' });
  const discount = (overrides: JsonRecord = {}): JsonRecord => ({
    kind: 'discount',
    name: '*电子计算机*笔记本电脑',
    taxCode: '1090511030000000000',
    taxRate: '0.13',
    amount: '-60.00',
    ...overrides,
  });

  it('follow the discounted line with a negative amount', () => {
    expect(errors(validRequest({ lines: [discounted, discount()] }))).toEqual([]);
  });

  it.each<[string, JsonRecord[], string, string]>([
    ['first line', [discount(), discounted], '/lines/0/kind', 'discount_without_line'],
    ['after another discount', [discounted, discount({ amount: '-1.00' }), discount({ amount: '-1.00' })], '/lines/2/kind', 'discount_without_line'],
    ['other name', [discounted, discount({ name: '*电子计算机*平板电脑' })], '/lines/1/name', 'discount_line_mismatch'],
    ['other tax code', [discounted, discount({ taxCode: '1090511040000000000' })], '/lines/1/taxCode', 'discount_line_mismatch'],
    ['other rate', [discounted, discount({ taxRate: '0.09' })], '/lines/1/taxRate', 'discount_line_mismatch'],
    ['positive amount', [discounted, discount({ amount: '60.00' })], '/lines/1/amount', 'discount_not_negative'],
    ['larger than the line', [discounted, discount({ amount: '-600.01' })], '/lines/1/amount', 'discount_exceeds_line'],
    ['with a quantity', [discounted, discount({ quantity: '1' })], '/lines/1/quantity', 'discount_field_forbidden'],
    ['with a unit price', [discounted, discount({ unitPrice: '60' })], '/lines/1/unitPrice', 'discount_field_forbidden'],
    ['with a spec', [discounted, discount({ spec: 'X1' })], '/lines/1/spec', 'discount_field_forbidden'],
    ['with a unit', [discounted, discount({ unit: '台' })], '/lines/1/unit', 'discount_field_forbidden'],
    ['without an amount', [discounted, discount({ amount: undefined })], '/lines/1/amount', 'field_required'],
  ])('refused: %s', (_name, lines, path, code) => {
    expect(errors(validRequest({ lines }))).toEqual([{ path, code }]);
  });
});

describe('sandbox sellers', () => {
  it('accept a registered sandbox ID that is no valid USCC, and only that one', () => {
    const request = validRequest({ seller: { taxId: '339902999999789113' } });
    expect(errors(request)).toEqual([{ path: '/seller/taxId', code: 'tax_id_checksum' }]);
    const sandbox = (taxId: string) => taxId === '339902999999789113';
    expect(readInvoiceRequest(request, { isSandboxSeller: sandbox }).ok).toBe(true);
    const other = validRequest({ seller: { taxId: '339902999999789114' } });
    expect(readInvoiceRequest(other, { isSandboxSeller: sandbox }).ok).toBe(false);
  });
});
