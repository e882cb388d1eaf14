/**
 * A red invoice in 诺诺's words (domain.md §6.1 "数电 red flow on 诺诺", field-notes §2.10): the
 * saveInvoiceRedConfirm form, and what queryInvoiceRedConfirm's states (01–10, 15, 16) and
 * queryInvoiceList's items mean. A pure translation; the channel calls and the dispatcher decides.
 */
import { formatFen, parseMoney } from '../../domain/money.js';
import { RED_FLUSH_REASON_CODES, type RedLineJson } from '../../domain/red-flush.js';
import type { ConfirmationForm, IssueRequest, QueryOutcome, UpstreamRecord } from '../channel.js';
import { ChannelError } from '../channel-error.js';
import { goodsName, nuonuoOrderNo, POLICY_FLAG } from './nuonuo-order.js';

/** One form of queryInvoiceRedConfirm's `list` (the fields we read). */
export interface NuonuoRedForm {
  readonly billId?: string;
  readonly billNo?: string;
  readonly billUuid?: string;
  readonly billStatus?: string | number;
  readonly billMessage?: string;
  readonly openStatus?: string | number;
  readonly blueInvoiceLine?: string;
  readonly blueInvoiceNumber?: string;
  readonly sellerTaxNo?: string;
}

/** One invoice of queryInvoiceList's `invoices` (the fields we read). */
export interface NuonuoListItem {
  readonly serialNo?: string;
  readonly orderNo?: string;
  readonly status?: string | number;
  readonly invoiceType?: string | number;
  readonly invoiceNo?: string;
  readonly allElectronicInvoiceNumber?: string;
  readonly invoiceTime?: string | number;
  readonly salerTaxNum?: string;
  readonly orderAmount?: string | number;
}

/** 明细 of a partial flush: the blue line's number (1-based, 诺诺's order) and the red figures excluding tax. */
function formDetail(line: RedLineJson) {
  const zeroKind = POLICY_FLAG[line.taxRate];
  return {
    blueDetailIndex: String(line.blueLine + 1),
    goodsName: goodsName(line.name),
    goodsCode: line.taxCode,
    ...(line.unit !== undefined && { unit: line.unit }),
    ...(line.spec !== undefined && { specType: line.spec }),
    ...(line.quantity !== undefined && { num: line.quantity }),
    ...(line.unitPriceExcludingTax !== undefined && { taxExcludedPrice: line.unitPriceExcludingTax }),
    taxExcludedAmount: line.amountExcludingTax,
    taxAmount: line.tax,
    taxRate: zeroKind ? '0' : line.taxRate,
    ...(zeroKind && { favouredPolicyFlag: zeroKind }),
  };
}

/**
 * The saveInvoiceRedConfirm request for a red invoice. `billId` and `orderNo` are both our serial:
 * the form is found again by it, and 诺诺 issues the red invoice by itself under it once the form
 * allows (01/04), so queryInvoiceResult finds it as it finds a blue one.
 */
export function redConfirmForm(request: IssueRequest, options: { readonly extensionNumber?: string }) {
  const red = request.red;
  if (!red) throw new TypeError('not a red invoice');
  const serial = nuonuoOrderNo(request.serialNo);
  const { invoice } = request;
  return {
    billId: serial,
    orderNo: serial,
    applySource: '0',
    blueInvoiceLine: invoice.type === 'special' ? 'bs' : 'pc',
    blueElecInvoiceNumber: red.blueNumber,
    sellerTaxNo: request.sellerTaxId,
    ...(typeof invoice.seller.name === 'string' && { sellerName: invoice.seller.name }),
    buyerName: invoice.buyer.name,
    ...(invoice.buyer.taxId && { buyerTaxNo: invoice.buyer.taxId }),
    redReason: RED_FLUSH_REASON_CODES[red.reason].nuonuo,
    ...(options.extensionNumber && { extensionNumber: options.extensionNumber }),
    // 诺诺: "非部分冲红不需要传明细，部分冲红明细序号必须和原蓝票顺序保持一致".
    ...(!red.whole && { detail: (invoice.lines as unknown as readonly RedLineJson[]).map(formDetail) }),
  };
}

/** A form's number and state, for the invoice resource. */
export function confirmationOf(form: NuonuoRedForm): ConfirmationForm | undefined {
  return form.billNo ? { billNo: form.billNo, status: String(form.billStatus ?? '') } : undefined;
}

/**
 * What a form's state says of the red invoice, or 'issuable' when the form allows it (01 无需确认,
 * 04 双方已确认) and the red invoice itself is to be asked for.
 */
export function formOutcome(form: NuonuoRedForm, pollAfterMs: number): QueryOutcome | { readonly kind: 'issuable' } {
  const status = String(form.billStatus ?? '');
  const confirmation = confirmationOf(form);
  switch (status) {
    case '15':
      return { kind: 'accepted', pollAfterMs };
    case '01':
    case '04':
      return { kind: 'issuable' };
    case '02':
    case '03':
      if (!form.billNo) throw new ChannelError('protocol_error', 'uncertain', `红字确认单 in state ${status} without a billNo`);
      return { kind: 'awaiting_confirmation', billNo: form.billNo, status, pollAfterMs };
    case '16':
      return { kind: 'rejected', upstreamCode: 'confirmation_16', message: form.billMessage || '红字确认单申请失败', ...(confirmation && { confirmation }) };
    case '05':
    case '06':
    case '07':
    case '08':
    case '09':
    case '10':
      return { kind: 'rejected', upstreamCode: `confirmation_${status}`, message: form.billMessage || `红字确认单已作废（${status}）`, ...(confirmation && { confirmation }) };
    default:
      throw new ChannelError('protocol_error', 'uncertain', `unknown 红字确认单 state ${JSON.stringify(form.billStatus)}`);
  }
}

/** An issued invoice of queryInvoiceList as a record to reconcile; undefined for one not (yet) issued. */
export function listRecord(item: NuonuoListItem): UpstreamRecord | undefined {
  if (String(item.status ?? '') !== '2') return undefined;
  const number = item.allElectronicInvoiceNumber || item.invoiceNo;
  const issuedAt = Number(item.invoiceTime);
  const given = item.orderAmount === undefined ? '' : String(item.orderAmount).trim();
  const parsed = parseMoney(given, { allowNegative: true });
  // Two-decimal text as ours is written, so "−109" and "-109.00" are the same total.
  const total = parsed.ok ? formatFen(parsed.fen) : given;
  if (!number || !item.orderNo || !Number.isFinite(issuedAt)) throw new ChannelError('protocol_error', 'retry', `queryInvoiceList gave an issued invoice without number, order or time: ${JSON.stringify(item).slice(0, 200)}`);
  const red = String(item.invoiceType ?? '') === '2' || total.startsWith('-');
  return { serialNo: item.orderNo, number, issuedAt, sellerTaxId: item.salerTaxNum ?? '', total, kind: red ? 'red' : 'blue', simulated: false };
}
