/**
 * The 电子税务局's batch template (批量开票-导入开票模板) read into invoice requests: sheet
 * 1-发票基本信息 has one row per invoice keyed by 发票流水号, 2-发票明细信息 its lines, 3-特定业务信息
 * its 特定业务 elements. Columns are found by their header (row 3 of the bureau's file), so template
 * versions that move columns still read. Problems name sheet, row and column, in Chinese first.
 */
import { pointer } from './field-error.js';
import { FREIGHT_VEHICLE_LABELS, PASSENGER_VEHICLE_LABELS, SPECIFIC_LABELS, type SpecificKind } from './specific-business.js';
import { findTaxPolicy } from './tax-policy.js';

export const BASIC_SHEET = '1-发票基本信息';
export const DETAIL_SHEET = '2-发票明细信息';
export const SPECIFIC_SHEET = '3-特定业务信息';
export const TEMPLATE_SHEETS = [BASIC_SHEET, DETAIL_SHEET, SPECIFIC_SHEET] as const;

/** Each field the gateway reads, with the header names it is known by (the bureau's first). */
const BASIC_COLUMNS = {
  serialNo: ['发票流水号'],
  type: ['发票类型'],
  specific: ['特定业务类型'],
  priceIncludesTax: ['是否含税'],
  naturalPerson: ['受票方自然人标识', '自然人标识', '是否开票给自然人'],
  buyerName: ['购买方名称'],
  buyerTaxId: ['购买方纳税人识别号', '纳税人识别号'],
  buyerAddress: ['购买方地址'],
  buyerPhone: ['购买方电话'],
  buyerBankName: ['购买方开户银行'],
  buyerBankAccount: ['购买方银行账号'],
  remarks: ['备注'],
  buyerEmail: ['购买方邮箱'],
  payee: ['收款人'],
  reviewer: ['复核人'],
  drawer: ['开票人'],
  differential: ['差额征税'],
} as const;
const DETAIL_COLUMNS = {
  serialNo: ['发票流水号'],
  name: ['项目名称'],
  taxCode: ['商品和服务税收编码', '税收分类编码', '商品编码'],
  spec: ['规格型号'],
  unit: ['单位'],
  quantity: ['数量'],
  unitPrice: ['单价'],
  amount: ['金额'],
  taxRate: ['税率', '税率/征收率'],
  discount: ['折扣金额'],
  usesPolicy: ['是否使用优惠政策'],
  policy: ['优惠政策类型'],
  refundPolicy: ['即征即退类型'],
  deduction: ['扣除额'],
} as const;
const SPECIFIC_COLUMNS = {
  serialNo: ['发票流水号'],
  province: ['不动产地址（省）', '建筑服务发生地（省）', '省'],
  city: ['不动产地址（市）', '建筑服务发生地（市）', '市'],
  address: ['不动产详细地址', '建筑服务详细地址', '详细地址'],
  leaseFrom: ['租赁期起'],
  leaseTo: ['租赁期止'],
  crossCity: ['跨地（市）标志', '跨地(市)标志', '跨地市标志'],
  certificateNo: ['产权证书/不动产权证号', '产权证书号'],
  projectName: ['建筑项目名称'],
  landVatProjectNo: ['土地增值税项目编号'],
  vehicleType: ['运输工具种类', '交通工具类型'],
  vehicleNo: ['运输工具牌号'],
  from: ['起运地', '出发地'],
  to: ['到达地'],
  goods: ['运输货物名称'],
  traveller: ['出行人'],
  idNumber: ['有效身份证件号', '出行人证件号码'],
  date: ['出行日期'],
  seatClass: ['等级', '座位等级'],
} as const;

type ColumnsOf<T> = { [K in keyof T]?: number };
const REQUIRED_BASIC: ReadonlyArray<keyof typeof BASIC_COLUMNS> = ['serialNo', 'type', 'priceIncludesTax', 'buyerName'];
const REQUIRED_DETAIL: ReadonlyArray<keyof typeof DETAIL_COLUMNS> = ['serialNo', 'name', 'taxCode', 'amount', 'taxRate'];

/** Where a value came from: a sheet, a row (1-based) and the column's header. */
export interface CellRef {
  readonly sheet: string;
  readonly row: number;
  readonly column?: string;
}

/** A problem with the file, a row or a cell: the code is stable, the words are for finance staff. */
export interface TemplateProblem extends CellRef {
  readonly code: string;
  readonly messageZh: string;
  readonly message: string;
}

/** What is wrong with one row of a batch: where (a cell of the file, or a JSON pointer) and why. */
export interface BatchError {
  readonly sheet?: string;
  readonly row?: number;
  readonly column?: string;
  readonly path?: string;
  readonly code: string;
  readonly message: string;
  readonly messageZh: string;
}

/** One invoice read from the file: its request, and where each part of it came from. */
export interface TemplateInvoice {
  readonly serialNo: string;
  /** The row of 1-发票基本信息. */
  readonly row: number;
  readonly request: Record<string, unknown>;
  /** JSON pointer of the request → the cell it was read from. */
  readonly cells: ReadonlyMap<string, CellRef>;
}

const YES = ['是', 'Y', 'y', 'TRUE', 'true'];
const NO = ['否', 'N', 'n', 'FALSE', 'false'];
const TYPES: Readonly<Record<string, 'normal' | 'special'>> = {
  普通发票: 'normal',
  '电子发票（普通发票）': 'normal',
  数电普票: 'normal',
  增值税专用发票: 'special',
  '电子发票（增值税专用发票）': 'special',
  专用发票: 'special',
  数电专票: 'special',
};
const KINDS: ReadonlyArray<[string, SpecificKind]> = (Object.entries(SPECIFIC_LABELS) as Array<[SpecificKind, string]>).flatMap(([kind, label]) => [
  [label, kind] as [string, SpecificKind],
  [label.replace(/服务$/, ''), kind] as [string, SpecificKind],
]);
const byLabel = <K extends string>(labels: Readonly<Record<K, string>>) => new Map((Object.entries(labels) as Array<[K, string]>).map(([key, label]) => [label, key]));
const FREIGHT_VEHICLES = byLabel(FREIGHT_VEHICLE_LABELS);
const PASSENGER_VEHICLES = byLabel(PASSENGER_VEHICLE_LABELS);

/** "13%" → "0.13"; "0.13", "免税", "不征税" as they are. */
function rateText(text: string): string {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (!percent) return text;
  const [whole, fraction = ''] = percent[1]!.split('.');
  const digits = `${whole!.padStart(3, '0')}${fraction}`;
  const value = `${digits.slice(0, -2).replace(/^0+(?=\d)/, '')}.${digits.slice(-2)}`.replace(/\.?0+$/, '');
  return value === '' ? '0' : value;
}

/** Where each sheet's columns are, as found in its header row. */
export interface TemplateColumns {
  readonly basic: ColumnsOf<typeof BASIC_COLUMNS> | undefined;
  readonly detail: ColumnsOf<typeof DETAIL_COLUMNS> | undefined;
  readonly specific: ColumnsOf<typeof SPECIFIC_COLUMNS> | undefined;
}

/** The template's sheets by number, as a batch stages their rows. */
export const SHEET_NUMBERS: Readonly<Record<string, 1 | 2 | 3>> = { [BASIC_SHEET]: 1, [DETAIL_SHEET]: 2, [SPECIFIC_SHEET]: 3 };
export const SHEET_NAMES: Readonly<Record<number, string>> = { 1: BASIC_SHEET, 2: DETAIL_SHEET, 3: SPECIFIC_SHEET };

/**
 * Reads one upload of the template: headers first, then rows, in any sheet order. A large file is
 * read twice over: once for its headers (the rows themselves staged elsewhere), then a page of
 * invoices at a time by readers that start from those columns.
 */
export class TemplateReader {
  private readonly problems: TemplateProblem[] = [];
  private basicColumns: ColumnsOf<typeof BASIC_COLUMNS> | undefined;
  private detailColumns: ColumnsOf<typeof DETAIL_COLUMNS> | undefined;
  private specificColumns: ColumnsOf<typeof SPECIFIC_COLUMNS> | undefined;
  private readonly invoices = new Map<string, { row: number; request: Record<string, unknown>; cells: Map<string, CellRef>; lines: number; specificRows: number }>();
  private readonly orphanLines: Array<{ serialNo: string; row: number }> = [];
  private readonly pendingLines: Array<{ row: number; cells: ReadonlyArray<string | undefined> }> = [];
  private readonly pendingSpecific: Array<{ row: number; cells: ReadonlyArray<string | undefined> }> = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly sellerTaxId: string,
    columns?: TemplateColumns,
  ) {
    if (columns) {
      this.basicColumns = columns.basic;
      this.detailColumns = columns.detail;
      this.specificColumns = columns.specific;
    }
  }

  /** The columns found so far. */
  columns(): TemplateColumns {
    return { basic: this.basicColumns, detail: this.detailColumns, specific: this.specificColumns };
  }

  /** Whether the sheet's header row has been read: its rows from here on are data. */
  hasHeader(sheet: string): boolean {
    return (sheet === BASIC_SHEET ? this.basicColumns : sheet === DETAIL_SHEET ? this.detailColumns : this.specificColumns) !== undefined;
  }

  /** The 发票流水号 of a data row of the sheet. */
  serialOf(sheet: string, cells: ReadonlyArray<string | undefined>): string | undefined {
    const column = (sheet === BASIC_SHEET ? this.basicColumns : sheet === DETAIL_SHEET ? this.detailColumns : this.specificColumns)?.serialNo;
    return column === undefined ? undefined : cells[column];
  }

  private problem(at: CellRef, code: string, zh: string, en: string): void {
    this.problems.push({ ...at, code, messageZh: zh, message: en });
  }

  /** One row of one of the template's sheets, as the spreadsheet module reads it. */
  row(sheet: string, row: number, cells: ReadonlyArray<string | undefined>): void {
    if (sheet === BASIC_SHEET) return this.basicRow(row, cells);
    if (sheet === DETAIL_SHEET) return this.detailRow(row, cells);
    if (sheet === SPECIFIC_SHEET) return this.specificRow(row, cells);
  }

  /** A header row is one whose first cell is 发票流水号; the rows before it are the template's notes. */
  private header<T extends Record<string, readonly string[]>>(sheet: string, row: number, cells: ReadonlyArray<string | undefined>, known: T, required: ReadonlyArray<keyof T>): ColumnsOf<T> | undefined {
    if (cells[0]?.replace(/^\*/, '') !== '发票流水号') return undefined;
    const names = cells.map((cell) => cell?.replace(/[*＊\s]/g, ''));
    const columns: ColumnsOf<T> = {};
    for (const [field, aliases] of Object.entries(known) as Array<[keyof T, readonly string[]]>) {
      const index = names.findIndex((name) => name !== undefined && aliases.includes(name));
      if (index >= 0) columns[field] = index;
    }
    for (const field of required) {
      if (columns[field] === undefined) this.problem({ sheet, row }, 'template_column_missing', `缺少“${known[field]![0]}”列`, `the column ${known[field]![0]} is missing`);
    }
    return columns;
  }

  private basicRow(row: number, cells: ReadonlyArray<string | undefined>): void {
    if (!this.basicColumns) {
      this.basicColumns = this.header(BASIC_SHEET, row, cells, BASIC_COLUMNS, REQUIRED_BASIC);
      return;
    }
    const columns = this.basicColumns;
    const value = (field: keyof typeof BASIC_COLUMNS) => (columns[field] === undefined ? undefined : cells[columns[field]]);
    if (cells.every((cell) => cell === undefined)) return;
    const at = (field: keyof typeof BASIC_COLUMNS): CellRef => ({ sheet: BASIC_SHEET, row, column: BASIC_COLUMNS[field][0] });
    const serialNo = value('serialNo');
    if (serialNo === undefined) return this.problem(at('serialNo'), 'template_serial_missing', '发票流水号为空', 'the 发票流水号 is empty');
    if (!/^[\x21-\x7e]{1,20}$/.test(serialNo)) return this.problem(at('serialNo'), 'template_serial_form', '发票流水号须为 1–20 个字母、数字或符号', 'the 发票流水号 is 1–20 letters, digits or symbols');
    if (this.seen.has(serialNo)) return this.problem(at('serialNo'), 'template_serial_duplicate', `发票流水号 ${serialNo} 重复`, `the 发票流水号 ${serialNo} appears twice`);
    this.seen.add(serialNo);

    const cellsOf = new Map<string, CellRef>();
    const request: Record<string, unknown> = { orderNo: serialNo, seller: { taxId: this.sellerTaxId }, lines: [] };
    const buyer: Record<string, unknown> = {};
    request.buyer = buyer;
    const put = (target: Record<string, unknown>, key: string, path: string, field: keyof typeof BASIC_COLUMNS, text: unknown) => {
      if (text === undefined) return;
      target[key] = text;
      cellsOf.set(path, at(field));
    };
    cellsOf.set('/orderNo', at('serialNo'));
    const typeText = value('type');
    put(request, 'type', '/type', 'type', typeText === undefined ? undefined : (TYPES[typeText] ?? typeText));
    if (typeText !== undefined && TYPES[typeText] === undefined) this.problem(at('type'), 'template_value', `发票类型应为“普通发票”或“增值税专用发票”`, 'the invoice type is 普通发票 or 增值税专用发票');
    put(request, 'priceIncludesTax', '/priceIncludesTax', 'priceIncludesTax', this.yesNo(value('priceIncludesTax'), at('priceIncludesTax')));
    put(buyer, 'naturalPerson', '/buyer/naturalPerson', 'naturalPerson', this.yesNo(value('naturalPerson'), at('naturalPerson')) || undefined);
    put(buyer, 'name', '/buyer/name', 'buyerName', value('buyerName'));
    put(buyer, 'taxId', '/buyer/taxId', 'buyerTaxId', value('buyerTaxId'));
    put(buyer, 'address', '/buyer/address', 'buyerAddress', value('buyerAddress'));
    put(buyer, 'phone', '/buyer/phone', 'buyerPhone', value('buyerPhone'));
    put(buyer, 'bankName', '/buyer/bankName', 'buyerBankName', value('buyerBankName'));
    put(buyer, 'bankAccount', '/buyer/bankAccount', 'buyerBankAccount', value('buyerBankAccount'));
    put(buyer, 'email', '/buyer/email', 'buyerEmail', value('buyerEmail'));
    cellsOf.set('/buyer', at('buyerName'));
    put(request, 'remarks', '/remarks', 'remarks', value('remarks'));
    put(request, 'payee', '/payee', 'payee', value('payee'));
    put(request, 'reviewer', '/reviewer', 'reviewer', value('reviewer'));
    put(request, 'drawer', '/drawer', 'drawer', value('drawer'));
    if (this.yesNo(value('differential'), at('differential'))) put(request, 'taxation', '/taxation', 'differential', 'differential');
    const kindText = value('specific');
    if (kindText !== undefined) {
      const kind = KINDS.find(([label]) => label === kindText)?.[1];
      if (kind) request.specific = { kind };
      else this.problem(at('specific'), 'template_value', `特定业务类型应为空或：${Object.values(SPECIFIC_LABELS).join('、')}`, `the 特定业务类型 is empty or one of ${Object.values(SPECIFIC_LABELS).join(', ')}`);
      cellsOf.set('/specific', at('specific'));
    }
    cellsOf.set('', { sheet: BASIC_SHEET, row });
    cellsOf.set('/lines', { sheet: BASIC_SHEET, row, column: '发票流水号' });
    this.invoices.set(serialNo, { row, request, cells: cellsOf, lines: 0, specificRows: 0 });
  }

  /** 是/否 as a boolean; anything else is a problem at the cell. */
  private yesNo(text: string | undefined, at: CellRef): boolean | undefined {
    if (text === undefined) return undefined;
    if (YES.includes(text)) return true;
    if (NO.includes(text)) return false;
    this.problem(at, 'template_yes_no', `“${at.column}”应填“是”或“否”`, `${at.column} is 是 or 否`);
    return undefined;
  }

  private detailRow(row: number, cells: ReadonlyArray<string | undefined>): void {
    if (!this.detailColumns) {
      this.detailColumns = this.header(DETAIL_SHEET, row, cells, DETAIL_COLUMNS, REQUIRED_DETAIL);
      return;
    }
    if (cells.every((cell) => cell === undefined)) return;
    // Lines join their invoice once every sheet is read: the sheets may come in any order.
    this.pendingLines.push({ row, cells });
  }

  private specificRow(row: number, cells: ReadonlyArray<string | undefined>): void {
    if (!this.specificColumns) {
      this.specificColumns = this.header(SPECIFIC_SHEET, row, cells, SPECIFIC_COLUMNS, ['serialNo']);
      return;
    }
    if (cells.every((cell) => cell === undefined)) return;
    this.pendingSpecific.push({ row, cells });
  }

  private joinLine(row: number, cells: ReadonlyArray<string | undefined>): void {
    const columns = this.detailColumns!;
    const value = (field: keyof typeof DETAIL_COLUMNS) => (columns[field] === undefined ? undefined : cells[columns[field]]);
    const at = (field: keyof typeof DETAIL_COLUMNS): CellRef => ({ sheet: DETAIL_SHEET, row, column: DETAIL_COLUMNS[field][0] });
    const serialNo = value('serialNo');
    const invoice = serialNo === undefined ? undefined : this.invoices.get(serialNo);
    if (!invoice) {
      if (serialNo !== undefined && !this.seen.has(serialNo)) this.orphanLines.push({ serialNo, row });
      if (serialNo === undefined) this.problem(at('serialNo'), 'template_serial_missing', '发票流水号为空', 'the 发票流水号 is empty');
      return;
    }
    const index = (invoice.request.lines as unknown[]).length;
    const path = pointer('/lines', index);
    const line: Record<string, unknown> = {};
    const put = (key: string, field: keyof typeof DETAIL_COLUMNS, text: string | undefined) => {
      invoice.cells.set(pointer(path, key), at(field));
      if (text !== undefined) line[key] = text;
    };
    invoice.cells.set(path, at('name'));
    put('name', 'name', value('name'));
    put('taxCode', 'taxCode', value('taxCode'));
    put('spec', 'spec', value('spec'));
    put('unit', 'unit', value('unit'));
    put('quantity', 'quantity', value('quantity'));
    put('unitPrice', 'unitPrice', value('unitPrice'));
    put('amount', 'amount', value('amount'));
    const rate = value('taxRate');
    put('taxRate', 'taxRate', rate === undefined ? undefined : rateText(rate));
    put('deduction', 'deduction', value('deduction'));
    // The bureau's FAQ: zero quantity or amount is refused by the platform on upload.
    for (const field of ['quantity', 'amount'] as const) {
      const text = value(field);
      if (text !== undefined && /^-?0*(\.0*)?$/.test(text)) this.problem(at(field), 'template_zero', `“${DETAIL_COLUMNS[field][0]}”不能为 0`, `${DETAIL_COLUMNS[field][0]} cannot be 0`);
    }
    this.readPolicy(line, value, at, rate, path, invoice.cells);
    (invoice.request.lines as unknown[]).push(line);
    invoice.lines++;
    const discount = value('discount');
    if (discount !== undefined) {
      // 折扣金额 makes a discount line (折扣行) right after the line it discounts.
      const discountPath = pointer('/lines', index + 1);
      invoice.cells.set(discountPath, at('discount'));
      invoice.cells.set(pointer(discountPath, 'amount'), at('discount'));
      const negative = discount.startsWith('-') ? discount : `-${discount}`;
      (invoice.request.lines as unknown[]).push({ kind: 'discount', name: line.name, taxCode: line.taxCode, taxRate: line.taxRate, ...(line.policy !== undefined && { policy: line.policy }), amount: negative });
    }
  }

  /**
   * 优惠政策 from three cells. The bureau's FAQ names the usual mistake: a 免税 line needs 税率 0,
   * 是否使用优惠政策 是 and 优惠政策类型 免税, all three.
   */
  private readPolicy(
    line: Record<string, unknown>,
    value: (field: keyof typeof DETAIL_COLUMNS) => string | undefined,
    at: (field: keyof typeof DETAIL_COLUMNS) => CellRef,
    rate: string | undefined,
    path: string,
    cells: Map<string, CellRef>,
  ): void {
    const uses = this.yesNo(value('usesPolicy'), at('usesPolicy'));
    const type = value('refundPolicy') ?? value('policy');
    const exemptAsked = rate === '免税' || type === '免税';
    if (exemptAsked && !(rate === '0' && uses === true && type === '免税')) {
      this.problem(at(rate === '免税' ? 'taxRate' : 'policy'), 'template_exempt_row', '免税明细须同时：税率填 0、是否使用优惠政策填“是”、优惠政策类型填“免税”', 'a tax-exempt (免税) line needs all three: 税率 0, 是否使用优惠政策 是, 优惠政策类型 免税');
      return;
    }
    if (uses === true && type === undefined) {
      this.problem(at('policy'), 'template_policy_missing', '是否使用优惠政策为“是”时须填写优惠政策类型', 'give the 优惠政策类型 when 是否使用优惠政策 is 是');
      return;
    }
    if (type === undefined) return;
    if (uses !== true) {
      this.problem(at('usesPolicy'), 'template_policy_unused', '填写了优惠政策类型时，是否使用优惠政策须为“是”', 'with a 优惠政策类型, 是否使用优惠政策 is 是');
      return;
    }
    cells.set(pointer(path, 'policy'), at('policy'));
    line.policy = findTaxPolicy(type)?.name ?? type;
  }

  private joinSpecific(row: number, cells: ReadonlyArray<string | undefined>): void {
    const columns = this.specificColumns!;
    const value = (field: keyof typeof SPECIFIC_COLUMNS) => (columns[field] === undefined ? undefined : cells[columns[field]]);
    const at = (field: keyof typeof SPECIFIC_COLUMNS): CellRef => ({ sheet: SPECIFIC_SHEET, row, column: SPECIFIC_COLUMNS[field][0] });
    const serialNo = value('serialNo');
    const invoice = serialNo === undefined ? undefined : this.invoices.get(serialNo);
    const specific = invoice?.request.specific as Record<string, unknown> | undefined;
    if (!invoice || !specific) {
      if (serialNo === undefined || !this.seen.has(serialNo)) return this.problem(at('serialNo'), 'template_orphan_row', `发票流水号 ${serialNo ?? '（空）'} 在“${BASIC_SHEET}”中没有对应的发票`, `no invoice in ${BASIC_SHEET} has the 发票流水号 ${serialNo ?? '(empty)'}`);
      if (!specific) return this.problem(at('serialNo'), 'template_specific_unexpected', `发票流水号 ${serialNo} 的特定业务类型为空，不应填写特定业务信息`, `the invoice ${serialNo} names no 特定业务类型, so it has no 特定业务 rows`);
      return;
    }
    const set = (target: Record<string, unknown>, key: string, path: string, field: keyof typeof SPECIFIC_COLUMNS, text: unknown) => {
      invoice.cells.set(path, at(field));
      if (text !== undefined) target[key] = text;
    };
    const kind = specific.kind as SpecificKind;
    const index = invoice.specificRows++;
    if (kind === 'property_lease' || kind === 'construction') {
      if (index > 0) return this.problem(at('serialNo'), 'template_specific_repeated', `${SPECIFIC_LABELS[kind]}每张发票只填一行特定业务信息`, `a ${SPECIFIC_LABELS[kind]} invoice has one 特定业务 row`);
      for (const field of ['province', 'city', 'address'] as const) set(specific, field, `/specific/${field}`, field, value(field));
      set(specific, 'crossCity', '/specific/crossCity', 'crossCity', this.yesNo(value('crossCity'), at('crossCity')));
      if (kind === 'property_lease') {
        for (const field of ['leaseFrom', 'leaseTo', 'certificateNo'] as const) set(specific, field, `/specific/${field}`, field, value(field));
      } else {
        set(specific, 'projectName', '/specific/projectName', 'projectName', value('projectName'));
        set(specific, 'landVatProjectNo', '/specific/landVatProjectNo', 'landVatProjectNo', value('landVatProjectNo'));
      }
      return;
    }
    const listKey = kind === 'freight' ? 'shipments' : 'travellers';
    const list = (specific[listKey] ??= []) as Array<Record<string, unknown>>;
    const item: Record<string, unknown> = {};
    const path = pointer(`/specific/${listKey}`, index);
    invoice.cells.set(path, at('serialNo'));
    const vehicle = value('vehicleType');
    const vehicles = kind === 'freight' ? FREIGHT_VEHICLES : PASSENGER_VEHICLES;
    set(item, 'vehicleType', pointer(path, 'vehicleType'), 'vehicleType', vehicle === undefined ? undefined : (vehicles.get(vehicle) ?? vehicle));
    set(item, 'from', pointer(path, 'from'), 'from', value('from'));
    set(item, 'to', pointer(path, 'to'), 'to', value('to'));
    if (kind === 'freight') {
      set(item, 'vehicleNo', pointer(path, 'vehicleNo'), 'vehicleNo', value('vehicleNo'));
      set(item, 'goods', pointer(path, 'goods'), 'goods', value('goods'));
    } else {
      set(item, 'name', pointer(path, 'name'), 'traveller', value('traveller'));
      set(item, 'idNumber', pointer(path, 'idNumber'), 'idNumber', value('idNumber'));
      set(item, 'date', pointer(path, 'date'), 'date', value('date'));
      set(item, 'seatClass', pointer(path, 'seatClass'), 'seatClass', value('seatClass'));
    }
    list.push(item);
  }

  /** The invoices read, and every problem found in the file (not yet the invoice rules: see batch-check). */
  finish(sheetsSeen: readonly string[]): { invoices: TemplateInvoice[]; problems: TemplateProblem[] } {
    for (const sheet of [BASIC_SHEET, DETAIL_SHEET]) {
      if (!sheetsSeen.includes(sheet)) this.problem({ sheet, row: 0 }, 'template_sheet_missing', `缺少工作表“${sheet}”：请使用电子税务局的批量开票模板`, `the sheet ${sheet} is missing: use the 电子税务局 batch template`);
    }
    for (const [sheet, columns] of [[BASIC_SHEET, this.basicColumns], [DETAIL_SHEET, this.detailColumns]] as const) {
      if (sheetsSeen.includes(sheet) && !columns) this.problem({ sheet, row: 0 }, 'template_header_missing', `工作表“${sheet}”没有以“发票流水号”开头的表头行`, `the sheet ${sheet} has no header row starting with 发票流水号`);
    }
    if (this.detailColumns) for (const line of this.pendingLines) this.joinLine(line.row, line.cells);
    if (this.specificColumns) for (const row of this.pendingSpecific) this.joinSpecific(row.row, row.cells);
    for (const orphan of this.orphanLines) {
      this.problem({ sheet: DETAIL_SHEET, row: orphan.row, column: '发票流水号' }, 'template_orphan_row', `发票流水号 ${orphan.serialNo} 在“${BASIC_SHEET}”中没有对应的发票`, `no invoice in ${BASIC_SHEET} has the 发票流水号 ${orphan.serialNo}`);
    }
    const invoices: TemplateInvoice[] = [];
    for (const [serialNo, invoice] of this.invoices) {
      if (invoice.lines === 0) this.problem({ sheet: BASIC_SHEET, row: invoice.row, column: '发票流水号' }, 'template_no_lines', `发票流水号 ${serialNo} 在“${DETAIL_SHEET}”中没有明细`, `the invoice ${serialNo} has no lines in ${DETAIL_SHEET}`);
      invoices.push({ serialNo, row: invoice.row, request: invoice.request, cells: invoice.cells });
    }
    return { invoices, problems: this.problems };
  }
}

/** The cell a request's JSON pointer came from: the nearest part of the path that was read from one. */
export function cellOf(invoice: TemplateInvoice, path: string): CellRef {
  for (let at = path; ; at = at.slice(0, at.lastIndexOf('/'))) {
    const cell = invoice.cells.get(at);
    if (cell) return cell;
    if (at === '') return { sheet: BASIC_SHEET, row: invoice.row };
  }
}
