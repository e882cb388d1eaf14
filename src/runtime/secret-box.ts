/**
 * Seals secrets the gateway must use again later (webhook signing secrets: HMAC needs the secret
 * itself, so it cannot be hashed) with AES-256-GCM under one key: FAPIAO_SECRETS_KEY, or a key
 * generated at first start in the data directory, readable by its owner only. Several processes
 * on other machines sharing one PostgreSQL need the same FAPIAO_SECRETS_KEY.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The key file in the data directory; backups take it along (src/store/backup.ts). */
export const SECRETS_KEY_FILE = 'secrets.key';
const KEY_FILE = SECRETS_KEY_FILE;
const VERSION = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The key given (base64 of 32 bytes), or the data directory's, made if missing. */
  static open(options: { readonly key: string | null; readonly dataDir: string }): SecretBox {
    if (options.key !== null) {
      const key = Buffer.from(options.key, 'base64');
      if (key.length !== 32) throw new Error('FAPIAO_SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
      return new SecretBox(key);
    }
    const file = join(options.dataDir, KEY_FILE);
    if (!existsSync(file)) {
      mkdirSync(options.dataDir, { recursive: true });
      // 'wx': a second process starting at the same moment keeps the first one's key.
      try {
        writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      chmodSync(file, 0o600);
    }
    return SecretBox.open({ key: readFileSync(file, 'utf8').trim(), dataDir: options.dataDir });
  }

  /** The key given, or the data directory's if there is one; never makes one (the doctor only looks). */
  static existing(options: { readonly key: string | null; readonly dataDir: string }): SecretBox | undefined {
    if (options.key === null && !existsSync(join(options.dataDir, KEY_FILE))) return undefined;
    return SecretBox.open(options);
  }

  /** Whether text has the form `seal` gives (older rows may hold a secret in the clear). */
  static isSealed(text: string): boolean {
    return /^v1\.[\w-]+\.[\w-]+\.[\w-]*$/.test(text);
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  /** @throws {Error} when the text was sealed under another key or altered */
  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('a sealed secret does not open with this key: was FAPIAO_SECRETS_KEY (or data/secrets.key) changed?');
    }
  }
}
