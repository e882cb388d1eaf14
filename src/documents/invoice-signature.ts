/**
 * Signing an invoice XML: the signature is over the exact UTF-8 bytes of the document as rendered,
 * and is inserted as the last element, `<Signature Algorithm KeyId>base64</Signature>`. A verifier
 * removes that one element and checks the remaining bytes: a single changed byte anywhere fails.
 * Exact bytes rather than XML canonicalisation: nothing needs to re-serialise our documents, and
 * byte-exactness is simpler to get right and to check with any tool.
 */
import type { KeyObject } from 'node:crypto';
import { checkDetachedSignature, type VerifyResult } from './detached-signature.js';
import { signBytes, type SigningKey } from './signing-key.js';

export type { VerifyResult };

const CLOSING = '</EInvoice>\n';
const SIGNATURE = / {2}<Signature Algorithm="([^"]+)" KeyId="([0-9a-f]{16})">([A-Za-z0-9+/=]+)<\/Signature>\n(?=<\/EInvoice>\n$)/;

/** The document with its signature inserted before the closing tag. */
export function signInvoiceXml(xml: string, key: SigningKey): string {
  if (!xml.endsWith(CLOSING)) throw new Error('not an invoice document');
  const signature = signBytes(key, Buffer.from(xml, 'utf8')).toString('base64');
  return `${xml.slice(0, -CLOSING.length)}  <Signature Algorithm="${key.algorithm}" KeyId="${key.keyId}">${signature}</Signature>\n${CLOSING}`;
}

/** Checks a signed invoice XML against the public key the verifier trusts. */
export function verifyInvoiceXml(bytes: Buffer, trusted: KeyObject): VerifyResult {
  const text = bytes.toString('utf8');
  const match = SIGNATURE.exec(text);
  if (!match) return { valid: false, reason: 'unsigned', detail: 'no signature element at the end of the document' };
  const [element, algorithm = '', keyId = '', signature = ''] = match;
  // Re-encoding must give back the exact bytes; otherwise the file held bytes that are not UTF-8.
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    return { valid: false, reason: 'altered', detail: 'the file is not the UTF-8 text that was signed' };
  }
  const unsigned = Buffer.from(text.slice(0, match.index) + text.slice(match.index + element.length), 'utf8');
  return checkDetachedSignature(unsigned, { algorithm, keyId, signature }, trusted);
}
