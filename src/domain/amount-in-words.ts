/**
 * 价税合计（大写）: an amount in Chinese financial capitals as the 数电 platform prints it
 * (domain.md §4.3, decision 1): 圆 not 元; 整 after 圆 or 角 when 分 is 0; 零 before 分 when 角 is 0
 * and there are 圆; no 零 between 圆 and a non-zero 角; always 壹拾, never a bare 拾; amounts under
 * one 圆 without 零圆; red (negative) amounts prefixed （负数）.
 */
import type { Fen } from './money.js';

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACES = ['仟', '佰', '拾', ''] as const;
/** Units of the 4-digit groups: 个, 万, 亿, 万亿 — enough for the 16 integer digits of an amount. */
const GROUP_UNITS = ['', '万', '亿', '万亿'] as const;

/** One group 1..9999 read 仟佰拾个, one 零 for an inner run of zeros, none trailing. */
function groupWords(group: number): string {
  const digits = group.toString().padStart(4, '0');
  let words = '';
  let pendingZero = false;
  let started = false;
  for (let i = 0; i < 4; i++) {
    const digit = digits.charCodeAt(i) - 48;
    if (digit === 0) {
      if (started) pendingZero = true;
      continue;
    }
    if (pendingZero) words += '零';
    pendingZero = false;
    words += DIGITS[digit]! + PLACES[i]!;
    started = true;
  }
  return words;
}

function integerWords(yuan: bigint): string {
  const groups: number[] = [];
  for (let rest = yuan; rest > 0n; rest /= 10000n) groups.push(Number(rest % 10000n));
  if (groups.length > GROUP_UNITS.length) throw new RangeError(`amount too large for capitals: ${yuan} 元`);
  let words = '';
  let skippedZeroGroup = false;
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i]!;
    if (group === 0) {
      if (words) skippedZeroGroup = true;
      continue;
    }
    // A group below 1000 after a higher part starts with a zero digit, and so does anything after
    // an all-zero group: both are read with one 零 (壹亿零壹万, 壹万零壹).
    if (words && (skippedZeroGroup || group < 1000)) words += '零';
    // The top group shares its 亿 with a non-zero 亿 group below it: 1 0001 0000 0000 is
    // 壹万零壹亿, not 壹万亿零壹亿 (domain.md's §4.3 sketch gets this wrong past 10^12 元).
    const unit = i === 3 && groups[2] !== 0 ? '万' : GROUP_UNITS[i]!;
    words += groupWords(group) + unit;
    skippedZeroGroup = false;
  }
  return words;
}

/** The capitals of an amount in fen; negative amounts (red invoices) get the （负数） prefix. */
export function amountInWords(amount: Fen): string {
  const negative = amount < 0n;
  const magnitude = negative ? -amount : amount;
  const yuan = magnitude / 100n;
  const jiao = Number((magnitude / 10n) % 10n);
  const fen = Number(magnitude % 10n);
  let words = yuan > 0n ? integerWords(yuan) + '圆' : '';
  if (jiao === 0 && fen === 0) {
    words = (words || '零圆') + '整';
  } else {
    if (jiao > 0) words += DIGITS[jiao]! + '角';
    else if (yuan > 0n) words += '零';
    words += fen > 0 ? DIGITS[fen]! + '分' : '整';
  }
  return (negative ? '（负数）' : '') + words;
}
