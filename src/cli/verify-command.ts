/** `fapiao verify FILE`: checks an invoice document's signature against a trusted public key. */
import { environment } from '../runtime/env.js';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadPublicKey, publicKeyPath } from '../documents/signing-key.js';
import { defaultDbFile } from './store-option.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("check the signature of an invoice document (PDF or XML) against this gateway's key or --public-key")
    .argument('<file>', 'the signed document')
    .option('--public-key <pem>', "the signer's public key (default: this gateway's, in <data>/keys/signing-key.pub.pem)")
    .option('--db <file>', 'the gateway whose key to trust, by its SQLite file (its data directory holds the key)')
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid (changed, unsigned, or signed by another key), 2 could not check.')
    .action(async (file: string, options: { publicKey?: string; db?: string }) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      const keyFile = options.publicKey ?? publicKeyPath(environment.dataDir ?? dirname(options.db ?? defaultDbFile()));
      let trusted;
      try {
        trusted = loadPublicKey(keyFile);
      } catch (error) {
        throw new UsageError(`cannot read the public key ${keyFile}: ${errorMessage(error)}`);
      }
      const isPdf = bytes.subarray(0, 5).toString() === '%PDF-';
      const result = isPdf ? (await import('../documents/pdf-signature.js')).verifyPdf(bytes, trusted) : (await import('../documents/invoice-signature.js')).verifyInvoiceXml(bytes, trusted);
      if (result.valid) {
        process.stdout.write(`valid: ${file} is signed by key ${result.keyId} (${result.algorithm}) and has not changed since it was signed\n`);
      } else {
        process.stdout.write(`invalid: ${file}: ${result.detail}\n`);
        process.exitCode = 1;
      }
    });
}
