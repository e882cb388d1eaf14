/**
 * What the simulated platform checks of a red invoice before issuing it, as the bureau does: the
 * blue invoice exists under this seller, and the red invoices of it never add up past it.
 */
import { formatFen, parseMoney } from '../domain/money.js';
import { formStatus, type SimulatorLedger } from './simulator-ledger.js';

/** A form in these states holds its amount until its red invoice exists (then the invoice holds it). */
const FORM_HOLDS = new Set(['15', '01', '02', '03', '04']);

const fen = (text: string): bigint | undefined => {
  const parsed = parseMoney(text, { allowNegative: true });
  return parsed.ok ? parsed.fen : undefined;
};

/** Why a red invoice is refused (in the platform's words), or null when it may be issued. */
export function redRefusal(ledger: SimulatorLedger, red: { sellerTaxId: string; total: string; blueNumber: string }, now = Date.now()): string | null {
  const blue = ledger.findByNumber(red.blueNumber);
  if (!blue || blue.kind !== 'blue' || blue.sellerTaxId !== red.sellerTaxId) return `蓝字发票 ${red.blueNumber} 不存在或不属于该销方`;
  const total = fen(red.total);
  if (total === undefined || total >= 0n) return '红字发票价税合计须为负数';
  const reds = ledger.redsOf(red.blueNumber);
  const issuedForms = new Set(reds.map((record) => record.billNo));
  const held = ledger.formsOf(red.blueNumber).filter((form) => FORM_HOLDS.has(formStatus(form, now)) && !issuedForms.has(form.billNo));
  const flushed = [...reds, ...held].reduce((sum, item) => sum - (fen(item.total) ?? 0n), 0n);
  const left = (fen(blue.total) ?? 0n) - flushed;
  if (-total > left) return `红冲金额 ${formatFen(-total)} 超过蓝字发票剩余可冲红金额 ${formatFen(left)}`;
  return null;
}
