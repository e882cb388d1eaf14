// Our computed invoice as 诺诺's requestBillingNew order: every amount exactly as we computed it,
// the serial as the order number, Beijing time, 数电 line kinds, discount and zero-tax lines.
import { describe, expect, it } from 'vitest';
import { beijingDateTime, nuonuoOrder, nuonuoOrderNo, type NuonuoDetail } from '../../src/channels/nuonuo/nuonuo-order.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { validLine, validRequest } from '../support/invoice-request.js';

const SELLER = { taxId: '91330106MA2B0Y5R34', name: '演示科技（杭州）有限公司', address: '杭州市西湖区 1 号', phone: '0571-88888888', bankName: '招商银行杭州分行', bankAccount: '571900000000001' };

function issueRequest(body: Record<string, unknown>) {
  const preview = previewInvoice(body);
  if (!preview.ok) throw new Error(JSON.stringify(preview.errors));
  return { serialNo: '01KB0000000000ABCDEF', sellerTaxId: SELLER.taxId, orderNo: String(body.orderNo), invoice: { ...computedInvoiceJson(preview.invoice), seller: SELLER } };
}

const NOW = Date.UTC(2026, 10, 26, 1, 30, 0); // 09:30 in Beijing

describe('the 诺诺 order', () => {
  it('carries the seller, buyer, serial and our amounts, and asks 诺诺 not to deliver', () => {
    const order = nuonuoOrder(issueRequest(validRequest({ drawer: '王会计', remarks: '合同号 HT-88' })), { clerk: '开票员', now: NOW });
    expect(order).toMatchObject({
      orderNo: '01KB0000000000ABCDEF',
      invoiceDate: '2026-11-26 09:30:00',
      invoiceType: '1',
      invoiceLine: 'pc',
      salerTaxNum: SELLER.taxId,
      salerTel: SELLER.phone,
      salerAddress: SELLER.address,
      salerAccount: '招商银行杭州分行 571900000000001',
      buyerName: '杭州某某科技有限公司',
      buyerTaxNum: '91330100716105852F',
      showBankAccountType: '1',
      clerk: '王会计',
      remark: '合同号 HT-88',
      pushMode: '-1',
    });
    expect(order.invoiceDetail).toEqual([
      {
        goodsName: '软件开发服务',
        goodsCode: '3040201010000000000',
        withTaxFlag: '1',
        price: '1060.00',
        num: '1',
        unit: '项',
        specType: 'V2',
        taxRate: '0.06',
        tax: '60.00',
        taxExcludedAmount: '1000.00',
        taxIncludedAmount: '1060.00',
        invoiceLineProperty: '0',
      },
    ]);
  });

  it('marks a discounted line and its discount, and zero-tax lines with their 数电 policy flag', () => {
    const body = validRequest({
      drawer: null,
      buyer: { name: '杭州某某科技有限公司', taxId: '91330100716105852F', bankName: '工商银行', bankAccount: '1202000000000' },
      lines: [
        validLine({ quantity: '2', unitPrice: '100.00', amount: '200.00', taxRate: '0.13', taxCode: '1090511020000000000', name: '*计算机配套产品*键盘' }),
        { name: '*计算机配套产品*键盘', taxCode: '1090511020000000000', amount: '-20.00', taxRate: '0.13', kind: 'discount' },
        validLine({ name: '*农产品*蔬菜', taxCode: '1010112000000000000', quantity: '1', unitPrice: '50.00', amount: '50.00', taxRate: 'free' }),
      ],
    });
    const order = nuonuoOrder(issueRequest(body), { clerk: '开票员', extensionNumber: '923', now: NOW });
    expect(order).toMatchObject({ invoiceLine: 'pc', clerk: '开票员', extensionNumber: '923', showBankAccountType: '3', buyerAccount: '工商银行 1202000000000' });
    const lines = order.invoiceDetail as readonly NuonuoDetail[];
    expect(lines.map((line) => [line.invoiceLineProperty, line.taxRate, line.favouredPolicyFlag, line.taxIncludedAmount])).toEqual([
      ['2', '0.13', undefined, '200.00'],
      ['1', '0.13', undefined, '-20.00'],
      ['0', '0', '03', '50.00'],
    ]);
    expect(lines[1]).not.toHaveProperty('price');
  });

  it('sends a 专票 as bs', () => {
    const buyer = { name: '杭州某某科技有限公司', taxId: '91330100716105852F', address: '杭州市滨江区 2 号', phone: '0571-66666666', bankName: '工商银行', bankAccount: '1202000000000' };
    expect(nuonuoOrder(issueRequest(validRequest({ type: 'special', buyer })), { clerk: '开票员', now: NOW })).toMatchObject({ invoiceLine: 'bs', buyerAddress: buyer.address, buyerTel: buyer.phone });
  });

  it('uses the serial as the order number only when 诺诺 can take it', () => {
    expect(nuonuoOrderNo('01KB0000000000ABCDEF')).toBe('01KB0000000000ABCDEF');
    expect(() => nuonuoOrderNo('01KB0000000000ABCDEFG')).toThrow(/1–20/);
    expect(beijingDateTime(Date.UTC(2026, 11, 31, 16, 0, 1))).toBe('2027-01-01 00:00:01');
  });
});
