// Builders of invoice requests for tests: a valid request that each test bends in one place.
export type JsonRecord = Record<string, unknown>;

export function validLine(overrides: JsonRecord = {}): JsonRecord {
  return {
    name: '*信息技术服务*软件开发服务',
    taxCode: '3040201010000000000',
    spec: 'V2',
    unit: '项',
    quantity: '1',
    unitPrice: '1060.00',
    amount: '1060.00',
    taxRate: '0.06',
    ...overrides,
  };
}

export function validRequest(overrides: JsonRecord = {}): JsonRecord {
  return {
    orderNo: 'SO-2026-000123',
    type: 'normal',
    seller: { taxId: '91330106MA2B0Y5R34' },
    buyer: { name: '杭州某某科技有限公司', taxId: '91330100716105852F', email: 'ap@example.com' },
    priceIncludesTax: true,
    lines: [validLine()],
    remarks: '合同号 HT-88',
    drawer: '王会计',
    ...overrides,
  };
}

/** domain.md §5.4: oats, 2 × 100.00 at 9 %, and a service line of 50.00 at 6 %, prices excluding tax: every red-flush reason applies. */
export function goodsAndServiceRequest(overrides: JsonRecord = {}): JsonRecord {
  return validRequest({
    priceIncludesTax: false,
    lines: [
      validLine({ name: '*谷物*燕麦', taxCode: '1010101020000000000', spec: undefined, unit: '袋', quantity: '2', unitPrice: '100.00', amount: '200.00', taxRate: '0.09' }),
      validLine({ quantity: undefined, unitPrice: undefined, amount: '50.00', taxRate: '0.06' }),
    ],
    ...overrides,
  });
}

/** A special VAT invoice request with every buyer field it needs. */
export function validSpecialRequest(overrides: JsonRecord = {}): JsonRecord {
  return validRequest({
    type: 'special',
    buyer: {
      name: '杭州某某科技有限公司',
      taxId: '91330100716105852F',
      address: '杭州市西湖区文三路 1 号',
      phone: '0571-88888888',
      bankName: '中国工商银行杭州分行',
      bankAccount: '1202020209900012345',
    },
    ...overrides,
  });
}
