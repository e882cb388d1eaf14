/**
 * Field errors: what is wrong with one value of a request: a JSON-pointer path, a stable snake_case code and a message in
 * English and Chinese. Codes are the contract (docs/errors.md lists each one); a retired code is
 * never given a new meaning. Messages may improve at any time.
 */

export interface FieldError {
  /** JSON pointer (RFC 6901) to the offending value; "" for the whole body. */
  readonly path: string;
  readonly code: FieldErrorCode;
  /** English, for integrators' logs. */
  readonly message: string;
  /** 中文, for finance staff. */
  readonly messageZh: string;
}

export type Text = { readonly en: string; readonly zh: string };

/** Each code with the text it produces from its details. */
const CATALOG = {
  json_malformed: (p: { reason: string }): Text => ({
    en: `the body is not valid JSON (${p.reason})`,
    zh: `请求内容不是合法的 JSON（${p.reason}）`,
  }),
  encoding_invalid: (): Text => ({
    en: 'the body is not UTF-8 text; convert it (files saved as GBK/GB18030 must be re-saved as UTF-8)',
    zh: '内容不是 UTF-8 编码，请转换（GBK/GB18030 保存的文件需另存为 UTF-8）',
  }),
  json_too_deep: (p: { limit: number }): Text => ({
    en: `the body nests arrays and objects more than ${p.limit} deep`,
    zh: `请求内容的数组与对象嵌套超过 ${p.limit} 层`,
  }),
  body_too_large: (p: { limitBytes: number }): Text => ({
    en: `the body is larger than ${p.limitBytes} bytes`,
    zh: `请求内容超过 ${p.limitBytes} 字节`,
  }),
  field_required: (): Text => ({ en: 'this field is required', zh: '此字段必填' }),
  field_unknown: (p: { hint?: Text }): Text => ({
    en: `unknown field${p.hint ? `; ${p.hint.en}` : ''}`,
    zh: `未知字段${p.hint ? `；${p.hint.zh}` : ''}`,
  }),
  type_invalid: (p: { expected: 'string' | 'boolean' | 'object' | 'array'; example: string }): Text => ({
    en: `must be ${p.expected === 'array' || p.expected === 'object' ? 'an' : 'a'} ${p.expected}${p.example ? `, e.g. ${p.example}` : ''}`,
    zh: `类型应为 ${ZH_TYPES[p.expected]}${p.example ? `，例如 ${p.example}` : ''}`,
  }),
  value_not_allowed: (p: { allowed: string }): Text => ({
    en: `must be one of: ${p.allowed}`,
    zh: `取值只能是：${p.allowed}`,
  }),
  string_empty: (): Text => ({ en: 'must not be empty or blank', zh: '不能为空或只含空白' }),
  string_too_long: (p: { max: number; actual: number }): Text => ({
    en: `at most ${p.max} characters (got ${p.actual})`,
    zh: `最多 ${p.max} 个字符（实际 ${p.actual} 个）`,
  }),
  string_control_characters: (): Text => ({
    en: 'must not contain control characters (tabs, line breaks, NUL …)',
    zh: '不能包含控制字符（制表符、换行、NUL 等）',
  }),
  string_unicode_invalid: (): Text => ({
    en: 'contains a lone UTF-16 surrogate (\\ud800–\\udfff without its pair), which is no character; send the text as proper UTF-8',
    zh: '包含不成对的 UTF-16 代理项（\\ud800–\\udfff），不是合法字符，请以正确的 UTF-8 文本发送',
  }),
  string_invisible_characters: (p: { codePoint: string }): Text => ({
    en: `must not contain invisible formatting characters (found ${p.codePoint}: a bidirectional override or a zero-width character), which change what the printed invoice shows`,
    zh: `不能包含不可见的格式字符（发现 ${p.codePoint}：双向文本控制符或零宽字符），它们会改变发票上显示的内容`,
  }),
  decimal_format: (p: { example: string }): Text => ({
    en: `must be a plain decimal string like "${p.example}" (no exponent, sign, spaces or leading zeros; JSON numbers are refused so that no precision is lost)`,
    zh: `应为普通十进制数字字符串，例如 "${p.example}"（不可用科学计数法、正号、空格或前导零；为避免精度丢失，不接受 JSON 数字）`,
  }),
  decimal_too_precise: (p: { maxDecimals: number }): Text => ({
    en: `at most ${p.maxDecimals} decimals`,
    zh: `最多 ${p.maxDecimals} 位小数`,
  }),
  decimal_too_large: (p: { maxIntegerDigits: number }): Text => ({
    en: `at most ${p.maxIntegerDigits} digits before the decimal point`,
    zh: `整数部分最多 ${p.maxIntegerDigits} 位`,
  }),
  value_not_positive: (): Text => ({ en: 'must be greater than zero', zh: '必须大于零' }),
  tax_rate_unknown: (p: { given: string; known: string }): Text => ({
    en: `${p.given} is not a tax rate in use; use one of ${p.known}`,
    zh: `${p.given} 不是可用的税率或征收率；可用值：${p.known}`,
  }),
  tax_rate_not_allowed: (p: { reason: Text }): Text => p.reason,
  tax_id_format: (): Text => ({
    en: 'a taxpayer ID is 15 to 20 digits and upper-case letters; an 18-character one is a unified social credit code (never the letters I, O, S, V, Z; digits in positions 3–8) or a resident ID number',
    zh: '纳税人识别号应为 15 到 20 位数字或大写字母；18 位的应为统一社会信用代码（不含字母 I、O、S、V、Z，第 3–8 位为数字）或居民身份证号码',
  }),
  tax_id_checksum: (p: { expected: string }): Text => ({
    en: `the check character of this unified social credit code is wrong (expected ${p.expected}); check for a mistyped character`,
    zh: `统一社会信用代码校验位不正确（应为 ${p.expected}），请检查是否输错`,
  }),
  tax_code_format: (): Text => ({
    en: 'the tax classification code (税收分类编码) is 19 digits, starting 1–6',
    zh: '税收分类编码应为 19 位数字，首位为 1–6',
  }),
  line_name_format: (): Text => ({
    en: 'the line name must read *简称*项目名称, e.g. "*信息技术服务*软件开发服务"',
    zh: '项目名称应为 *简称*项目名称 格式，例如 "*信息技术服务*软件开发服务"',
  }),
  phone_format: (): Text => ({
    en: 'a phone number has digits, spaces and + - ( ) only',
    zh: '电话只能包含数字、空格和 + - ( )',
  }),
  bank_account_format: (): Text => ({
    en: 'a bank account number has digits, letters, spaces and - only',
    zh: '银行账号只能包含数字、字母、空格和 -',
  }),
  email_format: (): Text => ({ en: 'not an e-mail address', zh: '不是有效的电子邮箱地址' }),
  lines_empty: (): Text => ({ en: 'an invoice needs at least one line', zh: '发票至少要有一行明细' }),
  lines_too_many: (p: { max: number; actual: number }): Text => ({
    en: `at most ${p.max} lines, discount lines included (got ${p.actual}); split the order into several invoices`,
    zh: `明细最多 ${p.max} 行（含折扣行，实际 ${p.actual} 行），请拆分为多张发票`,
  }),
  quantity_price_pair: (): Text => ({
    en: 'give quantity and unitPrice together, or neither',
    zh: '数量和单价须同时填写或同时不填',
  }),
  amount_mismatch: (p: { product: string; amount: string }): Text => ({
    en: `quantity × unitPrice is ${p.product}, which differs from amount ${p.amount} by more than 0.01`,
    zh: `数量 × 单价 = ${p.product}，与金额 ${p.amount} 相差超过 0.01`,
  }),
  discount_without_line: (): Text => ({
    en: 'a discount line must directly follow the line it discounts, and that line must not be a discount line itself',
    zh: '折扣行必须紧跟在被折扣行之后，且被折扣行不能是折扣行',
  }),
  discount_line_mismatch: (p: { field: string }): Text => ({
    en: `a discount line's ${p.field} must equal the discounted line's`,
    zh: `折扣行的 ${p.field} 必须与被折扣行相同`,
  }),
  discount_field_forbidden: (): Text => ({
    en: 'a discount line has no spec, unit, quantity or unitPrice',
    zh: '折扣行不能填写规格型号、单位、数量或单价',
  }),
  discount_not_negative: (): Text => ({
    en: 'a discount line amount is negative, e.g. "-60.00"',
    zh: '折扣行金额应为负数，例如 "-60.00"',
  }),
  discount_exceeds_line: (p: { discount: string; line: string }): Text => ({
    en: `the discount ${p.discount} is larger than the discounted line's amount ${p.line}`,
    zh: `折扣金额 ${p.discount} 大于被折扣行金额 ${p.line}`,
  }),
  special_invoice_natural_person: (): Text => ({
    en: 'this buyer tax ID is a resident identity number, so the buyer is a natural person, who cannot receive a special VAT invoice (专票); issue a normal invoice',
    zh: '购买方税号为居民身份证号码，即自然人，不能开具增值税专用发票，请开具普通发票',
  }),
  special_invoice_tax_free: (): Text => ({
    en: 'a special VAT invoice (专票) cannot carry tax-free (免税) lines; issue a normal invoice',
    zh: '免税项目不得开具增值税专用发票，请开具普通发票',
  }),
  total_not_positive: (): Text => ({
    en: 'a blue invoice must total more than zero',
    zh: '蓝字发票的价税合计必须大于零',
  }),
  total_too_large: (p: { max: string }): Text => ({
    en: `the invoice total exceeds ${p.max}`,
    zh: `价税合计超过 ${p.max}`,
  }),
  red_reason_not_allowed: (p: { reason: string; items: 'goods' | 'services' }): Text => ({
    en: `${p.reason === '服务中止' ? 'service_stopped' : 'sales_return'} does not apply to an invoice of ${p.items} only (tax codes starting ${p.items === 'goods' ? '1 or 2' : '3'})`,
    zh: `全部为${p.items === 'goods' ? '货物（编码以1、2开头）' : '服务（编码以3开头）'}的发票不能以“${p.reason}”红冲`,
  }),
  red_line_unknown: (p: { lines: number }): Text => ({
    en: `must be the index of a line of the blue invoice, 0 to ${p.lines - 1}`,
    zh: `应为蓝字发票的行号，0 至 ${p.lines - 1}`,
  }),
  red_line_duplicate: (p: { line: number }): Text => ({
    en: `line ${p.line} is asked for twice; give each blue line once`,
    zh: `第 ${p.line} 行重复，每个蓝字明细只能出现一次`,
  }),
  webhook_url_invalid: (): Text => ({
    en: 'must be an absolute http:// or https:// URL without credentials, at most 2000 characters',
    zh: '应为完整的 http:// 或 https:// 地址，不含用户名密码，最长 2000 字符',
  }),
  webhook_url_private: (): Text => ({
    en: 'a loopback, private or link-local address: webhooks go to public addresses only (FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 allows it)',
    zh: '回环、内网或链路本地地址：webhook 只发往公网地址（FAPIAO_WEBHOOK_ALLOW_PRIVATE=1 可放开）',
  }),
  webhook_events_empty: (): Text => ({
    en: 'name at least one event type, or ["*"] for all',
    zh: '请至少填写一种事件类型，或用 ["*"] 订阅全部',
  }),
  red_line_empty: (): Text => ({ en: 'give the quantity or the amount to flush', zh: '请填写冲红数量或金额' }),
  red_value_not_negative: (): Text => ({
    en: 'red quantities and amounts are negative, e.g. "-1" or "-100.00"',
    zh: '红字发票的数量和金额为负数，例如 "-1" 或 "-100.00"',
  }),
  red_quantity_forbidden: (): Text => ({
    en: 'no quantity here: 销售折让 (sales_allowance) changes amounts only, and a line without a unit price has no quantity to return',
    zh: '此处不填数量：销售折让只冲金额，无单价的明细也没有可冲的数量',
  }),
  red_quantity_required: (): Text => ({
    en: 'a sales return (销货退回) gives the quantity returned; the amount follows from the blue unit price',
    zh: '销货退回须填写退回数量，金额按蓝字单价计算',
  }),
  red_discounted_line_partial: (): Text => ({
    en: 'a line with a discount (and its discount line) can only be flushed with the whole invoice; omit "lines"',
    zh: '带折扣的明细（及其折扣行）只能随整张发票全额红冲，请不填 lines',
  }),
  red_reason_requires_full: (): Text => ({
    en: 'issued_in_error (开票有误) flushes the whole invoice: omit "lines"',
    zh: '开票有误须全额红冲，请不填 lines',
  }),
  red_flush_partly_flushed: (): Text => ({
    en: 'the blue invoice was partly red-flushed already; issued_in_error (开票有误) needs it untouched, so flush what is left with another reason',
    zh: '该蓝字发票已部分红冲，不能再以“开票有误”全额红冲，请以其他原因冲红剩余部分',
  }),
  red_flush_nothing_left: (): Text => ({ en: 'the blue invoice is flushed whole already', zh: '该蓝字发票已全额红冲' }),
  red_exceeds_line: (p: { asked: string; left: string }): Text => ({
    en: `${p.asked} asked, but only ${p.left} of this line is left to flush (earlier red invoices included)`,
    zh: `申请冲红 ${p.asked}，该明细剩余可冲红 ${p.left}（已计入此前的红字发票）`,
  }),
  red_exceeds_total: (p: { asked: string; left: string }): Text => ({
    en: `${p.asked} asked in total, but only ${p.left} of the invoice is left to flush`,
    zh: `申请冲红合计 ${p.asked}，该发票剩余可冲红 ${p.left}`,
  }),
  date_format: (): Text => ({ en: 'a date is written yyyy-MM-dd and must exist, e.g. "2026-12-01"', zh: '日期格式应为 yyyy-MM-dd 且为真实日期，例如 "2026-12-01"' }),
  place_province_form: (): Text => ({
    en: 'the province must end in 省, 自治区 or 特别行政区, or be 北京市, 天津市, 上海市 or 重庆市',
    zh: '省份须以“省”“自治区”“特别行政区”结尾，或为北京市、天津市、上海市、重庆市',
  }),
  place_city_form: (): Text => ({
    en: 'the city must end in 市, 盟, 自治州, 地区 or 区 (县 only under 重庆市 and 海南省)',
    zh: '市须以“市”“盟”“自治州”“地区”“区”结尾（仅重庆市、海南省可以“县”结尾）',
  }),
  place_address_form: (): Text => ({
    en: 'the detailed address must contain one of 街, 路, 村, 乡, 镇, 道, 巷 or 号',
    zh: '详细地址须包含“街、路、村、乡、镇、道、巷、号”中的任意一个',
  }),
  lease_period_order: (): Text => ({ en: 'the lease ends before it starts', zh: '租赁期止早于租赁期起' }),
  specific_rows_count: (p: { max: number }): Text => ({ en: `give 1 to ${p.max} rows`, zh: `应填写 1 至 ${p.max} 行` }),
  specific_tax_code: (p: { kind: string; family: string }): Text => ({
    en: `a ${p.kind} invoice has lines of ${p.family} only`,
    zh: `${p.kind}发票的明细只能使用${p.family}的税收分类编码`,
  }),
  lease_unit: (p: { units: string }): Text => ({
    en: `a property lease line is counted in an area unit: ${p.units}`,
    zh: `不动产经营租赁明细的单位须为面积单位：${p.units}`,
  }),
  lease_area_required: (): Text => ({ en: 'give the leased area as the quantity (and the unit price)', zh: '请以数量填写租赁面积（并填写单价）' }),
  policy_unknown: (p: { given: string; known: string }): Text => ({
    en: `${p.given} is not a preferential policy (优惠政策); use one of ${p.known}`,
    zh: `${p.given} 不是有效的优惠政策标识；可用值：${p.known}`,
  }),
  policy_rate_mismatch: (p: { policy: string; rates: string }): Text => ({
    en: `the policy ${p.policy} takes the rate ${p.rates}`,
    zh: `优惠政策“${p.policy}”的税率/征收率只能为 ${p.rates}`,
  }),
  policy_not_mixable: (p: { policy: string }): Text => ({
    en: `the policy ${p.policy} cannot be mixed with other lines on one invoice (该优惠政策不能混开); issue those lines separately`,
    zh: `优惠政策“${p.policy}”不能与其他明细混开，请分开开具`,
  }),
  reduced_rate_property_lease_only: (): Text => ({
    en: 'the 1.5 % rate (reduced_1_5, 按5%简易征收减按1.5%计征) is for property leasing only: add "specific": {"kind": "property_lease", …}',
    zh: '按5%简易征收减按1.5%计征仅适用于不动产经营租赁，请填写 specific.kind = "property_lease"',
  }),
  reduced_rate_single_line: (): Text => ({
    en: 'an invoice at the reduced 1.5 % rate has exactly one line and no discount',
    zh: '减按1.5%计征的发票只能单张单行开具，不能有折扣行',
  }),
  natural_person_special: (): Text => ({
    en: 'a natural person (naturalPerson: true) cannot receive a special VAT invoice (专票); issue a normal invoice',
    zh: '自然人不能取得增值税专用发票，请开具普通发票',
  }),
  natural_person_name_short: (): Text => ({ en: "a natural person's name has at least two characters", zh: '自然人购买方名称至少两个字符' }),
  differential_one_line: (): Text => ({
    en: 'a differential-taxation invoice (差额征税) has exactly one line and no discount',
    zh: '差额征税发票只能有一行明细，且不能有折扣行',
  }),
  differential_tax_inclusive: (): Text => ({
    en: 'differential taxation computes tax from the amount including tax: set priceIncludesTax to true',
    zh: '差额征税按含税金额计算税额，请将 priceIncludesTax 设为 true',
  }),
  deduction_required: (): Text => ({ en: 'a differential-taxation line gives its deduction (扣除额) above zero', zh: '差额征税明细须填写大于零的扣除额' }),
  deduction_not_differential: (): Text => ({
    en: 'a deduction (扣除额) belongs only on a differential-taxation invoice ("taxation": "differential")',
    zh: '只有差额征税发票（taxation = "differential"）可以填写扣除额',
  }),
  deduction_exceeds_amount: (p: { deduction: string; amount: string }): Text => ({
    en: `the deduction ${p.deduction} exceeds the line amount including tax ${p.amount}`,
    zh: `扣除额 ${p.deduction} 大于含税金额 ${p.amount}`,
  }),
  red_differential_partial: (): Text => ({
    en: 'a differential-taxation invoice (差额征税) can only be red-flushed whole: omit "lines"',
    zh: '差额征税发票只能全额红冲，请不填 lines',
  }),
  total_tax_tolerance: (p: { deviation: string }): Text => ({
    en: `the total tax differs from Σ(amount × rate) by ${p.deviation}, beyond the tax platform's 1.27 limit; split the invoice or merge small lines`,
    zh: `合计税额与 Σ(金额 × 税率) 相差 ${p.deviation}，超过税务平台允许的 1.27，请拆分发票或合并小额明细`,
  }),
} as const;

const ZH_TYPES = { string: '字符串', boolean: '布尔值', object: '对象', array: '数组' } as const;

export type FieldErrorCode = keyof typeof CATALOG;

/** Every code, for the documentation check. */
export const FIELD_ERROR_CODES = Object.keys(CATALOG) as FieldErrorCode[];

type Details<C extends FieldErrorCode> = Parameters<(typeof CATALOG)[C]> extends [] ? [] : Parameters<(typeof CATALOG)[C]>;

/** Builds one field error. */
export function fieldError<C extends FieldErrorCode>(path: string, code: C, ...details: Details<C>): FieldError {
  const build = CATALOG[code] as (p?: unknown) => Text;
  const text = build(details[0]);
  return { path, code, message: text.en, messageZh: text.zh };
}

/** Appends a key or index to a JSON pointer, escaping ~ and / (RFC 6901). */
export function pointer(base: string, key: string | number): string {
  return `${base}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
