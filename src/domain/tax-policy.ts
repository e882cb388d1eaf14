/**
 * 优惠政策标识 (yhzcbs, domain.md §3.1 after [LQ-LK]): the policy a line is taxed under, with the
 * rates each allows. The request names a policy in words; the platform and providers get its code.
 */
import type { TaxRate } from './tax-rate.js';

/** Which rates a policy allows: a list of rate codes, or the general 税率 (13/9/6 %). */
type RateRule = { readonly codes: readonly string[] } | { readonly general: true };

export interface TaxPolicy {
  readonly name: string;
  /** The platform's two-digit code. */
  readonly code: string;
  /** As the platform names it. */
  readonly label: string;
  readonly rates: RateRule;
}

const GENERAL = { general: true } as const;
const GENERAL_RATES = ['0.13', '0.09', '0.06'];

const policy = (name: string, code: string, label: string, rates: RateRule): TaxPolicy => ({ name, code, label, rates });

/** Every policy of [LQ-LK], by the name a request uses. */
export const TAX_POLICIES: readonly TaxPolicy[] = [
  policy('simplified', '01', '简易征收', { codes: ['0.03', '0.05'] }),
  policy('rare_earth', '02', '稀土产品', GENERAL),
  // 免税 and 不征税 carry rate 0; the request may say "0" or the older "free" / "none".
  policy('exempt', '03', '免税', { codes: ['free'] }),
  policy('not_taxable', '04', '不征税', { codes: ['none'] }),
  policy('refund_after_levy', '05', '先征后退', GENERAL),
  policy('refund_after_levy_100', '06', '100%先征后退', GENERAL),
  policy('refund_after_levy_50', '07', '50%先征后退', GENERAL),
  policy('simplified_3', '08', '按3%简易征收', { codes: ['0.03'] }),
  policy('simplified_5', '09', '按5%简易征收', { codes: ['0.05'] }),
  policy('reduced_1_5', '10', '按5%简易征收减按1.5%计征', { codes: ['0.015'] }),
  policy('immediate_refund_30', '11', '即征即退30%', GENERAL),
  policy('immediate_refund_50', '12', '即征即退50%', GENERAL),
  policy('immediate_refund_70', '13', '即征即退70%', GENERAL),
  policy('immediate_refund_100', '14', '即征即退100%', GENERAL),
  policy('excess_burden_refund_3', '15', '超税负3%即征即退', GENERAL),
  policy('excess_burden_refund_8', '16', '超税负8%即征即退', GENERAL),
  policy('excess_burden_refund_12', '17', '超税负12%即征即退', GENERAL),
  policy('excess_burden_refund_6', '18', '超税负6%即征即退', GENERAL),
];

export type TaxPolicyName = string;

const byName = new Map(TAX_POLICIES.map((p) => [p.name, p]));
const byCode = new Map(TAX_POLICIES.map((p) => [p.code, p]));
const byLabel = new Map(TAX_POLICIES.map((p) => [p.label, p]));

export const TAX_POLICY_NAMES = TAX_POLICIES.map((p) => p.name).join(', ');

/** The policy a request names ("exempt"), or its code ("03") or label ("免税") as a spreadsheet gives it. */
export function findTaxPolicy(text: string): TaxPolicy | undefined {
  return byName.get(text) ?? byCode.get(text) ?? byLabel.get(text);
}

/** Whether the policy allows this rate. */
export function policyAllowsRate(taxPolicy: TaxPolicy, rate: TaxRate): boolean {
  if ('general' in taxPolicy.rates) return GENERAL_RATES.includes(rate.code);
  return taxPolicy.rates.codes.includes(rate.code);
}

/** The rates the policy allows, as a person reads them. */
export function policyRatesText(taxPolicy: TaxPolicy): string {
  const codes = 'general' in taxPolicy.rates ? GENERAL_RATES : taxPolicy.rates.codes;
  return codes.map((code) => (code === 'free' || code === 'none' ? '0' : code)).join(', ');
}

/** The policy a zero-tax rate implies when the request names none (the rates "free" and "none"). */
export function impliedPolicy(rate: TaxRate): TaxPolicy | undefined {
  if (rate.kind === 'free') return byName.get('exempt');
  if (rate.kind === 'none') return byName.get('not_taxable');
  return undefined;
}
