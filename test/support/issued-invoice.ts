// An issued invoice for document tests: a request computed by src/domain, as issued by the simulator.
import type { IssuedInvoice } from '../../src/documents/invoice-xml.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { redFlush } from '../../src/domain/red-flush.js';
import type { JsonRecord } from './invoice-request.js';

export function issued(request: JsonRecord, number = '26332000000000000042'): IssuedInvoice {
  const result = previewInvoice(request);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const computed = computedInvoiceJson(result.invoice);
  return {
    id: 'inv_01M80HNY4CZ79NMAH9JVY2KHAM',
    serialNo: '01M80HNY4CJJKLFU571C',
    number,
    issuedAt: Date.parse('2026-11-22T10:30:00+08:00'),
    channel: 'simulator',
    simulated: true,
    invoice: {
      ...computed,
      seller: { taxId: computed.seller.taxId, name: '演示科技（杭州）有限公司', address: '杭州市西湖区文三路 90 号', bankName: '中国工商银行', bankAccount: '1202021109900088888' },
    },
  };
}


/** A red invoice flushing `issued(request)` by `flush` (a red-flush request body), as issued. */
export function redIssued(request: JsonRecord, flush: unknown, number = '26332000000000000043'): IssuedInvoice {
  const blue = issued(request);
  const outcome = redFlush(flush, { id: blue.id, number: blue.number, invoice: { ...blue.invoice, lines: [...blue.invoice.lines] }, flushed: [] });
  if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome.errors));
  return { ...blue, id: 'inv_01M80HNY4CZ79NMAH9JVY2KHAN', serialNo: '01M80HNY4CJJKLFU571D', number, invoice: { ...outcome.red, seller: blue.invoice.seller } };
}
