/**
 * The QR code content of a 数电 e-invoice (domain.md §7.4, decision 8):
 * `01,{31 专票|32 普票},,{20-digit number},{价税合计},{YYYYMMDD},,{CRC}`, where the CRC is
 * CRC-16/BUYPASS over everything before it, the trailing comma included — the variant that
 * matches real invoices, not the one the specification's text names.
 */
import { beijingTime } from '../domain/beijing-time.js';

/** CRC-16/BUYPASS: polynomial 0x8005, initial 0, no reflection, no final XOR; 4 upper-case hex digits. */
export function qrCrc(text: string): string {
  let crc = 0;
  for (const byte of Buffer.from(text, 'ascii')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

export function qrPayload(input: { type: 'normal' | 'special'; number: string; total: string; issuedAt: number }): string {
  const date = beijingTime(input.issuedAt).slice(0, 10).replaceAll('-', '');
  const prefix = `01,${input.type === 'special' ? '31' : '32'},,${input.number},${input.total},${date},,`;
  return prefix + qrCrc(prefix);
}
