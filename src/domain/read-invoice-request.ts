/**
 * Turns an untrusted invoice request (shared/api.md) into an InvoiceDraft, or into the complete
 * list of its errors. Rules per field follow domain.md; rules across lines (discounts) live in
 * discount-lines.ts, rules on totals in compute-invoice.ts.
 */
import { formatDecimal, multiplyDecimals, rescaleHalfUp, type Decimal } from './decimal.js';
import { checkDiscountLines } from './discount-lines.js';
import {
  INVOICE_TYPES,
  LINE_KINDS,
  NATURAL_PERSON_SUFFIX,
  TAXATIONS,
  type BuyerDraft,
  type InvoiceDraft,
  type InvoiceType,
  type LineDraft,
} from './invoice-draft.js';
import { INVOICE_LIMITS as LIMITS } from './invoice-limits.js';
import { formatFen, type Fen } from './money.js';
import { pointer, fieldError, type FieldError } from './field-error.js';
import { BANK_ACCOUNT_FORM, EMAIL_FORM, LINE_NAME_FORM, PHONE_FORM, TAX_CODE_FORM } from './field-forms.js';
import { RequestReader, type JsonObject } from './request-reader.js';
import { isResidentIdNumber, taxIdFault, usccCheckCharacter } from './tax-id.js';
import { parseTaxRate, TAX_RATE_CODES, TAX_RATES, type TaxRate } from './tax-rate.js';
import { findTaxPolicy, impliedPolicy, policyAllowsRate, policyRatesText, TAX_POLICY_NAMES, type TaxPolicy } from './tax-policy.js';
import { checkSpecificLine, readSpecificBusiness, type SpecificKind } from './specific-business.js';
import { priceAgreesWithAmount } from './tolerance.js';

export type ReadInvoiceResult = { ok: true; draft: InvoiceDraft } | { ok: false; errors: FieldError[] };

export interface ReadOptions {
  /**
   * Seller IDs registered as a provider sandbox (诺诺's 339902999999789113 is no valid USCC):
   * accepted without the check-digit rule (domain.md decision 4).
   */
  readonly isSandboxSeller?: (taxId: string) => boolean;
}

const REQUEST_FIELDS = ['orderNo', 'type', 'seller', 'buyer', 'priceIncludesTax', 'lines', 'remarks', 'drawer', 'payee', 'reviewer', 'taxation', 'specific', 'quotaPolicy', 'priority'];
/** Beyond the month's 发票额度: wait for it (default), or be refused at once (docs/quota.md). */
const QUOTA_POLICIES = ['wait', 'refuse'] as const;
/** A seller's reserve of quota is kept for high-priority invoices. */
const PRIORITIES = ['normal', 'high'] as const;
const BUYER_FIELDS = ['name', 'taxId', 'address', 'phone', 'bankName', 'bankAccount', 'email', 'naturalPerson'];
const LINE_FIELDS = ['name', 'taxCode', 'spec', 'unit', 'quantity', 'unitPrice', 'amount', 'taxRate', 'kind', 'policy', 'deduction'];
/** Fields a discount line (折扣行) must leave empty ([LQ-KP] §2.2.4.2). */
const DISCOUNT_FORBIDDEN = ['spec', 'unit', 'quantity', 'unitPrice'];


/** Validates a whole request, reporting every problem at once. */
export function readInvoiceRequest(input: unknown, options: ReadOptions = {}): ReadInvoiceResult {
  const reader = new RequestReader();
  const body = reader.object(input, '', true);
  if (!body) return { ok: false, errors: reader.errors };
  reader.onlyKnownFields(body, '', REQUEST_FIELDS);

  const orderNo = reader.string(body, 'orderNo', '', { required: true, max: LIMITS.orderNoLength });
  const type = reader.choice(body, 'type', '', INVOICE_TYPES, true);
  const sellerTaxId = readSeller(reader, body, options);
  const buyer = readBuyer(reader, body, type);
  const priceIncludesTax = reader.boolean(body, 'priceIncludesTax', '');
  const { kind: specificKind, business: specific } = readSpecificBusiness(reader, body.specific);
  const taxation = reader.choice(body, 'taxation', '', TAXATIONS, false) ?? 'normal';
  const lines = readLines(reader, body, type, specificKind);
  const remarks = reader.string(body, 'remarks', '', { required: false, max: LIMITS.remarksLength });
  const drawer = reader.string(body, 'drawer', '', { required: false, max: LIMITS.drawerLength });
  const payee = reader.string(body, 'payee', '', { required: false, max: LIMITS.drawerLength });
  const reviewer = reader.string(body, 'reviewer', '', { required: false, max: LIMITS.drawerLength });
  const quotaPolicy = reader.choice(body, 'quotaPolicy', '', QUOTA_POLICIES, false) ?? 'wait';
  const priority = reader.choice(body, 'priority', '', PRIORITIES, false) ?? 'normal';
  if (lines) checkWholeInvoice(reader, { lines, taxation, specificKind, priceIncludesTax });

  if (
    reader.errors.length > 0 ||
    orderNo === undefined ||
    type === undefined ||
    sellerTaxId === undefined ||
    buyer === undefined ||
    priceIncludesTax === undefined ||
    lines === undefined
  ) {
    return { ok: false, errors: reader.errors };
  }
  return {
    ok: true,
    draft: {
      orderNo,
      type,
      seller: { taxId: sellerTaxId },
      buyer,
      priceIncludesTax,
      lines,
      ...(remarks !== undefined && { remarks }),
      ...(drawer !== undefined && { drawer }),
      ...(payee !== undefined && { payee }),
      ...(reviewer !== undefined && { reviewer }),
      ...(taxation === 'differential' && { taxation }),
      ...(specific !== undefined && { specific }),
      ...(quotaPolicy === 'refuse' && { quotaPolicy }),
      ...(priority === 'high' && { priority }),
    },
  };
}

interface WholeInvoice {
  readonly lines: readonly LineDraft[];
  readonly taxation: 'normal' | 'differential';
  readonly specificKind: SpecificKind | undefined;
  readonly priceIncludesTax: boolean | undefined;
}

/** Rules across the lines: policies that cannot be mixed, the 1.5 % lease rate, 差额征税. */
function checkWholeInvoice(reader: RequestReader, invoice: WholeInvoice): void {
  const { lines } = invoice;
  const policyOf = (line: LineDraft) => line.policy?.name;
  // 不征税 and the reduced 1.5 % cannot share an invoice with other lines ([LQ-LK]).
  for (const name of ['not_taxable', 'reduced_1_5']) {
    if (!lines.some((line) => policyOf(line) === name)) continue;
    const other = lines.findIndex((line) => policyOf(line) !== name);
    if (other >= 0) reader.report(fieldError(pointer(pointer('/lines', other), 'policy'), 'policy_not_mixable', { policy: name }));
  }
  if (lines.some((line) => policyOf(line) === 'reduced_1_5')) {
    if (invoice.specificKind !== 'property_lease') reader.report(fieldError('/specific', 'reduced_rate_property_lease_only'));
    if (lines.length !== 1) reader.report(fieldError('/lines', 'reduced_rate_single_line'));
  }
  if (invoice.taxation !== 'differential') {
    lines.forEach((line, index) => {
      if (line.deduction !== undefined) reader.report(fieldError(pointer(pointer('/lines', index), 'deduction'), 'deduction_not_differential'));
    });
    return;
  }
  // 差额征税: one line, no discount, tax on the amount including tax less the deduction ([LQ-KP] 2.2.4.2).
  if (lines.length !== 1) reader.report(fieldError('/lines', 'differential_one_line'));
  if (invoice.priceIncludesTax === false) reader.report(fieldError('/priceIncludesTax', 'differential_tax_inclusive'));
  const line = lines[0]!;
  const at = pointer('/lines/0', 'deduction');
  if (line.deduction === undefined || line.deduction <= 0n) reader.report(fieldError(at, 'deduction_required'));
  else if (line.deduction > line.amount) reader.report(fieldError(at, 'deduction_exceeds_amount', { deduction: formatFen(line.deduction), amount: formatFen(line.amount) }));
}

function readTaxId(reader: RequestReader, object: JsonObject, path: string, required: boolean, sandbox?: (taxId: string) => boolean): string | undefined {
  const taxId = reader.string(object, 'taxId', path, { required, max: 64 });
  if (taxId === undefined || sandbox?.(taxId)) return taxId;
  const fault = taxIdFault(taxId);
  if (fault === 'tax_id_format') reader.report(fieldError(pointer(path, 'taxId'), 'tax_id_format'));
  if (fault === 'tax_id_checksum') {
    reader.report(fieldError(pointer(path, 'taxId'), 'tax_id_checksum', { expected: usccCheckCharacter(taxId.slice(0, 17)) }));
  }
  return fault ? undefined : taxId;
}

function readSeller(reader: RequestReader, body: JsonObject, options: ReadOptions): string | undefined {
  const seller = reader.object(body.seller, '/seller', true);
  if (!seller) return undefined;
  reader.onlyKnownFields(seller, '/seller', ['taxId'], {
    en: "the seller's name, address and bank come from its registered profile",
    zh: '销售方名称、地址和开户行取自已登记的销售方档案',
  });
  return readTaxId(reader, seller, '/seller', true, options.isSandboxSeller);
}

function readBuyer(reader: RequestReader, body: JsonObject, type: InvoiceType | undefined): BuyerDraft | undefined {
  const buyer = reader.object(body.buyer, '/buyer', true);
  if (!buyer) return undefined;
  reader.onlyKnownFields(buyer, '/buyer', BUYER_FIELDS);
  // A special VAT invoice lets the buyer deduct input tax, so it must name the buyer fully.
  const special = type === 'special';
  const before = reader.errors.length;
  const naturalPerson = buyer.naturalPerson === undefined || buyer.naturalPerson === null ? false : reader.boolean(buyer, 'naturalPerson', '/buyer');
  // The issued name gains （个人）, which must still fit the name's length.
  const nameLength = LIMITS.buyerNameLength - (naturalPerson ? NATURAL_PERSON_SUFFIX.length : 0);
  const name = reader.string(buyer, 'name', '/buyer', { required: true, max: nameLength });
  if (naturalPerson && special) reader.report(fieldError(pointer('/buyer', 'naturalPerson'), 'natural_person_special'));
  if (naturalPerson && name !== undefined && [...name].length < 2) reader.report(fieldError(pointer('/buyer', 'name'), 'natural_person_name_short'));
  const taxId = readTaxId(reader, buyer, '/buyer', special);
  // A resident identity number names a natural person, who cannot deduct input tax: no 专票
  // (a 个体户 has the 20-character form, ID number and a sequence, and may receive one).
  if (special && taxId !== undefined && isResidentIdNumber(taxId)) reader.report(fieldError(pointer('/buyer', 'taxId'), 'special_invoice_natural_person'));
  const address = reader.string(buyer, 'address', '/buyer', { required: special, max: LIMITS.addressLength });
  const phone = reader.string(buyer, 'phone', '/buyer', {
    required: false,
    max: LIMITS.phoneLength,
    shape: { pattern: PHONE_FORM, code: 'phone_format' },
  });
  const bankName = reader.string(buyer, 'bankName', '/buyer', { required: special, max: LIMITS.bankNameLength });
  const bankAccount = reader.string(buyer, 'bankAccount', '/buyer', {
    required: special,
    max: LIMITS.bankAccountLength,
    shape: { pattern: BANK_ACCOUNT_FORM, code: 'bank_account_format' },
  });
  const email = reader.string(buyer, 'email', '/buyer', {
    required: false,
    max: LIMITS.emailLength,
    shape: { pattern: EMAIL_FORM, code: 'email_format' },
  });
  if (name === undefined || reader.errors.length > before) return undefined;
  return {
    name,
    ...(taxId !== undefined && { taxId }),
    ...(address !== undefined && { address }),
    ...(phone !== undefined && { phone }),
    ...(bankName !== undefined && { bankName }),
    ...(bankAccount !== undefined && { bankAccount }),
    ...(email !== undefined && { email }),
    ...(naturalPerson === true && { naturalPerson }),
  };
}

function readLines(reader: RequestReader, body: JsonObject, type: InvoiceType | undefined, specific: SpecificKind | undefined): LineDraft[] | undefined {
  const value = body.lines;
  if (value === undefined || value === null) {
    reader.report(fieldError('/lines', 'field_required'));
    return undefined;
  }
  const items = reader.lines(value, LIMITS.maxLines);
  if (!items) return undefined;
  const lines = items.map((line: unknown, index) => readLine(reader, line, pointer('/lines', index), type, specific));
  checkDiscountLines(lines, (item) => reader.report(item));
  return lines.every((line) => line !== undefined) ? lines : undefined;
}

function readLine(
  reader: RequestReader,
  value: unknown,
  path: string,
  type: InvoiceType | undefined,
  specific: SpecificKind | undefined,
): LineDraft | undefined {
  const line = reader.object(value, path, true);
  if (!line) return undefined;
  const before = reader.errors.length;
  reader.onlyKnownFields(line, path, LINE_FIELDS);
  const kind = reader.choice(line, 'kind', path, LINE_KINDS, false) ?? 'normal';
  const discount = kind === 'discount';

  const name = reader.string(line, 'name', path, { required: true, max: LIMITS.lineNameLength });
  if (name !== undefined && !LINE_NAME_FORM.test(name)) reader.report(fieldError(pointer(path, 'name'), 'line_name_format'));
  const taxCode = reader.string(line, 'taxCode', path, { required: true, max: 64 });
  if (taxCode !== undefined && !TAX_CODE_FORM.test(taxCode)) reader.report(fieldError(pointer(path, 'taxCode'), 'tax_code_format'));
  const spec = reader.string(line, 'spec', path, { required: false, max: LIMITS.specLength });
  const unit = reader.string(line, 'unit', path, { required: false, max: LIMITS.unitLength });
  const quantityLimits = {
    maxDecimals: LIMITS.quantityDecimals,
    maxIntegerDigits: LIMITS.quantityIntegerDigits,
    allowNegative: false,
  };
  const quantity = positive(reader, reader.decimal(line, 'quantity', path, quantityLimits, '2.5'), pointer(path, 'quantity'));
  const unitPrice = positive(reader, reader.decimal(line, 'unitPrice', path, quantityLimits, '424.00'), pointer(path, 'unitPrice'));
  const policy = readPolicy(reader, line, path);
  const taxRate = readTaxRate(reader, line, path, taxCode, type, policy);
  const deduction = hasValue(line, 'deduction') ? reader.money(line, 'deduction', path, false) : undefined;
  if (specific) checkSpecificLine(reader, specific, { taxCode, unit, hasQuantity: quantity !== undefined, discount }, path);

  if (discount) {
    for (const field of DISCOUNT_FORBIDDEN) {
      if (line[field] !== undefined && line[field] !== null) reader.report(fieldError(pointer(path, field), 'discount_field_forbidden'));
    }
  } else if (hasValue(line, 'quantity') !== hasValue(line, 'unitPrice')) {
    const missing = hasValue(line, 'quantity') ? 'unitPrice' : 'quantity';
    reader.report(fieldError(pointer(path, missing), 'quantity_price_pair'));
  }
  const amount = readLineAmount(reader, line, path, discount, quantity, unitPrice);

  if (reader.errors.length > before || name === undefined || taxCode === undefined || taxRate === undefined || amount === undefined) {
    return undefined;
  }
  return {
    name,
    taxCode,
    ...(spec !== undefined && { spec }),
    ...(unit !== undefined && { unit }),
    ...(quantity !== undefined && { quantity }),
    ...(unitPrice !== undefined && { unitPrice }),
    amount,
    taxRate,
    kind,
    ...(lineAfterPolicy(policy ?? impliedPolicy(taxRate))),
    ...(deduction !== undefined && { deduction }),
  };
}

const lineAfterPolicy = (policy: TaxPolicy | undefined): { policy?: TaxPolicy } => (policy ? { policy } : {});

function readPolicy(reader: RequestReader, line: JsonObject, path: string): TaxPolicy | undefined {
  const text = reader.string(line, 'policy', path, { required: false, max: 32 });
  if (text === undefined) return undefined;
  const policy = findTaxPolicy(text);
  if (!policy) reader.report(fieldError(pointer(path, 'policy'), 'policy_unknown', { given: JSON.stringify(text), known: TAX_POLICY_NAMES }));
  return policy;
}

const FREE = TAX_RATES.find((rate) => rate.kind === 'free')!;
const NONE = TAX_RATES.find((rate) => rate.kind === 'none')!;

/** 免税 and 不征税 are rate 0 with their policy: the line's rate becomes the zero-tax kind. */
function rateUnderPolicy(rate: TaxRate, policy: TaxPolicy | undefined): TaxRate {
  if (rate.code !== '0') return rate;
  if (policy?.name === 'exempt') return FREE;
  if (policy?.name === 'not_taxable') return NONE;
  return rate;
}

function hasValue(object: JsonObject, key: string): boolean {
  return object[key] !== undefined && object[key] !== null;
}

function positive(reader: RequestReader, value: Decimal | undefined, at: string): Decimal | undefined {
  if (value === undefined || value.units > 0n) return value;
  reader.report(fieldError(at, 'value_not_positive'));
  return undefined;
}

/**
 * The line amount: as given, or quantity × unit price rounded half-up to the fen when it is not
 * given; when all three are given they must agree within 0.01 (domain.md §3.3).
 */
function readLineAmount(
  reader: RequestReader,
  line: JsonObject,
  path: string,
  discount: boolean,
  quantity: Decimal | undefined,
  unitPrice: Decimal | undefined,
): Fen | undefined {
  const at = pointer(path, 'amount');
  if (!hasValue(line, 'amount')) {
    if (quantity !== undefined && unitPrice !== undefined) return rescaleHalfUp(multiplyDecimals(quantity, unitPrice), 2).units;
    if (discount || (!hasValue(line, 'quantity') && !hasValue(line, 'unitPrice'))) reader.report(fieldError(at, 'field_required'));
    return undefined;
  }
  const amount = reader.money(line, 'amount', path, discount);
  if (amount === undefined) return undefined;
  if (discount && amount >= 0n) {
    reader.report(fieldError(at, 'discount_not_negative'));
    return undefined;
  }
  if (!discount && amount === 0n) {
    reader.report(fieldError(at, 'value_not_positive'));
    return undefined;
  }
  if (quantity !== undefined && unitPrice !== undefined && !priceAgreesWithAmount(quantity, unitPrice, amount)) {
    const product = formatDecimal(multiplyDecimals(quantity, unitPrice));
    reader.report(fieldError(at, 'amount_mismatch', { product, amount: formatFen(amount) }));
    return undefined;
  }
  return amount;
}

function readTaxRate(
  reader: RequestReader,
  line: JsonObject,
  path: string,
  taxCode: string | undefined,
  type: InvoiceType | undefined,
  policy: TaxPolicy | undefined,
): TaxRate | undefined {
  const at = pointer(path, 'taxRate');
  const text = reader.string(line, 'taxRate', path, { required: true, max: 16 });
  if (text === undefined) return undefined;
  const given = parseTaxRate(text);
  if (!given) {
    reader.report(fieldError(at, 'tax_rate_unknown', { given: JSON.stringify(text), known: TAX_RATE_CODES }));
    return undefined;
  }
  const rate = rateUnderPolicy(given, policy);
  if (policy && !policyAllowsRate(policy, rate)) {
    reader.report(fieldError(at, 'policy_rate_mismatch', { policy: policy.name, rates: policyRatesText(policy) }));
    return undefined;
  }
  // The reduced 1.5 % exists only as 按5%简易征收减按1.5%计征 ([LQ-LK] code 10).
  if (rate.code === '0.015' && policy?.name !== 'reduced_1_5') {
    reader.report(fieldError(at, 'policy_rate_mismatch', { policy: 'reduced_1_5', rates: '0.015' }));
    return undefined;
  }
  // Codes starting 6 are 未发生销售行为的不征税项目 and must be 不征税 ([LQ-KP] §2.2.4.3).
  if (taxCode?.startsWith('6') && rate.kind !== 'none') {
    reader.report(
      fieldError(at, 'tax_rate_not_allowed', {
        reason: {
          en: 'tax classification codes starting with 6 are outside the scope of VAT and take the rate "none"',
          zh: '以 6 开头的税收分类编码属于不征税项目，税率应为 "none"（不征税）',
        },
      }),
    );
    return undefined;
  }
  // 增值税暂行条例 第二十一条: no special invoice for goods or services under an exemption.
  if (type === 'special' && rate.kind === 'free') {
    reader.report(fieldError(at, 'special_invoice_tax_free'));
    return undefined;
  }
  return rate;
}
