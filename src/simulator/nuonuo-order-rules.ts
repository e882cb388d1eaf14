/**
 * The simulator's checks of what a 诺诺 order says about its kind of invoice: 特定要素 and their
 * elements, 差额征税, a natural person on a 专票, zero-tax policies. A refusal is an E4000 with 诺诺's
 * kind of words, so an adapter that maps a kind wrongly fails against the simulator as upstream.
 */
import { parseMoney } from '../domain/money.js';
import { AREA_UNITS } from '../domain/specific-business.js';

type Detail = Readonly<Record<string, unknown>>;
export type OrderFields = Readonly<Record<string, unknown>>;

/** The elements each list entry must have, by factor: the simulator's own copy of 诺诺's fields, not the adapter's. */
const REQUIRED: Readonly<Record<string, { list: string; keys: readonly string[]; codePrefix: string }>> = {
  '3': { list: 'buildingServiceList', keys: ['buildingServicePlace', 'detailAddress', 'buildingProjectName', 'crossCityFlag'], codePrefix: '305' },
  '4': { list: 'freightList', keys: ['transportTool', 'transportToolNum', 'origin', 'destination', 'goodsName'], codePrefix: '301' },
  '6': { list: 'realPropertyRentList', keys: ['realPropertyAddress', 'detailAddress', 'rentStartDate', 'rentEndDate', 'crossCityFlag', 'realPropertyCertificate'], codePrefix: '3040502' },
  '9': { list: 'passengerList', keys: ['traveler', 'travelDate', 'departure', 'destination', 'seatLevel', 'vehicleType'], codePrefix: '301' },
};

const filled = (value: unknown) => typeof value === 'string' && value !== '';
const fen = (value: unknown) => {
  const parsed = typeof value === 'string' ? parseMoney(value, { allowNegative: true }) : undefined;
  return parsed?.ok ? parsed.fen : undefined;
};

function specificRefusal(order: OrderFields, details: readonly Detail[]): string | undefined {
  if (order.specificFactor === undefined || order.specificFactor === '0') return undefined;
  const factor = typeof order.specificFactor === 'string' ? order.specificFactor : JSON.stringify(order.specificFactor);
  const rule = REQUIRED[factor];
  if (!rule) return `特定要素[${factor}]不支持`;
  const entries = order[rule.list];
  if (!Array.isArray(entries) || entries.length === 0) return `特定要素${factor}须填写${rule.list}`;
  for (const [index, entry] of (entries as Detail[]).entries()) {
    const missing = rule.keys.find((key) => !filled(entry[key]));
    if (missing) return `${rule.list}第${index + 1}行${missing}不能为空`;
  }
  for (const [index, line] of details.entries()) {
    if (typeof line.goodsCode !== 'string' || !line.goodsCode.startsWith(rule.codePrefix)) return `第${index + 1}行商品编码与特定要素${factor}不符`;
    if (factor === '6' && line.invoiceLineProperty !== '1' && !AREA_UNITS.includes(String(line.unit))) return `第${index + 1}行不动产经营租赁单位须为面积单位`;
  }
  return undefined;
}

function differentialRefusal(order: OrderFields, details: readonly Detail[]): string | undefined {
  if (order.invoiceDifferenceType !== '02') {
    return details.some((line) => line.deduction !== undefined) ? '非差额征税发票不能填写扣除额' : undefined;
  }
  if (details.length !== 1) return '差额征税发票只能有一行明细';
  const line = details[0]!;
  const gross = fen(line.taxIncludedAmount);
  const deduction = fen(line.deduction);
  const tax = fen(line.tax);
  const rate = typeof line.taxRate === 'string' ? Number(line.taxRate) : Number.NaN;
  if (gross === undefined || deduction === undefined || tax === undefined || !Number.isFinite(rate)) return '差额征税明细金额、扣除额或税额格式错误';
  if (deduction <= 0n || deduction > gross) return '扣除额须大于0且不大于含税金额';
  // |(含税金额 − 扣除额) ÷ (1 + 税率) × 税率 − 税额| ≤ 0.06, checked here in floating point as a
  // provider might: the figures are a few fen from the rule or far from it.
  const expected = (Number(gross - deduction) / (1 + rate)) * rate;
  if (Math.abs(expected - Number(tax)) > 6) return '差额征税税额误差超过0.06';
  return undefined;
}

/** Why 诺诺 would refuse this order for its kind, or undefined. */
export function orderKindRefusal(order: OrderFields, details: readonly Detail[]): string | undefined {
  if (order.naturalPersonFlag === '1' && order.invoiceLine === 'bs') return '自然人不能开具增值税专用发票';
  for (const [index, line] of details.entries()) {
    if ((line.favouredPolicyFlag === '03' || line.favouredPolicyFlag === '04') && line.taxRate !== '0') return `第${index + 1}行免税、不征税的税率须为0`;
  }
  return specificRefusal(order, details) ?? differentialRefusal(order, details);
}
