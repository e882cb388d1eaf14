// Render throughput: the invoice PDF (embedded subset CJK font) against bare pdfkit writing the
// same page's text runs in a built-in Latin font (no embedding, no subsetting), in the same run.
import PDFDocument from 'pdfkit';
import { renderInvoicePdf } from '../src/documents/invoice-pdf.js';
import type { IssuedInvoice } from '../src/documents/invoice-xml.js';

export interface RenderResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly bytes: number;
}

async function measure(render: () => Promise<Buffer>, documents: number): Promise<RenderResult> {
  for (let i = 0; i < 20; i++) await render();
  const times: number[] = [];
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < documents; i++) {
    const t0 = performance.now();
    bytes = (await render()).length;
    times.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { perSecond: documents / seconds, p50Ms: times[Math.floor(times.length / 2)]!, bytes };
}

/** The same text runs as the invoice page, in Helvetica: what pdfkit costs with no CJK font at all. */
function bareLatin(issued: IssuedInvoice): Promise<Buffer> {
  const doc = new PDFDocument({ size: [595.28, 396.85], margin: 0 });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
  });
  doc.font('Helvetica').fontSize(8);
  const { invoice } = issued;
  const runs = [issued.number, invoice.buyer.taxId ?? '', invoice.seller.taxId, invoice.totals.amount, invoice.totals.tax, invoice.totals.total];
  for (let i = 0; i < 30; i++) runs.push(`label ${i}`);
  for (const line of invoice.lines) runs.push(line.taxCode, line.quantity ?? '', line.amountExcludingTax, line.taxRate, line.tax, line.spec ?? '', line.unit ?? 'unit', 'item name');
  runs.forEach((run, index) => doc.text(run, 20 + (index % 6) * 90, 20 + Math.floor(index / 6) * 14, { width: 85, lineBreak: false }));
  doc.rect(20, 100, 555, 200).stroke();
  doc.end();
  return done;
}

/** The run of median rate among `runs`. */
function median(runs: RenderResult[]): RenderResult {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
}

/**
 * Bare pdfkit and the invoice, alternated three times and the median run of each taken: a second
 * or so each, so one slow moment of a shared machine would otherwise decide the ratio.
 */
export async function renderBench(issued: IssuedInvoice, documents: number): Promise<{ ours: RenderResult; bare: RenderResult }> {
  const bare: RenderResult[] = [];
  const ours: RenderResult[] = [];
  for (let round = 0; round < 3; round++) {
    bare.push(await measure(() => bareLatin(issued), documents));
    ours.push(await measure(() => renderInvoicePdf(issued), documents));
  }
  return { ours: median(ours), bare: median(bare) };
}
