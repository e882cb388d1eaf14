/**
 * What a console password must be (OWASP ASVS V2.1, NIST SP 800-63B §5.1.1.2): at least 12
 * characters, not one character repeated or a short run repeated, not a run along the keyboard
 * or the digits, not the user's name, and none of the passwords people use most (the list ships
 * with the package: common-passwords.ts). No rules of composition: length is what counts.
 */
import { COMMON_PASSWORDS } from './common-passwords.js';

const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

export type PasswordFault = 'too_short' | 'too_long' | 'repetitive' | 'sequence' | 'contains_username' | 'common';

export const PASSWORD_FAULT_TEXT: Readonly<Record<PasswordFault, string>> = {
  too_short: `at least ${MIN_PASSWORD_LENGTH} characters (a few words together are easy to remember)`,
  too_long: `at most ${MAX_PASSWORD_LENGTH} characters`,
  repetitive: 'not one character or a short run repeated',
  sequence: 'not a run along the keyboard or the alphabet or the digits',
  contains_username: 'not the user name, or the user name with a little added',
  common: 'one of the passwords people use most: choose another',
};

const RUNS = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p', 'qazwsxedcrfvtgbyhnujmikolp'];

/** Whether the text is a run of at least `length` characters along one of RUNS, either way. */
function isSequence(text: string): boolean {
  return RUNS.some((run) => {
    for (const line of [run, [...run].reverse().join('')]) {
      // Runs wrap around ("7890123456") and may repeat ("1234512345" is caught as repetitive).
      const doubled = line + line;
      if (doubled.includes(text)) return true;
    }
    return false;
  });
}

/** Whether the text is one unit of up to a third of its length, repeated. */
function isRepetitive(text: string): boolean {
  const chars = [...text];
  for (let unit = 1; unit <= Math.floor(chars.length / 3); unit++) {
    if (chars.length % unit !== 0) continue;
    const head = chars.slice(0, unit).join('');
    if (head.repeat(chars.length / unit) === text) return true;
  }
  return false;
}

export function passwordFault(password: string, context: { readonly username?: string } = {}): PasswordFault | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';
  const folded = password.normalize('NFKC').toLowerCase();
  const core = folded.replace(/\s+/g, '');
  if (core.length < 4 || isRepetitive(folded) || isRepetitive(core)) return 'repetitive';
  if (isSequence(core)) return 'sequence';
  const name = context.username?.toLowerCase();
  // The name with only digits or symbols around it ("wangkj2026!!") is the name.
  if (name && name.length >= 3 && core.includes(name) && !/\p{L}/u.test(core.replace(name, ''))) return 'contains_username';
  // A common password with digits or symbols added at either end is still a common password.
  const stripped = core.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (COMMON_PASSWORDS.has(core) || (stripped.length >= 4 && COMMON_PASSWORDS.has(stripped))) return 'common';
  return undefined;
}
