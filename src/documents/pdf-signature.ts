/**
 * Signing an invoice PDF: the signature is over the exact bytes of the PDF as rendered and is
 * appended after %%EOF as one PDF comment line, `%FAPIAO-SIGNATURE <algorithm> <keyId> <base64>`.
 * Readers ignore it (checked with poppler and qpdf); a verifier removes that line and checks the
 * rest, so a single changed byte anywhere fails. Chosen over a PAdES signature dictionary because
 * it needs no PDF rewriting and any tool can check it; PAdES can be added beside it later.
 */
import type { KeyObject } from 'node:crypto';
import { checkDetachedSignature, type VerifyResult } from './detached-signature.js';
import { signBytes, type SigningKey } from './signing-key.js';

const MARK = '%FAPIAO-SIGNATURE ';
const TRAILER = /\n%FAPIAO-SIGNATURE (\S+) ([0-9a-f]{16}) ([A-Za-z0-9+/=]+)\n$/;

export function signPdf(pdf: Buffer, key: SigningKey): Buffer {
  // What is signed is exactly what a verifier keeps: the PDF ending in one newline.
  const body = pdf[pdf.length - 1] === 0x0a ? pdf : Buffer.concat([pdf, Buffer.from('\n')]);
  const signature = signBytes(key, body).toString('base64');
  return Buffer.concat([body, Buffer.from(`${MARK}${key.algorithm} ${key.keyId} ${signature}\n`, 'latin1')]);
}

export function verifyPdf(bytes: Buffer, trusted: KeyObject): VerifyResult {
  // The trailer is ASCII at the very end; read only the tail, the body is binary.
  const tail = bytes.subarray(Math.max(0, bytes.length - 400)).toString('latin1');
  const match = TRAILER.exec(tail);
  if (!match) return { valid: false, reason: 'unsigned', detail: 'no signature line after %%EOF' };
  const [line, algorithm = '', keyId = '', signature = ''] = match;
  // Keep the newline that ended the PDF before the trailer: it is part of the signed bytes.
  const signed = bytes.subarray(0, bytes.length - line.length + 1);
  return checkDetachedSignature(signed, { algorithm, keyId, signature }, trusted);
}
