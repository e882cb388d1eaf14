import { describe, expect, it } from 'vitest';
import { amountInWords } from '../../src/domain/amount-in-words.js';
import { parseMoney } from '../../src/domain/money.js';

function words(amount: string): string {
  const parsed = parseMoney(amount, { allowNegative: true });
  if (!parsed.ok) throw new Error(`bad amount ${amount}`);
  return amountInWords(parsed.fen);
}

describe('价税合计（大写）', () => {
  // domain.md §4.4, in its order (REAL = printed on a real 数电票, SPEC = the XML specification).
  it.each([
    ['0.00', '零圆整'],
    ['0.05', '伍分'],
    ['0.50', '伍角整'],
    ['2.12', '贰圆壹角贰分'], // SPEC
    ['10.70', '壹拾圆柒角整'],
    ['246.90', '贰佰肆拾陆圆玖角整'], // REAL
    ['370.08', '叁佰柒拾圆零捌分'], // REAL
    ['692.00', '陆佰玖拾贰圆整'], // REAL
    ['960.50', '玖佰陆拾圆伍角整'], // REAL
    ['1004.05', '壹仟零肆圆零伍分'],
    ['1409.50', '壹仟肆佰零玖圆伍角整'],
    ['1680.32', '壹仟陆佰捌拾圆叁角贰分'],
    ['6007.14', '陆仟零柒圆壹角肆分'],
    ['10000.10', '壹万圆壹角整'],
    ['16409.02', '壹万陆仟肆佰零玖圆零贰分'],
    ['100000.00', '壹拾万圆整'], // REAL
    ['107000.53', '壹拾万柒仟圆伍角叁分'],
    ['226548.43', '贰拾贰万陆仟伍佰肆拾捌圆肆角叁分'], // REAL
    ['100000000.00', '壹亿圆整'],
    ['100010000.00', '壹亿零壹万圆整'],
    ['100100100.10', '壹亿零壹拾万零壹佰圆壹角整'],
    ['200030000.01', '贰亿零叁万圆零壹分'],
    ['1234567890.12', '壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾圆壹角贰分'],
    ['-130.00', '（负数）壹佰叁拾圆整'], // SPEC
    ['-1130.00', '（负数）壹仟壹佰叁拾圆整'],
  ])('domain.md §4.4: %s → %s', (amount, expected) => {
    expect(words(amount)).toBe(expected);
  });

  it.each([
    // 角 and 分 alone, and the 零 before 分
    ['0.01', '壹分'],
    ['0.10', '壹角整'],
    ['0.99', '玖角玖分'],
    ['1.00', '壹圆整'],
    ['1.01', '壹圆零壹分'],
    ['1.10', '壹圆壹角整'],
    // 壹拾, never a bare 拾
    ['10.00', '壹拾圆整'],
    ['11.00', '壹拾壹圆整'],
    ['19.99', '壹拾玖圆玖角玖分'],
    // zeros inside a group: one 零 for a run, none trailing
    ['101.00', '壹佰零壹圆整'],
    ['110.00', '壹佰壹拾圆整'],
    ['1001.00', '壹仟零壹圆整'],
    ['1010.00', '壹仟零壹拾圆整'],
    ['1100.00', '壹仟壹佰圆整'],
    // 万 boundaries: a group below 1000 after a higher part starts with 零
    ['10001.00', '壹万零壹圆整'],
    ['10010.00', '壹万零壹拾圆整'],
    ['10100.00', '壹万零壹佰圆整'],
    ['11000.00', '壹万壹仟圆整'],
    ['100100.00', '壹拾万零壹佰圆整'],
    ['1001000.00', '壹佰万壹仟圆整'],
    ['10000000.00', '壹仟万圆整'],
    ['10000001.00', '壹仟万零壹圆整'],
    // 亿 boundaries and an all-zero 万 group
    ['100000001.00', '壹亿零壹圆整'],
    ['110000000.00', '壹亿壹仟万圆整'],
    ['1000000000000.00', '壹万亿圆整'],
    ['1000000000001.00', '壹万亿零壹圆整'],
    ['1000100000000.00', '壹万零壹亿圆整'],
    ['1234000000000000.00', '壹仟贰佰叁拾肆万亿圆整'],
    ['9999999999999999.99', '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖圆玖角玖分'],
    // red invoices: the prefix before the capitals of the absolute value
    ['-0.05', '（负数）伍分'],
    ['-0.50', '（负数）伍角整'],
    ['-109.00', '（负数）壹佰零玖圆整'], // domain.md §5.4 partial 销货退回 example
    ['-10000.10', '（负数）壹万圆壹角整'],
  ])('%s → %s', (amount, expected) => {
    expect(words(amount)).toBe(expected);
  });

  it('never uses the characters the PBOC rules forbid', () => {
    for (let fen = 0n; fen < 200_000n; fen += 7n) {
      expect(amountInWords(fen * 1013n)).not.toMatch(/[一二三四五六七八九十元毛另0-9]/);
    }
  });
});
