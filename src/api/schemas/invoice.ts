/**
 * TypeBox schemas of the invoice endpoints: the OpenAPI document is generated from them. Params,
 * query strings and headers are validated by them too; the invoice body itself is validated by
 * src/domain (every problem at once, with our stable codes), so its schema here documents it.
 */
import { Type, type TSchemaOptions } from 'typebox';
import { INVOICE_ID_FORM, TAX_CODE_FORM, TAX_ID_FORM } from '../../domain/field-forms.js';
import { INVOICE_LIMITS as LIMITS } from '../../domain/invoice-limits.js';
import { INVOICE_STATUSES, PENDING_STAGES } from '../../domain/invoice-state.js';
import { TAX_RATES } from '../../domain/tax-rate.js';
import { RED_FLUSH_REASONS } from '../../domain/red-flush.js';
import { FREIGHT_VEHICLES, PASSENGER_VEHICLES } from '../../domain/specific-business.js';
import { TAX_POLICIES } from '../../domain/tax-policy.js';

/** One of a list of strings (anyOf of consts in the document), typed as that list's union. */
function OneOf<const T extends readonly string[]>(values: T, options: TSchemaOptions = {}) {
  return Type.Unsafe<T[number]>(Type.Union(values.map((value) => Type.Literal(value)), options));
}

const Money = (description: string) => Type.String({ pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]{1,2})?$', description, examples: ['1060.00'] });
const Decimal = (description: string) => Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]{1,8})?$', description });
const TaxId = (description: string) => Type.String({ pattern: TAX_ID_FORM.source, description, examples: ['91330100716105852F'] });

export const Buyer = Type.Object(
  {
    name: Type.String({ maxLength: LIMITS.buyerNameLength, description: '购买方名称' }),
    taxId: Type.Optional(TaxId('购买方纳税人识别号; required for special invoices')),
    address: Type.Optional(Type.String({ maxLength: LIMITS.addressLength })),
    phone: Type.Optional(Type.String({ maxLength: LIMITS.phoneLength })),
    bankName: Type.Optional(Type.String({ maxLength: LIMITS.bankNameLength })),
    bankAccount: Type.Optional(Type.String({ maxLength: LIMITS.bankAccountLength })),
    email: Type.Optional(Type.String({ maxLength: LIMITS.emailLength })),
    naturalPerson: Type.Optional(Type.Boolean({ description: '购买方自然人标志: the issued name ends with （个人）; not on a 专票' })),
  },
  { additionalProperties: false },
);

const lineFields = {
  name: Type.String({ maxLength: LIMITS.lineNameLength, description: '*简称*项目名称', examples: ['*信息技术服务*软件开发服务'] }),
  taxCode: Type.String({ pattern: TAX_CODE_FORM.source, description: '19-digit 税收分类编码' }),
  spec: Type.Optional(Type.String({ maxLength: LIMITS.specLength })),
  unit: Type.Optional(Type.String({ maxLength: LIMITS.unitLength })),
  quantity: Type.Optional(Decimal('up to 8 decimals')),
  unitPrice: Type.Optional(Decimal('in the invoice\'s price convention, up to 8 decimals')),
  amount: Money('line amount in the invoice\'s price convention; negative on a discount line'),
  taxRate: OneOf(TAX_RATES.map((rate) => rate.code)),
  kind: Type.Optional(OneOf(['normal', 'discount'])),
  policy: Type.Optional(OneOf(TAX_POLICIES.map((p) => p.name), { description: '优惠政策标识 (docs/invoice-kinds.md)' })),
  deduction: Type.Optional(Money('扣除额, on the one line of a differential-taxation invoice')),
};

const Text = (maxLength: number, description: string) => Type.String({ maxLength, description });
const placeFields = {
  province: Text(20, '省 / 自治区 / 直辖市'),
  city: Type.Optional(Text(20, '市')),
  address: Text(80, '详细地址'),
};
const Specific = Type.Union(
  [
    Type.Object({
      kind: Type.Literal('property_lease'),
      ...placeFields,
      leaseFrom: Text(10, '租赁期起 yyyy-MM-dd'),
      leaseTo: Text(10, '租赁期止 yyyy-MM-dd'),
      crossCity: Type.Boolean({ description: '跨地（市）标志' }),
      certificateNo: Text(40, '产权证书/不动产权证号, 无 when none'),
    }),
    Type.Object({
      kind: Type.Literal('construction'),
      ...placeFields,
      projectName: Text(80, '建筑项目名称'),
      crossCity: Type.Boolean({ description: '跨地（市）标志' }),
      landVatProjectNo: Type.Optional(Text(40, '土地增值税项目编号')),
    }),
    Type.Object({
      kind: Type.Literal('freight'),
      shipments: Type.Array(
        Type.Object({ vehicleType: OneOf(FREIGHT_VEHICLES), vehicleNo: Text(40, '运输工具牌号'), from: Text(80, '起运地'), to: Text(80, '到达地'), goods: Text(80, '运输货物名称') }),
        { minItems: 1, maxItems: 100 },
      ),
    }),
    Type.Object({
      kind: Type.Literal('passenger'),
      travellers: Type.Array(
        Type.Object({
          name: Text(40, '出行人'),
          idNumber: Type.Optional(Text(30, '有效身份证件号')),
          date: Text(10, '出行日期 yyyy-MM-dd'),
          from: Text(80, '出发地'),
          to: Text(80, '到达地'),
          seatClass: Text(20, '等级'),
          vehicleType: OneOf(PASSENGER_VEHICLES),
        }),
        { minItems: 1, maxItems: 100 },
      ),
    }),
  ],
  { description: '特定业务 (docs/invoice-kinds.md)' },
);

const requestFields = {
  orderNo: Type.String({ maxLength: LIMITS.orderNoLength }),
  type: OneOf(['normal', 'special'], { description: 'normal = 普通发票, special = 增值税专用发票' }),
  seller: Type.Object({ taxId: TaxId('a registered seller') }),
  buyer: Buyer,
  priceIncludesTax: Type.Boolean(),
  remarks: Type.Optional(Type.String({ maxLength: LIMITS.remarksLength })),
  drawer: Type.Optional(Type.String({ maxLength: LIMITS.drawerLength, description: '开票人' })),
  payee: Type.Optional(Type.String({ maxLength: LIMITS.drawerLength, description: '收款人' })),
  reviewer: Type.Optional(Type.String({ maxLength: LIMITS.drawerLength, description: '复核人' })),
  taxation: Type.Optional(OneOf(['normal', 'differential'], { description: 'differential = 差额征税 (one line with a deduction)' })),
  specific: Type.Optional(Specific),
  quotaPolicy: Type.Optional(OneOf(['wait', 'refuse'], { description: "beyond the seller's monthly 发票额度: wait (default, stage awaiting_quota) or be refused at once (409 quota_exceeded)" })),
  priority: Type.Optional(OneOf(['normal', 'high'], { description: "high may use the quota the seller keeps in reserve" })),
};

export const InvoiceRequest = Type.Object(
  { ...requestFields, lines: Type.Array(Type.Object(lineFields, { additionalProperties: false }), { minItems: 1, maxItems: LIMITS.maxLines }) },
  { additionalProperties: false, $id: 'InvoiceRequest' },
);

const ComputedLine = Type.Object({
  ...lineFields,
  kind: OneOf(['normal', 'discount']),
  nature: OneOf(['normal', 'discounted', 'discount']),
  amountExcludingTax: Money('金额 (不含税)'),
  tax: Money('税额'),
  amountIncludingTax: Money('含税金额'),
  unitPriceExcludingTax: Type.Optional(Type.String()),
  blueLine: Type.Optional(Type.Integer({ description: 'on a red invoice: the index of the blue line it flushes (蓝字明细序号, 0-based)' })),
});

const Totals = Type.Object({
  amount: Money('合计金额'),
  tax: Money('合计税额'),
  total: Money('价税合计'),
  totalInWords: Type.String({ description: '价税合计（大写）', examples: ['壹仟零陆拾圆整'] }),
});

export const ComputedInvoiceSchema = Type.Object({ ...requestFields, lines: Type.Array(ComputedLine), totals: Totals }, { $id: 'ComputedInvoice' });

export const InvoiceResource = Type.Object(
  {
    id: Type.String(),
    ...requestFields,
    seller: Type.Object({ taxId: Type.String(), name: Type.String() }, { additionalProperties: true }),
    lines: Type.Array(ComputedLine),
    totals: Totals,
    status: OneOf(INVOICE_STATUSES),
    stage: Type.Union([OneOf(PENDING_STAGES), Type.Null()]),
    serialNo: Type.String({ description: '流水号: our key for this invoice at the upstream' }),
    number: Type.Union([Type.String({ description: '20-digit 发票号码' }), Type.Null()]),
    issuedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    channel: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer(),
    lastError: Type.Union([
      Type.Object({
        code: Type.String(),
        message: Type.String(),
        at: Type.String(),
        text: Type.Object({ zh: Type.String(), en: Type.String() }, { description: 'our sentence for the code, in Chinese and English (docs/errors.md)' }),
      }),
      Type.Null(),
    ]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    documents: Type.Union([
      Type.Object(
        {
          status: OneOf(['pending', 'rendered'], { description: 'pending until the signed PDF and XML are stored' }),
          attempts: Type.Integer({ description: 'failed renders so far' }),
          error: Type.Union([Type.String({ description: 'why the last render failed; it is tried again' }), Type.Null()]),
        },
        { description: 'the signed PDF and XML of an issued invoice; null before it is issued' },
      ),
      Type.Null(),
    ]),
    simulated: Type.Boolean({ description: 'issued through the built-in simulator: not a real invoice' }),
    traceId: Type.Union([Type.String({ description: 'the OpenTelemetry trace every span of this invoice belongs to (API, commit, attempts, render, webhooks), 32 hex digits' }), Type.Null()], { description: 'null when tracing was off as it was accepted' }),
    kind: OneOf(['blue', 'red'], { description: 'red: a red invoice (红字发票), its figures negative' }),
    blueInvoiceId: Type.Union([Type.String({ description: 'a red invoice: the blue invoice it flushes' }), Type.Null()]),
    blueNumber: Type.Union([Type.String({ description: "a red invoice: the blue invoice's number" }), Type.Null()]),
    redReason: Type.Union([OneOf(RED_FLUSH_REASONS, { description: 'a red invoice: why (冲红原因)' }), Type.Null()]),
    confirmation: Type.Union(
      [
        Type.Object(
          {
            status: Type.String({ description: '红字确认单 state: 02/03 waiting for the counterparty, 04 confirmed; a void form (05–10) ends the red invoice rejected' }),
            billNo: Type.Union([Type.String({ description: '红字确认单编号' }), Type.Null()]),
          },
          { description: "a red invoice's confirmation form, while one is involved" },
        ),
        Type.Null(),
      ],
    ),
    redFlushes: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), status: OneOf(INVOICE_STATUSES), total: Money('the red invoice\'s 价税合计 (negative)') }), {
        description: 'a blue invoice: its red invoices, oldest first',
      }),
    ),
    redFlushableTotal: Type.Optional(
      Type.Union([Money('a blue invoice: what may still be red-flushed (价税合计); rejected red invoices give theirs back'), Type.Null()]),
    ),
    deliveries: Type.Optional(
      Type.Array(
        Type.Object({
          channel: Type.Literal('email'),
          to: Type.String(),
          status: OneOf(['pending', 'sent', 'failed'] as const, { description: 'pending: being sent or waiting for the next try; sent: the SMTP server took it; failed: the retry schedule ran out' }),
          at: Type.String({ format: 'date-time', description: 'when it was sent, or else queued' }),
          attempts: Type.Integer(),
          error: Type.Union([Type.String(), Type.Null()]),
        }),
        { description: 'the invoice emailed to the buyer: each address, its state (GET of one invoice)' },
      ),
    ),
  },
  { $id: 'InvoiceResource' },
);

export const RedFlushRequest = Type.Object(
  {
    reason: OneOf(RED_FLUSH_REASONS, { description: 'sales_return 销货退回 · issued_in_error 开票有误 · service_stopped 服务中止 · sales_allowance 销售折让' }),
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          {
            line: Type.Integer({ minimum: 0, description: 'the index of the blue line (0-based)' }),
            quantity: Type.Optional(Type.String({ description: 'negative, e.g. "-1"' })),
            amount: Type.Optional(Type.String({ description: 'negative, in the blue invoice\'s price convention, e.g. "-100.00"' })),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, description: 'omit for a whole red-flush of what is left' },
      ),
    ),
  },
  { additionalProperties: false, $id: 'RedFlushRequest' },
);

/** POST /v1/invoices/{id}/red-flush/preview: the red invoice a request would make, nothing stored. */
export const RedFlushPreview = Type.Object({
  lines: Type.Array(ComputedLine),
  totals: Totals,
  red: Type.Object({ blueInvoiceId: Type.String(), blueNumber: Type.String(), reason: OneOf(RED_FLUSH_REASONS), whole: Type.Optional(Type.Boolean({ description: 'it flushes the whole blue invoice' })) }),
});

export const InvoiceList = Type.Object({ data: Type.Array(InvoiceResource), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(OneOf(INVOICE_STATUSES)),
    stage: Type.Optional(OneOf(PENDING_STAGES, { description: 'a stage of pending invoices' })),
    sellerTaxId: Type.Optional(Type.String({ pattern: TAX_ID_FORM.source })),
    buyerTaxId: Type.Optional(Type.String({ pattern: TAX_ID_FORM.source })),
    orderNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'an order number: 1–64 characters, no control characters' })),
    number: Type.Optional(Type.String({ pattern: '^[0-9]{20}$', description: 'the 20-digit invoice number' })),
    buyerName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: "a part of the buyer's name" })),
    total: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,16}(\\.[0-9]{1,2})?$', description: '价税合计, e.g. 1060.00 (a red invoice: negative)' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'an RFC 3339 date-time, e.g. 2026-11-25T00:00:00+08:00: created at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'an RFC 3339 date-time, e.g. 2026-11-25T00:00:00+08:00: created before' })),
    // Digits only: a coercing validator would read "1e2" or "0x10" as a number.
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'a whole number from 1 to 100, in digits (default 20)' })),
    cursor: Type.Optional(Type.String({ pattern: INVOICE_ID_FORM.source })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), code: Type.String(), message: Type.String(), messageZh: Type.String() }))),
  },
  { $id: 'Problem' },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 128, description: 'Your unique key for this invoice; retries send the same key' }),
});

export const DeliverRequest = Type.Object(
  { email: Type.Optional(Type.String({ maxLength: 254, description: "another address; the buyer's email by default" })) },
  { additionalProperties: false },
);

/** An invoice's history: each upstream attempt and each audit entry, oldest first. */
export const Timeline = Type.Object({
  data: Type.Array(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      kind: Type.Union([Type.Literal('attempt'), Type.Literal('audit')]),
      what: Type.String({ description: 'attempt: submit or query; audit: the event' }),
      channel: Type.Union([Type.String(), Type.Null()]),
      outcome: Type.Union([Type.String(), Type.Null()]),
      durationMs: Type.Union([Type.Integer(), Type.Null()]),
      errorCode: Type.Union([Type.String(), Type.Null()]),
      errorMessage: Type.Union([Type.String(), Type.Null()]),
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.Union([Type.String(), Type.Null()]),
      text: Type.Object({ zh: Type.String(), en: Type.String() }, { description: 'the entry as a sentence, in Chinese and English' }),
    }),
  ),
});
