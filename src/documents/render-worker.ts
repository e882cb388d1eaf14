/**
 * A document rendering thread: renders and signs one invoice's PDF and XML per message. Each
 * thread parses the CJK font once and keeps it, which is what makes a page cost milliseconds.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { signInvoiceXml } from './invoice-signature.js';
import { renderInvoicePdf } from './invoice-pdf.js';
import { invoiceXml, type IssuedInvoice } from './invoice-xml.js';
import { signPdf } from './pdf-signature.js';
import { signingKeyFromPem, type SigningKey } from './signing-key.js';
import { errorMessage } from '../domain/error-message.js';

/** The niceness of a rendering thread (19 is the lowest priority; 0 the process's default). */
export const RENDER_NICENESS = 10;

export interface RenderJob {
  readonly id: number;
  readonly issued: IssuedInvoice;
}

export type RenderReply = { readonly id: number; readonly pdf: Uint8Array; readonly xml: Uint8Array } | { readonly id: number; readonly error: string };

let key: SigningKey | undefined;

// Documents trail issuing by design (the invoice is issued when the upstream says so; its PDF
// follows), so this thread yields the cores to accepting and issuing when they are busy, and
// uses whatever they leave. On Linux a priority set with pid 0 applies to the calling thread
// alone; elsewhere it may lower the whole process, so it is set only on Linux.
if (process.platform === 'linux') {
  try {
    setPriority(RENDER_NICENESS);
  } catch {
    // Not permitted here: the thread renders at the process's priority.
  }
}

parentPort?.on('message', (message: { keyPem: string } | RenderJob) => {
  if ('keyPem' in message) {
    key = signingKeyFromPem(message.keyPem);
    return;
  }
  void (async () => {
    try {
      if (!key) throw new Error('the render thread has no signing key');
      const pdf = new Uint8Array(signPdf(await renderInvoicePdf(message.issued), key));
      const xml = new Uint8Array(Buffer.from(signInvoiceXml(invoiceXml(message.issued), key), 'utf8'));
      parentPort!.postMessage({ id: message.id, pdf, xml } satisfies RenderReply, [pdf.buffer, xml.buffer]);
    } catch (error) {
      parentPort!.postMessage({ id: message.id, error: errorMessage(error) } satisfies RenderReply);
    }
  })();
});
