/**
 * Who may be a console user: a login name's form, the four roles, and which roles act for sellers
 * (an operator runs the shared channels and is bound to none; every other role acts for at least one).
 */
export const CONSOLE_ROLES = ['operator', 'admin', 'clerk', 'viewer'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];
export const USERNAME_FORM = /^[a-z0-9][a-z0-9._-]{1,31}$/;

export type ConsoleUserFault = 'username_invalid' | 'role_invalid' | 'operator_with_sellers' | 'sellers_required';

/** A login name as stored: trimmed and lower-cased (names are not case-sensitive). */
export const normalUsername = (text: string): string => text.trim().toLowerCase();

/** What is wrong with a new user's name, role and sellers; undefined when nothing. */
export function consoleUserFault(user: { readonly username: string; readonly role: string; readonly sellers: readonly string[] }): ConsoleUserFault | undefined {
  if (!USERNAME_FORM.test(normalUsername(user.username))) return 'username_invalid';
  if (!(CONSOLE_ROLES as readonly string[]).includes(user.role)) return 'role_invalid';
  if (user.role === 'operator' && user.sellers.length > 0) return 'operator_with_sellers';
  if (user.role !== 'operator' && user.sellers.length === 0) return 'sellers_required';
  return undefined;
}
