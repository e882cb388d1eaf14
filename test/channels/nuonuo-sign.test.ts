// 诺诺's signature against the two published vectors (domain.md §6.1 and field-notes §2: the
// second was checked against the live gateway), and the envelope's shape.
import { describe, expect, it } from 'vitest';
import { envelopeQuery, newEnvelope, nuonuoSign } from '../../src/channels/nuonuo/nuonuo-sign.js';

describe('X-Nuonuo-Sign', () => {
  it('matches the first published vector (a Chinese body, signed as UTF-8)', () => {
    expect(nuonuoSign('secret', 'app', { senid: 'a'.repeat(32), nonce: '12345678', timestamp: '1700000000' }, '{"name":"中文"}')).toBe('4BzcKzrcoqxPis0W/W3X2ae0uIo=');
  });

  it('matches the second published vector', () => {
    expect(nuonuoSign('SECRET', 'APPKEY', { senid: 'SENID', nonce: '12345678', timestamp: '1700000000' }, '{"a":1}')).toBe('7iSZiR+0g+376QEJ38xLM+3vGDs=');
  });

  it('changes with one byte of the body', () => {
    const envelope = { senid: 'a'.repeat(32), nonce: '12345678', timestamp: '1700000000' };
    expect(nuonuoSign('secret', 'app', envelope, '{"name":"中文 "}')).not.toBe('4BzcKzrcoqxPis0W/W3X2ae0uIo=');
  });

  it('makes an envelope of 32 hex characters, an 8-digit nonce and Unix seconds', () => {
    const envelope = newEnvelope(1_700_000_000_999);
    expect(envelope.senid).toMatch(/^[0-9a-f]{32}$/);
    expect(envelope.nonce).toMatch(/^[1-9][0-9]{7}$/);
    expect(envelope.timestamp).toBe('1700000000');
    expect(newEnvelope(0).senid).not.toBe(envelope.senid);
    expect(envelopeQuery('APPKEY', envelope)).toBe(`senid=${envelope.senid}&nonce=${envelope.nonce}&timestamp=1700000000&appkey=APPKEY`);
  });
});
