// `fapiao verify` as a person runs it on a document: valid, changed, another key's, unreadable.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signInvoiceXml } from '../../src/documents/invoice-signature.js';
import { renderInvoicePdf } from '../../src/documents/invoice-pdf.js';
import { signPdf } from '../../src/documents/pdf-signature.js';
import { invoiceXml } from '../../src/documents/invoice-xml.js';
import { loadOrCreateSigningKey, publicKeyPath } from '../../src/documents/signing-key.js';
import { validRequest } from '../support/invoice-request.js';
import { issued } from '../support/issued-invoice.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const dir = mkdtempSync(join(tmpdir(), 'fapiao-verify-'));
const key = loadOrCreateSigningKey(dir);
const file = join(dir, 'invoice.xml');
writeFileSync(file, signInvoiceXml(invoiceXml(issued(validRequest())), key));

function verify(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, 'verify', ...args, '--db', join(dir, 'fapiao.db')], { encoding: 'utf8', env: { ...process.env, FAPIAO_DATA_DIR: '' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('fapiao verify', () => {
  it("passes a fresh document against the gateway's own key", () => {
    expect(verify(file)).toMatchObject({ status: 0, stdout: `valid: ${file} is signed by key ${key.keyId} (SM2-SM3) and has not changed since it was signed\n` });
  });

  it('fails a document with one byte changed', () => {
    const changed = join(dir, 'changed.xml');
    writeFileSync(changed, readFileSync(file, 'utf8').replace('1060.00', '1960.00'));
    expect(verify(changed)).toMatchObject({ status: 1, stdout: expect.stringContaining('changed after signing') as string });
  });

  it('fails a document signed by another key, and names both keys', () => {
    const other = loadOrCreateSigningKey(join(dir, 'other'));
    const foreign = join(dir, 'foreign.xml');
    writeFileSync(foreign, signInvoiceXml(invoiceXml(issued(validRequest())), other));
    const run = verify(foreign);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`signed by key ${other.keyId}, not by the trusted key ${key.keyId}`);
    expect(verify(foreign, '--public-key', publicKeyPath(join(dir, 'other'))).status).toBe(0);
  });

  it('checks a signed PDF the same way', async () => {
    const pdf = join(dir, 'invoice.pdf');
    writeFileSync(pdf, signPdf(await renderInvoicePdf(issued(validRequest())), key));
    expect(verify(pdf)).toMatchObject({ status: 0, stdout: expect.stringContaining(`signed by key ${key.keyId}`) as string });
    const bytes = readFileSync(pdf);
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
    writeFileSync(pdf, bytes);
    expect(verify(pdf).status).toBe(1);
  });

  it('exits 2 when it cannot check', () => {
    expect(verify(join(dir, 'missing.xml'))).toMatchObject({ status: 2, stderr: expect.stringContaining('ENOENT') as string });
    expect(verify(file, '--public-key', join(dir, 'nope.pem')).status).toBe(2);
  });
});
