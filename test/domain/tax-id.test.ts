import { describe, expect, it } from 'vitest';
import { isResidentIdNumber, isValidUscc, taxIdFault, usccCheckCharacter } from '../../src/domain/tax-id.js';

/** Unified social credit codes of well-known companies, as published in their business registrations. */
const REAL_USCCS: ReadonlyArray<[string, string]> = [
  ['91330100799655058B', '阿里巴巴（中国）有限公司'],
  ['91440300708461136T', '深圳市腾讯计算机系统有限公司'],
  ['914403001922038216', '华为技术有限公司'],
  ['91110108558521630L', '小米通讯技术有限公司'],
  ['91440300192317458F', '比亚迪股份有限公司'],
  ['91100000100003962T', '中国工商银行股份有限公司'],
  ['911000001000013428', '中国银行股份有限公司'],
  ['911100001000044477', '中国建设银行股份有限公司'],
  ['9144030010001686XA', '招商银行股份有限公司'],
  ['91440300100012316L', '中国平安保险（集团）股份有限公司'],
  ['91110000710926094P', '中国石油化工股份有限公司'],
  ['911100007109250324', '中国移动通信集团有限公司'],
  ['9111000071093123XX', '国家电网有限公司'],
  ['91110000802100433B', '百度在线网络技术（北京）有限公司'],
  ['91110108551385082Q', '北京三快在线科技有限公司（美团）'],
  ['91350900587527783P', '宁德时代新能源科技股份有限公司'],
  // domain.md §1.2: the standard's corrected example and a validator's test list
  ['91350100M000100Y43', 'GB 32100 example, corrected'],
  ['91440101MA5CJQ4N59', 'validator test list'],
  ['91350213678251743X', 'validator test list'],
  ['9135021359498494XQ', 'validator test list'],
];

const UPPER_ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('unified social credit code (GB 32100-2015)', () => {
  it.each(REAL_USCCS)('%s (%s) validates', (code) => {
    expect(isValidUscc(code)).toBe(true);
    expect(taxIdFault(code)).toBeUndefined();
  });

  it('computes the standard worked example: 91350100M000100Y4 → 3, so …Y4Z is invalid', () => {
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
    // Z is not even a USCC character, so the standard's printed example is a format error.
    expect(taxIdFault('91350100M000100Y4Z')).toBe('tax_id_format');
    expect(taxIdFault('91350100M000100Y42')).toBe('tax_id_checksum');
  });

  it('catches every single-character change of every real code', () => {
    let variants = 0;
    for (const [code] of REAL_USCCS) {
      for (let position = 0; position < code.length; position++) {
        for (const replacement of UPPER_ALPHANUMERIC) {
          if (replacement === code[position]) continue;
          const changed = code.slice(0, position) + replacement + code.slice(position + 1);
          expect(taxIdFault(changed), changed).toBeDefined();
          variants++;
        }
      }
    }
    expect(variants).toBe(REAL_USCCS.length * 18 * 35);
  });

  it('catches every swap of two adjacent different characters', () => {
    for (const [code] of REAL_USCCS) {
      for (let i = 0; i + 1 < code.length; i++) {
        if (code[i] === code[i + 1]) continue;
        const swapped = code.slice(0, i) + code[i + 1]! + code[i]! + code.slice(i + 2);
        expect(taxIdFault(swapped), swapped).toBeDefined();
      }
    }
  });

  it('says checksum for a USCC-shaped typo and format for an impossible character', () => {
    expect(taxIdFault('91330100799655058C')).toBe('tax_id_checksum');
    expect(taxIdFault('9133O100799655058B')).toBe('tax_id_format'); // letter O for zero
    expect(taxIdFault('91330100799655058b')).toBe('tax_id_format'); // lower case
  });

  it('refuses a sandbox ID that is no real code (it must be registered as a sandbox seller)', () => {
    expect(taxIdFault('339902999999789113')).toBeDefined();
  });
});

describe('other taxpayer IDs accepted on a 数电票 (domain.md §1.3, §1.4)', () => {
  it.each([
    ['330106123456789', 'old 15-character organisation TIN'],
    ['L91330100799655058B', '19-character temporary taxpayer'],
    ['11010519491231002X01', '20 characters: identity number + sequence'],
    ['11010519491231002X', 'resident identity number used as TIN'],
  ])('%s (%s)', (code) => {
    expect(taxIdFault(code)).toBeUndefined();
  });

  it.each(['', '12345678901234', '123456789012345678901', '9133010079965505-8B', '91330100 799655058B', '９１３３'])(
    'refuses %j as tax_id_format',
    (code) => {
      expect(taxIdFault(code)).toBe('tax_id_format');
    },
  );

  it('checks resident identity numbers: check character and birth date', () => {
    expect(isResidentIdNumber('11010519491231002X')).toBe(true);
    expect(isResidentIdNumber('110105194912310021')).toBe(false); // wrong check character
    expect(isResidentIdNumber('110105194902300028')).toBe(false); // 30 February
    expect(isResidentIdNumber('910105194912310027')).toBe(false); // no region starts with 9
  });
});
