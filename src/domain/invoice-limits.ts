/**
 * Size limits of an invoice request (domain.md decision 5 and §2.3/§2.4): the lowest common
 * denominator of the tax platform and the providers (诺诺), so a request we accept is not refused
 * upstream for its size.
 */
export const INVOICE_LIMITS = {
  /** 诺诺: 2,000 lines including discount lines; 乐企 recommends ≤ 2,000. */
  maxLines: 2000,
  orderNoLength: 64,
  buyerNameLength: 100,
  /** 诺诺 buyerAddress 80 */
  addressLength: 80,
  /** 诺诺 buyerTel 50 */
  phoneLength: 50,
  bankNameLength: 100,
  /** 乐企 gmfzh 50 */
  bankAccountLength: 50,
  emailLength: 100,
  /** The whole `*简称*项目名称`. */
  lineNameLength: 100,
  /** 诺诺 specType 40 */
  specLength: 40,
  /** 诺诺 unit 20 */
  unitLength: 20,
  /** 数电 remarks through providers: 200 */
  remarksLength: 200,
  /** 诺诺 clerk 20 */
  drawerLength: 20,
  /** Quantity and unit price: 8 decimals (诺诺), 12 integer digits (电子税局). */
  quantityDecimals: 8,
  quantityIntegerDigits: 12,
} as const;
