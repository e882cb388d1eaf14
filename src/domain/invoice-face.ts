/**
 * What an invoice face prints beyond its lines: the 备注 in the platform's order ([LQ-XML] §三(一)1.6,
 * domain.md §2.7) and the 特定业务 table. The PDF, the XML and the console print the same words.
 */
import { FREIGHT_VEHICLE_LABELS, PASSENGER_VEHICLE_LABELS, SPECIFIC_LABELS, type SpecificBusiness } from './specific-business.js';

/** The platform's separator between 备注 items: ";" and four spaces. */
const SEPARATOR = ';    ';

type Party = { readonly name?: string | undefined; readonly address?: string | undefined; readonly phone?: string | undefined; readonly bankName?: string | undefined; readonly bankAccount?: string | undefined };

/** What the 备注 is made of: an invoice as computed, stored, or read back from the API. */
interface FaceInvoice {
  readonly type: string;
  readonly buyer: Party;
  readonly seller: Party;
  readonly remarks?: string | undefined;
  readonly payee?: string | undefined;
  readonly reviewer?: string | undefined;
  readonly taxation?: string | undefined;
  readonly lines: ReadonlyArray<{ readonly deduction?: string | undefined }>;
}

/**
 * The 备注 as printed, one paragraph per item, in the platform's order: 差额征税, the parties of a
 * 专票, the seller's own remarks, then 收款人 and 复核人. A 专票 lets the buyer deduct input tax, and
 * its 数电 face carries both parties' address, phone, bank and account here (where the 税控 face
 * had boxes for them), so the buyer's accountant can match it to the 开票信息 they gave.
 */
export function faceRemarks(invoice: FaceInvoice): string[] {
  const items: string[] = [];
  const deduction = invoice.taxation === 'differential' ? invoice.lines[0]?.deduction : undefined;
  if (deduction !== undefined) items.push(`差额征税：扣除额 ${deduction} 元。`);
  if (invoice.type === 'special') {
    const party = (prefix: string, p: Party) =>
      `${prefix}地址、电话：${[p.address, p.phone].filter(Boolean).join(' ')}；开户行及账号：${[p.bankName, p.bankAccount].filter(Boolean).join(' ')}`;
    items.push(party('购方', invoice.buyer), party('销方', invoice.seller));
  }
  if (invoice.remarks) items.push(invoice.remarks);
  const people = [invoice.payee && `收款人:${invoice.payee}`, invoice.reviewer && `复核人:${invoice.reviewer}`].filter(Boolean);
  if (people.length > 0) items.push(`${people.join(SEPARATOR)};`);
  return items;
}

/** A 特定业务 block as a small table: its title, the column heads and one row per element group. */
export interface SpecificTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

const yesNo = (flag: boolean) => (flag ? '是' : '否');
const place = (p: { province: string; city?: string; address: string }) => `${p.province}${p.city ?? ''}${p.address}`;

/** The 特定业务 block of an invoice face, with the platform's column names. */
export function specificTable(specific: SpecificBusiness): SpecificTable {
  const title = `特定业务：${SPECIFIC_LABELS[specific.kind]}`;
  switch (specific.kind) {
    case 'property_lease':
      return {
        title,
        columns: ['不动产地址', '租赁期起止', '跨地（市）标志', '产权证书/不动产权证号'],
        rows: [[place(specific), `${specific.leaseFrom} 至 ${specific.leaseTo}`, yesNo(specific.crossCity), specific.certificateNo]],
      };
    case 'construction':
      return {
        title,
        columns: ['建筑服务发生地', '建筑项目名称', '跨地（市）标志', '土地增值税项目编号'],
        rows: [[place(specific), specific.projectName, yesNo(specific.crossCity), specific.landVatProjectNo ?? '']],
      };
    case 'freight':
      return {
        title,
        columns: ['运输工具种类', '运输工具牌号', '起运地', '到达地', '运输货物名称'],
        rows: specific.shipments.map((s) => [FREIGHT_VEHICLE_LABELS[s.vehicleType], s.vehicleNo, s.from, s.to, s.goods]),
      };
    case 'passenger':
      return {
        title,
        columns: ['出行人', '有效身份证件号', '出行日期', '出发地', '到达地', '等级', '交通工具类型'],
        rows: specific.travellers.map((t) => [t.name, t.idNumber ?? '', t.date, t.from, t.to, t.seatClass, PASSENGER_VEHICLE_LABELS[t.vehicleType]]),
      };
  }
}
