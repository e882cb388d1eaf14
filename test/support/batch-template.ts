// Writes the 电子税务局 batch template as finance staff fill it: two lines of notes, the header row
// (row 3, the bureau's column names and order, V260401), then one row per invoice and per line.
// Written with exceljs directly, not through the gateway's own module, so a fault there shows.
import ExcelJS from 'exceljs';

export const BASIC_HEADERS = [
  '发票流水号', '发票类型', '特定业务类型', '是否含税', '受票方自然人标识', '购买方名称', '购买方纳税人识别号', '购买方证件类型', '购买方证件号码',
  '购买方国籍（或地区）', '购买方地址', '购买方所在地区（报废产品收购必填）', '购买方所在地区（报废产品收购必填）', '购买方所在地区（报废产品收购必填）',
  '购买方所在地区（报废产品收购必填）', '购买方详细地址（报废产品收购必填）', '购买方电话', '购买方开户银行', '购买方银行账号', '是否展示购买方地址电话银行账号',
  '是否开具涉税专业服务发票品目', '涉税专业服务协议编号', '备注', '报废产品销售类型', '每千克煤炭发热量', '干基全硫', '干燥无灰基挥发分', '销售方开户行',
  '销售方银行账号', '是否展示销售方地址电话银行账号', '购买方邮箱', '购买方经办人姓名', '购买方经办人证件类型', '购买方经办人证件号码', '经办人国籍(地区)',
  '经办人自然人纳税人识别号', '放弃享受减按1%征收率原因', '收款人', '复核人',
];
export const DETAIL_HEADERS = ['发票流水号', '项目名称', '商品和服务税收编码', '规格型号', '单位', '数量', '单价', '金额', '税率', '折扣金额', '是否使用优惠政策', '优惠政策类型', '即征即退类型', '煤炭种类'];
export const SPECIFIC_HEADERS = ['发票流水号', '不动产地址（省）', '不动产地址（市）', '不动产详细地址', '租赁期起', '租赁期止', '跨地（市）标志', '产权证书/不动产权证号', '建筑项目名称', '运输工具种类', '运输工具牌号', '起运地', '到达地', '运输货物名称', '出行人', '出行日期', '等级'];

export type TemplateRow = Readonly<Record<string, string | number | undefined>>;

export interface TemplateFile {
  readonly basic: readonly TemplateRow[];
  readonly detail: readonly TemplateRow[];
  readonly specific?: readonly TemplateRow[];
  /** Sheets named otherwise, or left out, to try what a wrong file does. */
  readonly sheetNames?: readonly [string, string, string?];
}

function sheet(book: ExcelJS.Workbook, name: string, headers: readonly string[], rows: readonly TemplateRow[]): void {
  const worksheet = book.addWorksheet(name);
  worksheet.addRow(['填表说明：每个发票流水号对应一张发票。']);
  worksheet.addRow(headers.map((header) => (header === '发票流水号' ? '必填\n(限20字符)' : undefined)));
  worksheet.addRow([...headers]);
  for (const row of rows) worksheet.addRow(headers.map((header) => row[header]));
}

/** The workbook's bytes. */
export async function templateWorkbook(file: TemplateFile): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const [basicName, detailName, specificName] = file.sheetNames ?? ['1-发票基本信息', '2-发票明细信息', '3-特定业务信息'];
  sheet(book, basicName, BASIC_HEADERS, file.basic);
  sheet(book, detailName, DETAIL_HEADERS, file.detail);
  if (specificName) sheet(book, specificName, SPECIFIC_HEADERS, file.specific ?? []);
  book.addWorksheet('excelVersion').addRow(['pt:20260401']);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** An ordinary invoice row and its one line: 普通发票, prices including tax, at 6 %. */
export function plainInvoice(serialNo: string, amount = '1060.00'): { basic: TemplateRow; detail: TemplateRow } {
  return {
    basic: { 发票流水号: serialNo, 发票类型: '普通发票', 是否含税: '是', 受票方自然人标识: '否', 购买方名称: '杭州某某科技有限公司', 购买方纳税人识别号: '91330100716105852F', 备注: `批量 ${serialNo}` },
    detail: { 发票流水号: serialNo, 项目名称: '*信息技术服务*软件开发服务', 商品和服务税收编码: '3040201010000000000', 单位: '项', 数量: 1, 单价: amount, 金额: amount, 税率: '0.06' },
  };
}
