/**
 * The computed invoice as it travels in JSON (shared/api.md "Computed invoice"): money as decimal
 * strings with two decimals, quantities and prices as given, rates by their request code.
 */
import { formatDecimal } from './decimal.js';
import type { ComputedInvoice, ComputedLine } from './compute-invoice.js';
import type { BuyerDraft, InvoiceType, LineKind } from './invoice-draft.js';
import type { SpecificBusiness } from './specific-business.js';
import type { LineNature } from './discount-lines.js';
import { formatFen } from './money.js';

export interface ComputedLineJson {
  name: string;
  taxCode: string;
  spec?: string;
  unit?: string;
  quantity?: string;
  unitPrice?: string;
  amount: string;
  taxRate: string;
  kind: LineKind;
  /** 发票行性质: the line before a discount is `discounted`. */
  nature: LineNature;
  amountExcludingTax: string;
  tax: string;
  amountIncludingTax: string;
  unitPriceExcludingTax?: string;
  /** 优惠政策标识, by name (tax-policy.ts). */
  policy?: string;
  /** 扣除额 of a differential-taxation line. */
  deduction?: string;
}

export interface ComputedInvoiceJson {
  orderNo: string;
  type: InvoiceType;
  seller: { taxId: string };
  buyer: BuyerDraft;
  priceIncludesTax: boolean;
  lines: ComputedLineJson[];
  remarks?: string;
  drawer?: string;
  payee?: string;
  reviewer?: string;
  taxation?: 'differential';
  specific?: SpecificBusiness;
  quotaPolicy?: 'refuse';
  priority?: 'high';
  totals: { amount: string; tax: string; total: string; totalInWords: string };
}

/** The seller as an issued invoice shows it: the registered profile, without our own flags. */
export interface SellerParty {
  readonly taxId: string;
  readonly name: string;
  readonly address?: string;
  readonly phone?: string;
  readonly bankName?: string;
  readonly bankAccount?: string;
}

function lineJson(line: ComputedLine): ComputedLineJson {
  return {
    name: line.name,
    taxCode: line.taxCode,
    ...(line.spec !== undefined && { spec: line.spec }),
    ...(line.unit !== undefined && { unit: line.unit }),
    ...(line.quantity !== undefined && { quantity: formatDecimal(line.quantity) }),
    ...(line.unitPrice !== undefined && { unitPrice: formatDecimal(line.unitPrice) }),
    amount: formatFen(line.amount),
    taxRate: line.taxRate.code,
    kind: line.kind,
    nature: line.nature,
    amountExcludingTax: formatFen(line.amountExcludingTax),
    tax: formatFen(line.tax),
    amountIncludingTax: formatFen(line.amountIncludingTax),
    ...(line.unitPriceExcludingTax !== undefined && { unitPriceExcludingTax: formatDecimal(line.unitPriceExcludingTax) }),
    ...(line.policy !== undefined && { policy: line.policy.name }),
    ...(line.deduction !== undefined && { deduction: formatFen(line.deduction) }),
  };
}

export function computedInvoiceJson(invoice: ComputedInvoice): ComputedInvoiceJson {
  return {
    orderNo: invoice.orderNo,
    type: invoice.type,
    seller: { taxId: invoice.seller.taxId },
    buyer: { ...invoice.buyer },
    priceIncludesTax: invoice.priceIncludesTax,
    lines: invoice.lines.map(lineJson),
    ...(invoice.remarks !== undefined && { remarks: invoice.remarks }),
    ...(invoice.drawer !== undefined && { drawer: invoice.drawer }),
    ...(invoice.payee !== undefined && { payee: invoice.payee }),
    ...(invoice.reviewer !== undefined && { reviewer: invoice.reviewer }),
    ...(invoice.taxation !== undefined && { taxation: invoice.taxation }),
    ...(invoice.specific !== undefined && { specific: invoice.specific }),
    ...(invoice.quotaPolicy !== undefined && { quotaPolicy: invoice.quotaPolicy }),
    ...(invoice.priority !== undefined && { priority: invoice.priority }),
    totals: {
      amount: formatFen(invoice.totals.amount),
      tax: formatFen(invoice.totals.tax),
      total: formatFen(invoice.totals.total),
      totalInWords: invoice.totals.totalInWords,
    },
  };
}
