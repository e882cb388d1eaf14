/**
 * The simulator's 诺诺 red desk (domain.md §6.1 "数电 red flow on 诺诺", field-notes §2.10):
 * saveInvoiceRedConfirm files a 红字确认单 (15 申请中, then 01, 02 or 16 as the bureau decides),
 * queryInvoiceRedConfirm and refreshInvoiceRedConfirm read it, the red invoice is issued by itself
 * under the form's orderNo once the form is 01 or 04 (fastInvoiceRed fetches it), and
 * queryInvoiceList lists a window of at most ten days.
 */
import { formatFen, parseMoney, sumFen, type Fen } from '../domain/money.js';
import type { Faults } from './faults.js';
import { redRefusal } from './red-check.js';
import { formStatus, type LedgerRecord, type RedForm, type SimulatorLedger } from './simulator-ledger.js';
import type { SimulatorQuota } from './simulator-quota.js';
import type { SimulatorClock } from './simulator-clock.js';
import { quotaMonth } from '../domain/quota.js';

/** 诺诺's serial for an order (发票流水号, 20 digits): returned by requestBillingNew, shown and found by queryInvoiceResult. */
export function invoiceSerialNum(recordId: number): string {
  return String(recordId).padStart(20, '0');
}

export const nuonuoAnswer = (code: string, describe: string, result?: unknown) => ({ code, describe, ...(result !== undefined && { result }) });
type Answer = ReturnType<typeof nuonuoAnswer>;

const REASONS = new Set(['1', '2', '3', '4']);
const LIST_WINDOW_MS = 10 * 86_400_000;
const BEIJING = '+08:00';

interface FormDetail {
  blueDetailIndex?: unknown;
  taxExcludedAmount?: unknown;
  taxAmount?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

function fen(value: unknown): Fen | undefined {
  const given = text(value);
  if (given === undefined) return undefined;
  const parsed = parseMoney(given, { allowNegative: true });
  return parsed.ok ? parsed.fen : undefined;
}

/** "2026-11-26 09:30:00" or "2026-11-26" in Beijing time, as ms. */
function beijingMs(value: unknown): number | undefined {
  const given = text(value);
  if (!given || !/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/.test(given)) return undefined;
  const ms = Date.parse(`${given.length === 10 ? `${given}T00:00:00` : given.replace(' ', 'T')}${BEIJING}`);
  return Number.isFinite(ms) ? ms : undefined;
}

export interface NuonuoRedDesk {
  /** The answer to one of the red or list methods; undefined for any other method. */
  handle(method: string, payload: Record<string, unknown>): Answer | undefined;
  /** Issues the red invoice of a form that is due (01/04, no invoice yet) and carries this order number. */
  issueDue(orderNo: string, now: number): void;
}

export function nuonuoRedDesk(options: {
  readonly ledger: SimulatorLedger;
  readonly faults: () => Faults;
  readonly confirmation: 'none' | 'required';
  readonly quota: SimulatorQuota;
  readonly clock: SimulatorClock;
}): NuonuoRedDesk {
  const { ledger, quota, clock } = options;
  let refreshes = 0;

  /** 诺诺 issues the red e-invoice by itself once the form allows it, under the orderNo given with the form. */
  function issueOf(form: RedForm, now: number): LedgerRecord | undefined {
    const status = formStatus(form, now);
    const orderNo = form.orderNo ?? form.billId.slice(0, 20);
    const existing = ledger.find(orderNo);
    if (existing || (status !== '01' && status !== '04')) return existing;
    giveQuotaBack(form, now);
    return ledger.add({
      serialNo: orderNo,
      sellerTaxId: form.sellerTaxId,
      orderNo,
      total: form.total,
      outcome: 'issued',
      reason: null,
      acceptedAt: now,
      readyAt: now + options.faults().processingMs,
      payload: form.payload,
      blueNumber: form.blueNumber,
      form: { billNo: form.billNo, status },
    });
  }

  /**
   * A red invoice issued in its blue invoice's month gives its tax-excluded amount back to the
   * quota, unless it is a 销售折让 (reason 4). A partial form names its lines' amounts; a whole one
   * gives back the blue order's.
   */
  function giveQuotaBack(form: RedForm, now: number): void {
    const blue = ledger.findByNumber(form.blueNumber);
    if (!blue || form.reason === '4' || quotaMonth(blue.readyAt) !== quotaMonth(now)) return;
    const details = (JSON.parse(form.payload) as { detail?: FormDetail[] }).detail ?? [];
    const blueLines = (JSON.parse(ledger.payloadOf(blue.id)) as { invoiceDetail?: FormDetail[] }).invoiceDetail ?? [];
    const amounts = details.length > 0 ? details.map((line) => fen(line.taxExcludedAmount) ?? 0n) : blueLines.map((line) => -(fen(line.taxExcludedAmount) ?? 0n));
    quota.use(form.sellerTaxId, sumFen(amounts), now);
  }

  function save(payload: Record<string, unknown>): Answer {
    const billId = text(payload.billId);
    const sellerTaxId = text(payload.sellerTaxNo);
    const blueNumber = text(payload.blueElecInvoiceNumber) ?? text(payload.blueInvoiceNumber);
    const blueLine = text(payload.blueInvoiceLine);
    const reason = text(payload.redReason);
    if (!billId || billId.length > 32) return nuonuoAnswer('E4000', 'billId 必填（本模拟器要求），最长32位');
    if (!sellerTaxId || !blueNumber || !blueLine || !text(payload.buyerName)) return nuonuoAnswer('E4000', 'sellerTaxNo、blueElecInvoiceNumber、blueInvoiceLine、buyerName 必填');
    if (!reason || !REASONS.has(reason)) return nuonuoAnswer('E4000', 'redReason 只能是 1销货退回 2开票有误 3服务中止 4销售折让');
    if (text(payload.applySource) !== '0') return nuonuoAnswer('E4000', 'applySource 只支持 0（销方）');
    const orderNo = text(payload.orderNo);
    if (orderNo !== undefined && orderNo.length > 20) return nuonuoAnswer('E4000', 'orderNo 长度不能超过20');
    // A resubmitted billId is refused: the caller reads the form back instead.
    if (ledger.findForm({ billId })) return nuonuoAnswer('E9106', '红字确认单申请号已存在，请勿重复申请');
    const blue = ledger.findByNumber(blueNumber);
    const details = Array.isArray(payload.detail) ? (payload.detail as FormDetail[]) : [];
    let total: Fen | undefined;
    if (details.length === 0) total = blue ? -(fen(blue.total) ?? 0n) : 0n;
    else {
      const amounts = details.flatMap((line) => [fen(line.taxExcludedAmount), fen(line.taxAmount)]);
      if (amounts.some((amount) => amount === undefined) || details.some((line) => !/^[1-9]\d*$/.test(text(line.blueDetailIndex) ?? ''))) {
        return nuonuoAnswer('E4000', '明细的 blueDetailIndex、taxExcludedAmount、taxAmount 必填且格式正确');
      }
      total = sumFen(amounts as Fen[]);
    }
    const now = clock.now();
    // The bureau's checks: the blue invoice is the seller's, and the red forms never add up past it.
    const refusal = redRefusal(ledger, { sellerTaxId, total: formatFen(total), blueNumber }, now);
    const waits = options.confirmation === 'required' && blueLine === 'bs';
    ledger.addForm({
      billId,
      sellerTaxId,
      blueNumber,
      blueLine,
      reason,
      total: formatFen(total),
      orderNo: orderNo ?? null,
      status: refusal ? '16' : waits ? '02' : '01',
      message: refusal,
      createdAt: now,
      // 申请中 for a tenth of the processing time: the bureau looks at it a moment later.
      readyAt: now + Math.min(200, options.faults().processingMs / 10),
      payload: JSON.stringify(payload),
    });
    return nuonuoAnswer('E0000', '成功', billId);
  }

  function formJson(form: RedForm, now: number) {
    const status = formStatus(form, now);
    const red = issueOf(form, now);
    return {
      billId: form.billId,
      billNo: form.billNo,
      billUuid: form.billUuid,
      billStatus: status,
      billMessage: status === '07' ? '红字确认单超过72小时未确认，已作废' : (form.message ?? ''),
      openStatus: red ? '1' : '0',
      ...(red && { orderNo: red.orderNo, invoiceSerialNum: invoiceSerialNum(red.id) }),
      applySource: '0',
      blueInvoiceLine: form.blueLine,
      blueInvoiceNumber: form.blueNumber,
      sellerTaxNo: form.sellerTaxId,
      redReason: form.reason,
      billTime: new Date(form.createdAt).toISOString(),
    };
  }

  function query(payload: Record<string, unknown>): Answer {
    if (text(payload.identity) !== '0') return nuonuoAnswer('E4000', 'identity 必填：0 销方 1 购方（本模拟器只支持 0）');
    const pageSize = Number(text(payload.pageSize) ?? '10');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) return nuonuoAnswer('E4000', 'pageSize 最大50');
    const billId = text(payload.billId);
    const billNo = text(payload.billNo);
    const billUuid = text(payload.billUuid);
    // Without a name for the form, 诺诺 wants the filing window although its doc marks it optional.
    if (!billId && !billNo && !billUuid && (!text(payload.billTimeStart) || !text(payload.billTimeEnd))) return nuonuoAnswer('E4000', '未传确认单申请号/编号/uuid 时 billTimeStart、billTimeEnd 必填');
    const now = clock.now();
    const form = ledger.findForm({ ...(billId && { billId }), ...(billNo && { billNo }), ...(billUuid && { billUuid }) });
    const list = form ? [formJson(form, now)] : [];
    return nuonuoAnswer('E0000', '查询成功', { total: String(list.length), list });
  }

  /** fastInvoiceRed: for an e-invoice, fetches the red invoice 诺诺 issued by itself under the form. */
  function fastRed(payload: Record<string, unknown>): Answer {
    const billNo = text(payload.billNo);
    const billUuid = text(payload.billUuid);
    const form = ledger.findForm({ ...(billNo && { billNo }), ...(billUuid && { billUuid }) });
    if (!form) return nuonuoAnswer('E4000', '红字确认单不存在');
    const now = clock.now();
    const red = issueOf(form, now);
    if (!red) return nuonuoAnswer('E9103', `红字确认单状态为 ${formStatus(form, now)}，不能开具红字发票`);
    return nuonuoAnswer('E0000', '开票提交成功', { invoiceSerialNum: invoiceSerialNum(red.id), orderNo: red.orderNo });
  }

  function list(payload: Record<string, unknown>): Answer {
    const start = beijingMs(payload.startTime);
    const end = beijingMs(payload.endTime);
    if (start === undefined || end === undefined || end < start) return nuonuoAnswer('E4000', 'startTime、endTime 必填，格式 yyyy-MM-dd HH:mm:ss');
    if (end - start > LIST_WINDOW_MS) return nuonuoAnswer('E4000', '查询时间范围不能超过10天');
    const taxnum = text(payload.taxnum);
    const pageNo = Number(text(payload.pageNo) ?? '1');
    const pageSize = Number(text(payload.pageSize) ?? '50');
    if (!Number.isInteger(pageNo) || pageNo < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return nuonuoAnswer('E4000', 'pageNo 从1起，pageSize 最大100');
    const now = clock.now();
    const records = ledger.issuedBetween(start, end + 1000, now).filter((record) => !taxnum || record.sellerTaxId === taxnum);
    const invoices = records.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((record) => ({
      serialNo: String(record.id).padStart(20, '0'),
      orderNo: record.orderNo,
      status: '2',
      invoiceType: record.kind === 'red' ? '2' : '1',
      invoiceCode: '',
      invoiceNo: record.number,
      allElectronicInvoiceNumber: record.number,
      invoiceTime: record.readyAt,
      salerTaxNum: record.sellerTaxId,
      orderAmount: record.total,
    }));
    return nuonuoAnswer('E0000', '查询成功', { totalCount: records.length, invoices });
  }

  /**
   * confirmInfoCancel (field-notes §2.10): withdraws a form the seller filed while it waits for the
   * buyer (02 → 08). Its parameters are not in our sources: the form by `billUuid`, `billNo` or `billId`.
   */
  function cancel(payload: Record<string, unknown>): Answer {
    const billUuid = text(payload.billUuid);
    const billNo = text(payload.billNo);
    const billId = text(payload.billId);
    const form = billUuid || billNo || billId ? ledger.findForm({ ...(billUuid && { billUuid }), ...(billNo && { billNo }), ...(billId && { billId }) }) : undefined;
    if (!form) return nuonuoAnswer('E9500', '红字确认单不存在');
    const now = clock.now();
    const status = formStatus(form, now);
    if (status !== '02') return nuonuoAnswer('E4000', `红字确认单状态 ${status} 不可撤销`);
    const revoked = ledger.revokeForm(form.billNo, now)!;
    return nuonuoAnswer('E0000', '撤销成功', { billNo: revoked.billNo, billStatus: revoked.status });
  }

  return {
    handle(method, payload) {
      switch (method) {
        case 'nuonuo.OpeMplatform.saveInvoiceRedConfirm':
          return save(payload);
        case 'nuonuo.OpeMplatform.queryInvoiceRedConfirm':
          return query(payload);
        case 'nuonuo.OpeMplatform.refreshInvoiceRedConfirm':
          // The simulator's forms are always current: counted, so a test can see it was asked.
          refreshes++;
          return nuonuoAnswer('E0000', '成功', { refreshes });
        case 'nuonuo.OpeMplatform.fastInvoiceRed':
          return fastRed(payload);
        case 'nuonuo.OpeMplatform.confirmInfoCancel':
          return cancel(payload);
        case 'nuonuo.OpeMplatform.queryInvoiceList':
          return list(payload);
        default:
          return undefined;
      }
    },
    issueDue(orderNo, now) {
      const form = ledger.formOfOrder(orderNo);
      if (form) issueOf(form, now);
    },
  };
}
