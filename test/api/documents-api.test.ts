// Documents end to end: an invoice issued through the simulator gets its PDF and XML rendered in
// the thread pool, signed by the gateway's key, stored, and served with an ETag; before issue the
// answer is 409; a render failure is visible on the invoice and is retried until it succeeds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyInvoiceXml } from '../../src/documents/invoice-signature.js';
import { verifyPdf } from '../../src/documents/pdf-signature.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { hasTool } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'fapiao-docs-'));
const XSD = join(import.meta.dirname, '../../docs/invoice.xsd');
let simulator: RunningSimulator;
let t: TestGateway;
let orders = 0;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], renderThreads: 1 });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

async function issue(): Promise<string> {
  const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `docs-${++orders}-${Date.now()}`, json: validRequest({ orderNo: `DOC-${orders}` }) });
  return String(answer.body.id);
}

async function resource(id: string) {
  return (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
}

async function rendered(id: string) {
  return eventually(
    async () => {
      const current = await resource(id);
      return (current.documents as { status: string } | null)?.status === 'rendered' ? current : undefined;
    },
    20_000,
    async () => JSON.stringify(await resource(id)),
  );
}

const hasPdftotext = hasTool('pdftotext', ['-v']);
const hasXmllint = hasTool('xmllint');

describe(`documents on ${DIALECT}`, () => {
  it('renders, signs, stores and serves the PDF and XML of an issued invoice', async (ctx) => {
    const id = await issue();
    const invoice = await rendered(id);
    expect(invoice).toMatchObject({ status: 'issued', simulated: true });
    const number = String(invoice.number);

    const pdf = await fetch(`${t.gateway.url}/v1/invoices/${id}/pdf`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="fapiao-${number}.pdf"`);
    const pdfBytes = Buffer.from(await pdf.arrayBuffer());
    expect(verifyPdf(pdfBytes, t.gateway.signingKey.publicKey).valid).toBe(true);
    const pdfFile = join(work, `${id}.pdf`);
    writeFileSync(pdfFile, pdfBytes);
    if (hasPdftotext) {
      const text = spawnSync('pdftotext', [pdfFile, '-'], { encoding: 'utf8' }).stdout;
      expect(text).toContain(number);
      expect(text).toContain('模拟 SIMULATED');
    }

    const xml = await fetch(`${t.gateway.url}/v1/invoices/${id}/xml`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(xml.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const xmlBytes = Buffer.from(await xml.arrayBuffer());
    expect(verifyInvoiceXml(xmlBytes, t.gateway.signingKey.publicKey).valid).toBe(true);
    if (hasXmllint) {
      const xmlFile = join(work, `${id}.xml`);
      writeFileSync(xmlFile, xmlBytes);
      expect(spawnSync('xmllint', ['--noout', '--schema', XSD, xmlFile]).status).toBe(0);
    }

    const etag = pdf.headers.get('etag')!;
    const again = await fetch(`${t.gateway.url}/v1/invoices/${id}/pdf`, { headers: { authorization: `Bearer ${t.key}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // Checked with less than the tools would check: said so, not passed.
    if (!hasPdftotext || !hasXmllint) ctx.skip();
  });

  it('answers 409 before the invoice is issued, and for another seller 404', async () => {
    // Down for three seconds (Retry-After: 3 holds the channel that long, so the outage is not lifted early).
    simulator.setFaults({ outageUntil: Date.now() + 3000 });
    const id = await issue();
    const early = await http(`${t.gateway.url}/v1/invoices/${id}/pdf`, { key: t.key });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('invoice_not_issued');
    expect((await http(`${t.gateway.url}/v1/invoices/${id}/xml`, { key: t.otherKey })).status).toBe(404);
  });

  it('shows a render failure on the invoice, retries it, and recovers', async () => {
    const id = await issue();
    await rendered(id);
    const db = t.gateway.store.db;
    const original = await db.selectFrom('invoices').select('computed_json').where('id', '=', id).executeTakeFirstOrThrow();
    // A document that cannot be rendered (its totals are gone), due now.
    await db.updateTable('invoices').set({ computed_json: '{"lines":[]}' }).where('id', '=', id).execute();
    await db.updateTable('jobs').set({ status: 'pending', next_at: Date.now(), attempts: 0 }).where('queue', '=', 'documents').where('subject_id', '=', id).execute();
    const failing = await eventually(
      async () => {
        const current = await resource(id);
        const documents = current.documents as { error: string | null; attempts: number };
        return documents.error && documents.attempts >= 1 ? current : undefined;
      },
      20_000,
      async () => JSON.stringify(await resource(id)),
    );
    expect(failing).toMatchObject({ status: 'issued', documents: { status: 'pending' } });
    const answer = await http(`${t.gateway.url}/v1/invoices/${id}/pdf`, { key: t.key });
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('documents_not_ready');
    expect(String(answer.body.detail)).toContain('rendering failed');
    await db.updateTable('invoices').set({ computed_json: original.computed_json }).where('id', '=', id).execute();
    await db.updateTable('jobs').set({ next_at: Date.now() }).where('queue', '=', 'documents').where('subject_id', '=', id).execute();
    expect(await rendered(id)).toMatchObject({ documents: { status: 'rendered', error: null } });
  });
});
