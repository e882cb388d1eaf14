/**
 * The email that carries an issued invoice to its buyer: a subject with the invoice number, a body
 * in Chinese naming seller, buyer, number, date and total, and the PDF and XML as attachments
 * named by the number. Pure text; src/channels sends it.
 */
import { beijingTime } from './beijing-time.js';
import type { ComputedInvoiceJson, SellerParty } from './invoice-json.js';

export interface InvoiceMail {
  readonly subject: string;
  readonly text: string;
  readonly attachments: ReadonlyArray<{ readonly filename: string; readonly kind: 'pdf' | 'xml' }>;
}

const TYPE_NAMES = { normal: '电子发票（普通发票）', special: '电子发票（增值税专用发票）' } as const;

export function invoiceMail(invoice: ComputedInvoiceJson & { seller: SellerParty; red?: unknown }, issued: { readonly number: string; readonly issuedAt: number }): InvoiceMail {
  const red = invoice.red !== undefined;
  const kind = `${red ? '红字' : ''}${TYPE_NAMES[invoice.type]}`;
  const date = beijingTime(issued.issuedAt).slice(0, 10);
  const total = invoice.totals.total;
  return {
    subject: `【${kind}】${invoice.seller.name} 发票号码 ${issued.number} 价税合计 ¥${total}`,
    text: [
      `${invoice.buyer.name}：`,
      '',
      `您好！${invoice.seller.name} 已为您开具${kind}，发票信息如下：`,
      '',
      `发票号码：${issued.number}`,
      `开票日期：${date}`,
      `销售方：${invoice.seller.name}（${invoice.seller.taxId}）`,
      `购买方：${invoice.buyer.name}${invoice.buyer.taxId ? `（${invoice.buyer.taxId}）` : ''}`,
      `价税合计：¥${total}（${invoice.totals.totalInWords}）`,
      '',
      '发票的 PDF 与 XML 文件见附件。XML 为数电票的结构化数据，可导入财务系统；真伪可在国家税务总局全国增值税发票查验平台（https://inv-veri.chinatax.gov.cn）查验。',
      '',
      '本邮件由发票网关自动发送，请勿直接回复。',
    ].join('\n'),
    attachments: [
      { filename: `${issued.number}.pdf`, kind: 'pdf' },
      { filename: `${issued.number}.xml`, kind: 'xml' },
    ],
  };
}
