// The face's fixed parts are drawn once and written again as the same content: a PDF made that way
// is byte for byte the PDF made by drawing them every time, for every kind of face.
import { describe, expect, it } from 'vitest';
import { fixedPartsKept } from '../../src/documents/face-frame.js';
import { renderInvoicePdf } from '../../src/documents/invoice-pdf.js';
import { validLine, validRequest, validSpecialRequest } from '../support/invoice-request.js';
import { issued, redIssued } from '../support/issued-invoice.js';

const lines = (count: number) => Array.from({ length: count }, (_, i) => validLine({ name: `*信息技术服务*软件开发服务第${i + 1}期`, amount: '106.00', unitPrice: '106.00' }));

const FACES = [
  ['a one-line normal invoice', { ...issued(validRequest()), simulated: false }],
  ['a simulated one', issued(validRequest())],
  ['eight lines', { ...issued(validRequest({ lines: lines(8) })), simulated: false }],
  ['forty lines over pages', { ...issued(validRequest({ lines: lines(40) })), simulated: false }],
  ['a special invoice', { ...issued(validSpecialRequest()), simulated: false }],
  ['a red invoice', redIssued(validRequest(), { reason: 'sales_allowance', lines: [{ line: 0, amount: '-106.00' }] })],
] as const;

describe('the face frame', () => {
  it.for(FACES)('%s: reused, it is the same PDF as drawn afresh', async ([, document]) => {
    const drawn = await renderInvoicePdf(document, { redrawFixed: true });
    const first = await renderInvoicePdf(document);
    const kept = fixedPartsKept();
    expect(kept).toBeGreaterThan(0);
    const reused = await renderInvoicePdf(document);
    // Nothing new to keep the second time: every fixed part was written from what was kept.
    expect(fixedPartsKept()).toBe(kept);
    expect(first.equals(drawn)).toBe(true);
    expect(reused.equals(drawn)).toBe(true);
  });
});
