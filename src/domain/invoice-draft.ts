/**
 * An invoice request after validation: the request of shared/api.md with exact values in place of
 * decimal strings. Everything downstream (tax, totals, documents) starts from this.
 */
import type { Decimal } from './decimal.js';
import type { Fen } from './money.js';
import type { SpecificBusiness } from './specific-business.js';
import type { TaxPolicy } from './tax-policy.js';
import type { TaxRate } from './tax-rate.js';

/** normal = 普通发票, special = 增值税专用发票 */
export const INVOICE_TYPES = ['normal', 'special'] as const;
export type InvoiceType = (typeof INVOICE_TYPES)[number];

/** What a request line may say it is; the line a discount follows becomes `discounted`. */
export const LINE_KINDS = ['normal', 'discount'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** normal = tax on the whole amount; differential = 差额征税 (差额开票), tax on the amount less a deduction. */
export const TAXATIONS = ['normal', 'differential'] as const;
export type Taxation = (typeof TAXATIONS)[number];

/** What the platform appends to a natural person's name ([LQ-KP] "（个人）"标注规则). */
export const NATURAL_PERSON_SUFFIX = '（个人）';

export interface BuyerDraft {
  readonly name: string;
  readonly taxId?: string;
  readonly address?: string;
  readonly phone?: string;
  readonly bankName?: string;
  readonly bankAccount?: string;
  readonly email?: string;
  /** 购买方自然人标志: the issued name ends with （个人）. */
  readonly naturalPerson?: true;
}

export interface LineDraft {
  /** `*简称*项目名称` */
  readonly name: string;
  /** 19-digit 商品和服务税收分类合并编码 */
  readonly taxCode: string;
  readonly spec?: string;
  readonly unit?: string;
  readonly quantity?: Decimal;
  /** In the invoice's price convention (including tax when priceIncludesTax). */
  readonly unitPrice?: Decimal;
  /** The line amount in fen, in the invoice's price convention; negative on a discount line. */
  readonly amount: Fen;
  readonly taxRate: TaxRate;
  readonly kind: LineKind;
  /** 优惠政策标识 */
  readonly policy?: TaxPolicy;
  /** 扣除额 in fen, on the one line of a differential-taxation invoice. */
  readonly deduction?: Fen;
}

export interface InvoiceDraft {
  readonly orderNo: string;
  readonly type: InvoiceType;
  readonly seller: { readonly taxId: string };
  readonly buyer: BuyerDraft;
  readonly priceIncludesTax: boolean;
  readonly lines: readonly LineDraft[];
  readonly remarks?: string;
  readonly drawer?: string;
  /** 收款人 */
  readonly payee?: string;
  /** 复核人 */
  readonly reviewer?: string;
  /** Absent for normal taxation. */
  readonly taxation?: 'differential';
  /** 特定业务 */
  readonly specific?: SpecificBusiness;
  /** Refused at once (409) rather than waiting when the month's quota cannot cover it; absent: wait. */
  readonly quotaPolicy?: 'refuse';
  /** May use the seller's reserve of quota; absent: normal. */
  readonly priority?: 'high';
}
