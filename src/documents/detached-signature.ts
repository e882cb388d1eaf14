/**
 * What XML and PDF signatures share: a signature over exact bytes, named by algorithm and key
 * id, checked against the one public key the verifier trusts.
 */
import type { KeyObject } from 'node:crypto';
import { algorithmOf, keyIdOf, verifyBytes } from './signing-key.js';

export type VerifyResult =
  | { readonly valid: true; readonly keyId: string; readonly algorithm: string }
  | { readonly valid: false; readonly reason: 'unsigned' | 'other_key' | 'altered'; readonly detail: string };

export function checkDetachedSignature(
  signed: Uint8Array,
  claimed: { readonly algorithm: string; readonly keyId: string; readonly signature: string },
  trusted: KeyObject,
): VerifyResult {
  const trustedId = keyIdOf(trusted);
  if (claimed.keyId !== trustedId) {
    return { valid: false, reason: 'other_key', detail: `signed by key ${claimed.keyId}, not by the trusted key ${trustedId}` };
  }
  if (claimed.algorithm !== algorithmOf(trusted)) {
    return { valid: false, reason: 'altered', detail: `the signature says ${claimed.algorithm}, the trusted key is ${algorithmOf(trusted)}` };
  }
  if (!verifyBytes(trusted, signed, Buffer.from(claimed.signature, 'base64'))) {
    return { valid: false, reason: 'altered', detail: 'the signature does not match the content: the document was changed after signing' };
  }
  return { valid: true, keyId: claimed.keyId, algorithm: claimed.algorithm };
}
