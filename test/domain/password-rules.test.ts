// Console passwords: twelve characters at least; no repeated character or run, no keyboard or digit
// walk, not the user's name, none of the common passwords (with digits or symbols added).
import { describe, expect, it } from 'vitest';
import { passwordFault } from '../../src/domain/password-rules.js';

describe('password rules', () => {
  it.each([
    ['short', 'too_short'],
    ['aaaaaaaaaaa', 'too_short'],
    ['aaaaaaaaaaaa', 'repetitive'],
    ['            ', 'repetitive'],
    ['abcabcabcabc', 'repetitive'],
    ['121212121212', 'repetitive'],
    ['123456789012', 'sequence'],
    ['abcdefghijkl', 'sequence'],
    ['qwertyuiop12', 'common'],
    ['9876543210987', 'sequence'],
    ['1qaz2wsx3edc', 'sequence'],
    ['password1234', 'common'],
    ['Password@2026', 'common'],
    ['woaini1314520', 'common'],
    ['Admin@123456', 'common'],
    ['fapiao123456', 'common'],
    ['wangkj2026!!', 'contains_username'],
  ])('refuses %j as %s', (password, fault) => {
    expect(passwordFault(password, { username: 'wangkj' })).toBe(fault);
  });

  it.each(['correct horse battery staple', '开票系统的密码要够长才行', 'a long enough secret', 'Tr0ub4dor&3-xk', 'wangkj likes dumplings'])('takes %j', (password) => {
    expect(passwordFault(password, { username: 'wangkj' })).toBeUndefined();
  });
});
