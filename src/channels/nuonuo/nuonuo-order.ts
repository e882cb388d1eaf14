/**
 * Our computed invoice as 诺诺's `requestBillingNew` order (domain.md §6.1, field-notes §2): the
 * amounts and tax exactly as we computed them, so the upstream issues what the API showed. A pure
 * translation; nothing here decides or calls.
 */
import { beijingTime } from '../../domain/beijing-time.js';
import type { ComputedInvoiceJson, ComputedLineJson } from '../../domain/invoice-json.js';
import { NATURAL_PERSON_SUFFIX } from '../../domain/invoice-draft.js';
import { findTaxPolicy } from '../../domain/tax-policy.js';
import type { IssueRequest } from '../channel.js';
import { nuonuoSpecific, type NuonuoSpecific } from './nuonuo-specific.js';

/** The seller block as stored on an accepted invoice (src/invoicing fills it from the registration). */
interface SellerBlock {
  readonly taxId: string;
  readonly name?: string;
  readonly address?: string;
  readonly phone?: string;
  readonly bankName?: string;
  readonly bankAccount?: string;
}

export interface NuonuoOrderOptions {
  /** 开票员 when the invoice names no drawer (诺诺 requires `clerk`). */
  readonly clerk: string;
  /** 分机号: selects the 数电 issuing account, when the merchant has several. */
  readonly extensionNumber?: string;
  /** When the invoice is sent, ms; 诺诺 wants it as Beijing time. */
  readonly now: number;
}

export type NuonuoDetail = Readonly<Record<string, string>>;
export type NuonuoOrder = Readonly<Record<string, string | readonly NuonuoDetail[]>> & NuonuoSpecific;

const NATURE = { normal: '0', discount: '1', discounted: '2' } as const;
// 数电 优惠政策标识 for the zero-tax kinds (domain.md §3.1): 03 免税, 04 不征税.
export const POLICY_FLAG: Readonly<Record<string, string>> = { free: '03', none: '04' };

/**
 * The 诺诺 order number of an invoice: its serial number, which is already 20 upper-case letters and
 * digits (诺诺's limit, unique per seller) and is the same on every retry, query and failover.
 */
export function nuonuoOrderNo(serialNo: string): string {
  if (!/^[0-9A-Z]{1,20}$/.test(serialNo)) throw new RangeError(`serial ${serialNo} cannot be a 诺诺 order number (1–20 letters and digits)`);
  return serialNo;
}

/** "2026-11-26 09:30:00" in Beijing time. */
export function beijingDateTime(ms: number): string {
  return beijingTime(ms).slice(0, 19).replace('T', ' ');
}

/** 诺诺 adds the *简称* from goodsCode itself: it gets the item's own name. */
export function goodsName(name: string): string {
  return name.replace(/^\*[^*]+\*/, '');
}

const joined = (...parts: Array<string | undefined>) => parts.filter((part) => part !== undefined && part !== '').join(' ');

function detail(line: ComputedLineJson, priceIncludesTax: boolean): NuonuoDetail {
  const zeroKind = POLICY_FLAG[line.taxRate];
  // Invoices stored before lines named a policy carry only the zero-tax rate codes.
  const policyFlag = (line.policy && findTaxPolicy(line.policy)?.code) ?? zeroKind;
  return {
    goodsName: goodsName(line.name),
    goodsCode: line.taxCode,
    withTaxFlag: priceIncludesTax ? '1' : '0',
    ...(line.unitPrice !== undefined && { price: line.unitPrice }),
    ...(line.quantity !== undefined && { num: line.quantity }),
    ...(line.unit !== undefined && { unit: line.unit }),
    ...(line.spec !== undefined && { specType: line.spec }),
    taxRate: zeroKind ? '0' : line.taxRate,
    tax: line.tax,
    taxExcludedAmount: line.amountExcludingTax,
    taxIncludedAmount: line.amountIncludingTax,
    invoiceLineProperty: NATURE[line.nature],
    ...(policyFlag && { favouredPolicyFlag: policyFlag }),
    ...(line.deduction !== undefined && { deduction: line.deduction }),
  };
}

/** The `order` of a `requestBillingNew` call for one invoice. */
export function nuonuoOrder(request: IssueRequest, options: NuonuoOrderOptions): NuonuoOrder {
  const invoice: ComputedInvoiceJson = request.invoice;
  const seller = request.invoice.seller as SellerBlock;
  const { buyer } = invoice;
  const sellerAccount = joined(seller.bankName, seller.bankAccount);
  const buyerAccount = joined(buyer.bankName, buyer.bankAccount);
  return {
    orderNo: nuonuoOrderNo(request.serialNo),
    invoiceDate: beijingDateTime(options.now),
    // 1 蓝票; 红票 go through the 数电 quick red methods, never through this call.
    invoiceType: '1',
    // 数电: pc 普通发票, bs 增值税专用发票.
    invoiceLine: invoice.type === 'special' ? 'bs' : 'pc',
    salerTaxNum: request.sellerTaxId,
    ...(seller.phone && { salerTel: seller.phone }),
    ...(seller.address && { salerAddress: seller.address }),
    ...(sellerAccount && { salerAccount: sellerAccount }),
    // 诺诺 appends （个人） itself when naturalPersonFlag is 1.
    buyerName: buyer.naturalPerson && buyer.name.endsWith(NATURAL_PERSON_SUFFIX) ? buyer.name.slice(0, -NATURAL_PERSON_SUFFIX.length) : buyer.name,
    ...(buyer.naturalPerson && { naturalPersonFlag: '1' }),
    ...(buyer.taxId && { buyerTaxNum: buyer.taxId }),
    ...(buyer.phone && { buyerTel: buyer.phone }),
    ...(buyer.address && { buyerAddress: buyer.address }),
    ...(buyerAccount && { buyerAccount }),
    // 0 none, 1 seller's, 2 buyer's, 3 both: print the bank details we were given.
    showBankAccountType: String((sellerAccount ? 1 : 0) + (buyerAccount ? 2 : 0)),
    clerk: invoice.drawer ?? options.clerk,
    ...(invoice.payee && { payee: invoice.payee }),
    ...(invoice.reviewer && { checker: invoice.reviewer }),
    // 差额征税: 02 差额开票, with the line's deduction.
    ...(invoice.taxation === 'differential' && { invoiceDifferenceType: '02' }),
    ...(invoice.specific && nuonuoSpecific(invoice.specific, invoice.lines[0]?.unit)),
    ...(invoice.remarks && { remark: invoice.remarks }),
    // We deliver the invoice ourselves (email, webhooks): 诺诺 must not send its own.
    pushMode: '-1',
    ...(options.extensionNumber && { extensionNumber: options.extensionNumber }),
    invoiceDetail: invoice.lines.map((line) => detail(line, invoice.priceIncludesTax)),
  };
}
