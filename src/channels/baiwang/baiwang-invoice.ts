/**
 * Our computed invoice in 百望's words (domain.md §6.2; odoo's API_REFERENCE §4–5): the `data` of
 * `baiwang.output.invoice.issue` for a blue invoice and the flat `redinvoice.add` form for a red
 * one, with the amounts and tax exactly as we computed them; and what 百望's answers say of one
 * serial. A pure translation; nothing here decides or calls.
 */
import { beijingTime } from '../../domain/beijing-time.js';
import type { ComputedLineJson } from '../../domain/invoice-json.js';
import { formatFen, parseMoney } from '../../domain/money.js';
import { RED_FLUSH_REASON_CODES, type RedLineJson } from '../../domain/red-flush.js';
import { findTaxPolicy } from '../../domain/tax-policy.js';
import type { ConfirmationForm, IssueRequest, QueryOutcome, UpstreamRecord } from '../channel.js';
import { ChannelError } from '../channel-error.js';
import { DecimalNumber, type BaiwangJson } from './baiwang-sign.js';

/** The seller block as stored on an accepted invoice. */
interface SellerBlock {
  readonly name?: string;
  readonly address?: string;
  readonly phone?: string;
  readonly bankName?: string;
  readonly bankAccount?: string;
}

const NATURE = { normal: '0', discount: '1', discounted: '2' } as const;
/** Zero-tax kinds are sent at rate 0 with their policy. */
const ZERO_KINDS = new Set(['free', 'none']);

const amount = (text: string) => new DecimalNumber(text);
/** 百望 adds the *简称* from goodsCode itself (its answer shows *谷物*燕麦): it gets the item's own name. */
const goodsName = (name: string) => name.replace(/^\*[^*]+\*/, '');
const rate = (code: string) => amount(ZERO_KINDS.has(code) ? '0' : code);
const text = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

function policyOf(line: ComputedLineJson): string | undefined {
  if (line.policy) return findTaxPolicy(line.policy)?.label ?? line.policy;
  return line.taxRate === 'free' ? '免税' : line.taxRate === 'none' ? '不征税' : undefined;
}

function issueLine(line: ComputedLineJson, index: number): BaiwangJson {
  const policy = policyOf(line);
  return {
    goodsLineNo: index + 1,
    invoiceLineNature: NATURE[line.nature],
    goodsCode: line.taxCode,
    goodsName: goodsName(line.name),
    goodsSpecification: text(line.spec),
    goodsUnit: text(line.unit),
    goodsQuantity: text(line.quantity),
    goodsPrice: text(line.unitPrice),
    goodsTaxRate: rate(line.taxRate),
    goodsTotalPrice: amount(line.amountExcludingTax),
    goodsTotalTax: amount(line.tax),
    goodsTotalPriceTax: amount(line.amountIncludingTax),
    preferentialMarkFlag: policy ? '1' : '0',
    vatSpecialManagement: policy,
    goodsDeduction: line.deduction === undefined ? undefined : amount(line.deduction),
  };
}

/** The `data` of an issue call for a blue invoice; `serialNo` is our serial, the same on every retry. */
export function issueData(request: IssueRequest): BaiwangJson {
  const { invoice } = request;
  const seller = invoice.seller as SellerBlock;
  const { buyer } = invoice;
  return {
    invoiceType: '0',
    invoiceTypeCode: invoice.type === 'special' ? '01' : '02',
    // Our lines carry tax-excluded amounts and their tax; the unit price is as the request gave it.
    priceTaxMark: invoice.priceIncludesTax ? '1' : '0',
    invoiceListMark: '0',
    taxationMethod: invoice.taxation === 'differential' ? '1' : '0',
    serialNo: request.serialNo,
    sellerAddressPhone: text([seller.address, seller.phone].filter(Boolean).join(' ')),
    sellerBankAccount: text([seller.bankName, seller.bankAccount].filter(Boolean).join(' ')),
    buyerName: buyer.name,
    buyerTaxNo: text(buyer.taxId),
    buyerAddress: text(buyer.address),
    buyerPhone: text(buyer.phone),
    buyerBankName: text(buyer.bankName),
    buyerBankNumber: text(buyer.bankAccount),
    drawer: text(invoice.drawer),
    payee: text(invoice.payee),
    checker: text(invoice.reviewer),
    remarks: text(invoice.remarks),
    invoiceTotalPrice: amount(invoice.totals.amount),
    invoiceTotalTax: amount(invoice.totals.tax),
    invoiceTotalPriceTax: amount(invoice.totals.total),
    invoiceDetailsList: invoice.lines.map(issueLine),
  };
}

/** The flat `redinvoice.add` form of a red invoice (its figures negative): 百望 issues it by itself once the form allows. */
export function redForm(request: IssueRequest): BaiwangJson {
  const red = request.red;
  if (!red) throw new TypeError('not a red invoice');
  const { invoice } = request;
  const seller = invoice.seller as SellerBlock;
  const lines = invoice.lines as unknown as readonly RedLineJson[];
  return {
    taxNo: request.sellerTaxId,
    redConfirmSerialNo: request.serialNo,
    entryIdentity: '01',
    sellerTaxNo: request.sellerTaxId,
    sellerTaxName: text(seller.name),
    buyerTaxName: invoice.buyer.name,
    buyerTaxNo: text(invoice.buyer.taxId),
    originInvoiceIsPaper: 'N',
    originalInvoiceNo: red.blueNumber,
    originInvoiceType: invoice.type === 'special' ? '01' : '02',
    invoiceTotalPrice: amount(invoice.totals.amount),
    invoiceTotalTax: amount(invoice.totals.tax),
    redInvoiceLabel: RED_FLUSH_REASON_CODES[red.reason].bureau,
    invoiceSource: '2',
    priceTaxMark: '0',
    autoIssueSwitch: 'Y',
    deliverFlag: '0',
    redInvoiceIsPaper: 'N',
    redConfirmDetailReqEntityList: lines.map((line, index) => ({
      originalInvoiceDetailNo: line.blueLine + 1,
      goodsLineNo: index + 1,
      goodsCode: line.taxCode,
      goodsName: goodsName(line.name),
      goodsSpecification: text(line.spec),
      goodsUnit: text(line.unit),
      goodsQuantity: text(line.quantity),
      goodsPrice: text(line.unitPriceExcludingTax),
      goodsTaxRate: rate(line.taxRate),
      goodsTotalPrice: amount(line.amountExcludingTax),
      goodsTotalTax: amount(line.tax),
    })),
  };
}

/** "20260521152632" (Beijing) as epoch ms; NaN when it is not such a time. */
export function baiwangTime(value: unknown): number {
  const digits = typeof value === 'string' ? value.replace(/\D/g, '') : typeof value === 'number' ? String(value) : '';
  if (digits.length !== 14) return NaN;
  return Date.parse(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}+08:00`);
}

/** Epoch ms as 百望 writes a time, Beijing "yyyyMMddHHmmss". */
export function baiwangTimeText(ms: number): string {
  return beijingTime(ms).slice(0, 19).replace(/\D/g, '');
}

/** An amount as 百望 writes it (a number or a string) as our two-decimal text; undefined when unreadable. */
export function moneyText(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const parsed = parseMoney(typeof value === 'number' ? value.toFixed(2) : value.trim(), { allowNegative: true });
  return parsed.ok ? formatFen(parsed.fen) : undefined;
}

/** One invoice as 百望 reports it (issue answers, queries, day lists): the fields we read. */
export interface BaiwangInvoice {
  readonly serialNo?: string;
  readonly invoiceNo?: string;
  readonly invoiceDate?: string;
  readonly invoiceType?: string;
  readonly sellerTaxNo?: string;
  readonly invoiceTotalPrice?: number | string;
  readonly invoiceTotalTax?: number | string;
  readonly invoiceTotalPriceTax?: number | string;
}

/**
 * What a query says of one invoice: issued (00, or no status with a number), still being issued
 * (01), or refused (02). 百望's query fields are not in our sources beyond the issue answer's; these
 * are the simulator's, and an item with a number counts as issued.
 */
export function queriedOutcome(item: BaiwangInvoice & { readonly invoiceStatus?: string; readonly errorMessage?: string }, simulated: boolean, pollAfterMs: number): QueryOutcome {
  if (item.invoiceStatus === '01') return { kind: 'accepted', pollAfterMs };
  if (item.invoiceStatus === '02') return { kind: 'rejected', upstreamCode: 'status_02', message: item.errorMessage || '百望开票失败' };
  return issuedOutcome(item, simulated);
}

/** An invoice 百望 reports with its number: issued. */
export function issuedOutcome(item: BaiwangInvoice, simulated: boolean, confirmation?: ConfirmationForm): QueryOutcome {
  if (!item.invoiceNo) throw new ChannelError('protocol_error', 'uncertain', '百望 reported an invoice without its number');
  const issuedAt = baiwangTime(item.invoiceDate);
  const reported = { amount: moneyText(item.invoiceTotalPrice), tax: moneyText(item.invoiceTotalTax), total: moneyText(item.invoiceTotalPriceTax) };
  return {
    kind: 'issued',
    number: item.invoiceNo,
    issuedAt: Number.isFinite(issuedAt) ? issuedAt : Date.now(),
    simulated,
    reportedTotals: Object.fromEntries(Object.entries(reported).filter(([, value]) => value !== undefined)),
    ...(confirmation && { confirmation }),
  };
}

/** One day-list item as a record for reconciliation; undefined when it lacks what a match needs. */
export function listRecord(item: BaiwangInvoice, simulated: boolean): UpstreamRecord | undefined {
  const issuedAt = baiwangTime(item.invoiceDate);
  const total = moneyText(item.invoiceTotalPriceTax);
  if (!item.serialNo || !item.invoiceNo || !item.sellerTaxNo || !Number.isFinite(issuedAt) || total === undefined) return undefined;
  return { serialNo: item.serialNo, number: item.invoiceNo, issuedAt, sellerTaxId: item.sellerTaxNo, total, kind: item.invoiceType === '1' || total.startsWith('-') ? 'red' : 'blue', simulated };
}

/** One 红字确认单 as formlist and redforminfo report it (the fields we read). */
export interface BaiwangRedForm {
  readonly redConfirmUuid?: string;
  readonly redConfirmNo?: string;
  readonly redConfirmSerialNo?: string;
  readonly confirmState?: string;
  readonly alreadyRedInvoiceFlag?: string;
}

/**
 * What a form's state says (01 no confirmation needed, 02/03 waiting for the counterparty, 04
 * confirmed; 05–10 refused, lapsed or revoked): waiting, void, or issuable (its invoice to be found).
 */
export function formOutcome(form: BaiwangRedForm, pollAfterMs: number): QueryOutcome | { readonly kind: 'issuable' } {
  const state = form.confirmState ?? '';
  const billNo = form.redConfirmNo ?? form.redConfirmUuid ?? '';
  if (state === '01' || state === '04') return { kind: 'issuable' };
  if (state === '02' || state === '03') return { kind: 'awaiting_confirmation', billNo, status: state, pollAfterMs };
  if (/^(0[5-9]|10)$/.test(state)) return { kind: 'rejected', upstreamCode: `confirmation_${state}`, message: `红字确认单 ${billNo} 状态 ${state}（${FORM_STATES[state] ?? '已作废'}）`, confirmation: { billNo, status: state } };
  throw new ChannelError('protocol_error', 'retry', `unknown 红字确认单 state ${JSON.stringify(form.confirmState)}`);
}

const FORM_STATES: Readonly<Record<string, string>> = { '05': '对方已否认', '06': '已作废', '07': '超期未确认，已作废', '08': '发起方已撤销', '09': '对方已撤销', '10': '已作废' };
