// Printing a URL that holds a password: parsed, the password masked whole, and nothing printed of a
// URL whose password spilled into its host, port or path (a `/` or `:` not percent-encoded).
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/runtime/config.js';
import { isCleanUrl, maskedUrl, UNSHOWN_URL } from '../../src/runtime/masked-url.js';

const SECRET_PARTS = ['s3cret', 'pa', 'ss', 'wo', 'rd'];

describe('masked URLs', () => {
  it.each([
    ['smtp://mailer:s3cret@mail.example.com:587', 'smtp://mailer:***@mail.example.com:587'],
    ['smtps://mailer:pa%2Fss%3Awo%40rd@mail.example.com', 'smtps://mailer:***@mail.example.com'],
    ['smtp://mailer:pa:ss@mail.example.com', 'smtp://mailer:***@mail.example.com'],
    ['smtp://mail.example.com:25', 'smtp://mail.example.com:25'],
    ['postgres://app:s3cret@db:5432/fapiao', 'postgres://app:***@db:5432/fapiao'],
  ])('shows %s as %s', (text, shown) => {
    expect(maskedUrl(text)).toBe(shown);
  });

  it.each(['smtp://mailer:pa/ss@mail.example.com', 'smtp://mailer:123/ss@mail.example.com', 'smtp://mailer:pa#ss@mail.example.com', 'smtp://mailer:pa?ss@mail.example.com', 'smtp://mailer:pa ss@mail.example.com', 'not a url with s3cret'])('shows nothing of %s', (text) => {
    expect(maskedUrl(text)).toBe(UNSHOWN_URL);
    expect(isCleanUrl(text, ['smtp:'])).toBe(false);
  });

  it('refuses a malformed FAPIAO_SMTP_URL without printing any part of its password', () => {
    for (const smtpUrl of ['smtp://mailer:pa/ss@mail.example.com', 'smtp://mailer:123/ss@mail.example.com', 'smtps://mailer:wo/rd:ss@x.example.com', 'http://mailer:s3cret@x.example.com']) {
      let message = '';
      try {
        resolveConfig({ deliveries: { smtpUrl } });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, smtpUrl).toMatch(/^FAPIAO_SMTP_URL must be/);
      for (const part of SECRET_PARTS) expect(message, smtpUrl).not.toMatch(new RegExp(`[:/]${part}\\b`));
    }
    expect(resolveConfig({ deliveries: { smtpUrl: 'smtp://mailer:pa%2Fss@mail.example.com:587' } }).deliveries.smtpUrl).toBe('smtp://mailer:pa%2Fss@mail.example.com:587');
  });
});
