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

/**
 * One request of each kind of invoice (docs/invoice-kinds.md), with figures a person can check:
 * each test states the amounts it expects, worked out by hand beside it.
 */
export const KIND_REQUESTS = {
  /** 差额征税: 10,000.00 including 6 %, 6,000.00 deducted: tax (10000 − 6000) × 0.06 / 1.06 = 226.415… → 226.42. */
  differential: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-DIFF-1',
      taxation: 'differential',
      lines: [validLine({ name: '*人力资源服务*劳务派遣服务', taxCode: '3040802010200000000', spec: undefined, unit: undefined, quantity: undefined, unitPrice: undefined, amount: '10000.00', taxRate: '0.06', deduction: '6000.00' })],
      ...overrides,
    }),
  /** 不动产经营租赁: 120 平方米 at 50.00 including 9 %: 6,000.00, tax 6000 × 0.09 / 1.09 = 495.4128… → 495.41. */
  propertyLease: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-LEASE-1',
      lines: [validLine({ name: '*经营租赁*商铺租金', taxCode: '3040502020400000000', spec: undefined, unit: '平方米', quantity: '120', unitPrice: '50.00', amount: '6000.00', taxRate: '0.09' })],
      specific: {
        kind: 'property_lease',
        province: '浙江省',
        city: '杭州市',
        address: '西湖区文三路 90 号 3 楼',
        leaseFrom: '2026-12-01',
        leaseTo: '2026-12-31',
        crossCity: false,
        certificateNo: '浙(2020)杭州市不动产权第0012345号',
      },
      ...overrides,
    }),
  /** 建筑服务: 109,000.00 including 9 %: tax 109000 × 0.09 / 1.09 = 9,000.00 exactly. */
  construction: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-BUILD-1',
      lines: [validLine({ name: '*建筑服务*工程服务', taxCode: '3050100000000000000', spec: undefined, unit: undefined, quantity: undefined, unitPrice: undefined, amount: '109000.00', taxRate: '0.09' })],
      specific: { kind: 'construction', province: '江苏省', city: '苏州市', address: '工业园区星湖街 328 号', projectName: '星湖街厂房改造工程', crossCity: true },
      ...overrides,
    }),
  /** 货物运输服务: 2,180.00 including 9 %: tax 2180 × 0.09 / 1.09 = 180.00 exactly. */
  freight: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-FREIGHT-1',
      lines: [validLine({ name: '*运输服务*国内道路货物运输服务', taxCode: '3010102020100000000', spec: undefined, unit: undefined, quantity: undefined, unitPrice: undefined, amount: '2180.00', taxRate: '0.09' })],
      specific: {
        kind: 'freight',
        shipments: [
          { vehicleType: 'road', vehicleNo: '浙A12345', from: '浙江省杭州市', to: '上海市浦东新区', goods: '电子元件' },
          { vehicleType: 'road', vehicleNo: '沪B67890', from: '上海市浦东新区', to: '江苏省苏州市', goods: '电子元件' },
        ],
      },
      ...overrides,
    }),
  /** 旅客运输服务: 327.00 including 9 %: tax 327 × 0.09 / 1.09 = 27.00 exactly. */
  passenger: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-TRIP-1',
      lines: [validLine({ name: '*运输服务*客运服务', taxCode: '3010101020000000000', spec: undefined, unit: undefined, quantity: undefined, unitPrice: undefined, amount: '327.00', taxRate: '0.09' })],
      specific: {
        kind: 'passenger',
        travellers: [{ name: '李四', idNumber: '110101199003078515', date: '2026-12-05', from: '杭州东', to: '北京南', seatClass: '二等座', vehicleType: 'train' }],
      },
      ...overrides,
    }),
  /** 免税 (exempt, rate 0) for a natural person, with 收款人 and 复核人: 500.00, no tax. */
  exemptForPerson: (overrides: JsonRecord = {}): JsonRecord =>
    validRequest({
      orderNo: 'SO-EXEMPT-1',
      buyer: { name: '张三', naturalPerson: true },
      payee: '李出纳',
      reviewer: '赵复核',
      lines: [validLine({ name: '*蔬菜*有机白菜', taxCode: '1010112010000000000', spec: undefined, unit: '千克', quantity: '100', unitPrice: '5.00', amount: '500.00', taxRate: '0', policy: 'exempt' })],
      ...overrides,
    }),
};
