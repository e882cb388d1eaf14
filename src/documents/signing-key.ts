/**
 * The gateway's document signing key: generated at first start, stored in the data directory
 * readable by its owner only, its public half exportable so anyone can check a document. SM2 with
 * SM3 by default (the national algorithms, in Node's OpenSSL); Ed25519 as an option.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { SigningAlgorithm } from '../runtime/config.js';

export type { SigningAlgorithm };

export interface SigningKey {
  readonly algorithm: SigningAlgorithm;
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI DER): names the key in documents. */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const PRIVATE_FILE = 'signing-key.pem';
const PUBLIC_FILE = 'signing-key.pub.pem';

/** The key id of a public key. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

// OID 1.2.156.10197.1.301 (sm2), DER-encoded, as it appears in an SM2 public key's SPKI.
const SM2_OID = Buffer.from('06082a811ccf5501822d', 'hex');

/**
 * The algorithm a key is for. An SM2 key read from PEM has no type Node can name (OpenSSL 3 loads
 * it as its own SM2 key type), so it is recognised by the curve's OID in its SPKI.
 */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.export({ type: 'spki', format: 'der' }).includes(SM2_OID)) return 'SM2-SM3';
  throw new Error(`unsupported signing key: ${key.asymmetricKeyType ?? 'unknown type'}; use an SM2 or Ed25519 key`);
}

/**
 * Keys are always used as read from PEM. Node's freshly generated SM2 key is an EC key and signs
 * as ECDSA over the SM2 curve, while the same key read back from PEM signs with the SM2 scheme
 * (SM3 over the signer's Z value): the two do not verify each other. Reading back makes every
 * signature the SM2 scheme, from the first start on.
 */
export function signingKeyFromPem(pem: string | Buffer): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { algorithm: algorithmOf(privateKey), keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** Loads the key of `dir/keys`, creating it (mode 600) on first use. */
export function loadOrCreateSigningKey(dataDir: string, algorithm: SigningAlgorithm = 'SM2-SM3'): SigningKey {
  const dir = join(dataDir, 'keys');
  const privatePath = join(dir, PRIVATE_FILE);
  if (existsSync(privatePath)) return signingKeyFromPem(readFileSync(privatePath));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = algorithm === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'SM2' });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(privatePath, pem, { mode: 0o600 });
  chmodSync(privatePath, 0o600);
  const key = signingKeyFromPem(pem);
  writeFileSync(join(dir, PUBLIC_FILE), key.publicKey.export({ type: 'spki', format: 'pem' }));
  return key;
}

/** The public key a verifier trusts: a PEM file, or this gateway's own in `dataDir/keys`. */
export function loadPublicKey(path: string): KeyObject {
  return createPublicKey(readFileSync(path));
}

export function publicKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', PUBLIC_FILE);
}

const digestOf = (algorithm: SigningAlgorithm) => (algorithm === 'SM2-SM3' ? 'sm3' : null);

export function signBytes(key: SigningKey, bytes: Uint8Array): Buffer {
  return sign(digestOf(key.algorithm), bytes, key.privateKey);
}

export function verifyBytes(publicKey: KeyObject, bytes: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(digestOf(algorithmOf(publicKey)), bytes, publicKey, signature);
  } catch {
    return false;
  }
}
