/**
 * Taxpayer identification numbers (纳税人识别号) on an invoice: the unified social credit code
 * (统一社会信用代码, GB 32100-2015) and the other forms the tax platform accepts (domain.md §1,
 * decision 4): 15–20 digits and upper-case letters. An 18-character ID is either a USCC with the
 * right check character or a resident identity number (GB 11643, which a natural person or 个体户
 * uses as taxpayer ID); anything else of that length is a typo, most often O for 0 or I for 1,
 * which the decision's "shaped like a USCC" test alone would let through.
 */
import { TAX_ID_FORM } from './field-forms.js';

/** The 31 characters of a USCC: digits and upper-case letters without I, O, S, V, Z. */
const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** W_i = 3^(i−1) mod 31 */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const USCC_SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character (position 18) for the first 17 characters of a USCC. */
export function usccCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError('usccCheckCharacter needs 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_CHARSET.indexOf(first17[i]!);
    if (value < 0) throw new RangeError(`not a USCC character: ${first17[i]}`);
    sum += value * USCC_WEIGHTS[i]!;
  }
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

/** Whether a code has the shape of a USCC (GB 32100 character classes by position). */
function isUsccShaped(code: string): boolean {
  return USCC_SHAPE.test(code);
}

/** Whether a code is a USCC with the right check character. */
export function isValidUscc(code: string): boolean {
  return isUsccShaped(code) && usccCheckCharacter(code.slice(0, 17)) === code[17];
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK = '10X98765432';

/**
 * Whether an 18-character code is a resident identity number (GB 11643-1999): a region code that
 * starts 1–8, a real birth date, and the ISO 7064 MOD 11-2 check character.
 */
export function isResidentIdNumber(code: string): boolean {
  const match = /^([1-8][0-9]{5})((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})[0-9]{3}[0-9X]$/.exec(code);
  if (!match) return false;
  const year = Number(match[2]);
  const month = Number(match[3]);
  const day = Number(match[4]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (code.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11] === code[17];
}

export type TaxIdFault = 'tax_id_format' | 'tax_id_checksum';

/** Why a taxpayer ID is refused, or undefined when it is acceptable on an invoice. */
export function taxIdFault(code: string): TaxIdFault | undefined {
  if (!TAX_ID_FORM.test(code)) return 'tax_id_format';
  if (code.length !== 18 || isValidUscc(code) || isResidentIdNumber(code)) return undefined;
  return isUsccShaped(code) ? 'tax_id_checksum' : 'tax_id_format';
}
