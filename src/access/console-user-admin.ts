/**
 * Administering console users: add one (name, role and sellers checked by the rules, the password
 * by password-rules.ts, a second factor enrolled at once if asked), disable one, set a new password,
 * remove a lost second factor. Every change is audited by the store and ends the user's sessions
 * where it should. `fapiao users` calls these; a console page for them would call the same.
 */
import { consoleUserFault, normalUsername, USERNAME_FORM, type ConsoleRole, type ConsoleUserFault } from '../domain/console-user-rules.js';
import { passwordFault, type PasswordFault } from '../domain/password-rules.js';
import { hashPassword } from '../runtime/password-hash.js';
import { removeSecondFactor } from '../store/console-second-factor.js';
import { addUser, disableUser, listUsers, resetPassword, type ConsoleUser } from '../store/console-users.js';
import { enrolGivenSecret, type SecondFactorDeps } from './second-factor.js';

export interface NewConsoleUser {
  readonly username: string;
  readonly role: string;
  readonly sellers: readonly string[];
  readonly password: string;
  /** Enrol a second factor now and show its secret and recovery codes once. */
  readonly secondFactor: boolean;
  /** Who adds the user, for the audit log (`cli`, or a console user's name). */
  readonly by: string;
}

export type UserAdminRefusal =
  | { readonly kind: ConsoleUserFault }
  | { readonly kind: 'password_weak'; readonly fault: PasswordFault }
  | { readonly kind: 'sellers_unknown'; readonly missing: readonly string[] }
  | { readonly kind: 'exists'; readonly username: string }
  | { readonly kind: 'unknown_user'; readonly username: string };

export type AddUserOutcome =
  | { readonly kind: 'added'; readonly username: string; readonly role: ConsoleRole; readonly secondFactor?: { readonly secret: string; readonly uri: string; readonly recoveryCodes: readonly string[] } }
  | UserAdminRefusal;

/** What is wrong with a new user before the password is asked for: name, role, sellers. */
export const newUserFault = consoleUserFault;

/** Whether the password may be a user's; `username`: it must not contain the name. */
export function passwordRefusal(password: string, username: string): UserAdminRefusal | undefined {
  const fault = passwordFault(password, { username: normalUsername(username) });
  return fault ? { kind: 'password_weak', fault } : undefined;
}

export async function addConsoleUser(deps: SecondFactorDeps, user: NewConsoleUser): Promise<AddUserOutcome> {
  const fault = consoleUserFault(user);
  if (fault) return { kind: fault };
  const username = normalUsername(user.username);
  const weak = passwordRefusal(user.password, username);
  if (weak) return weak;
  const role = user.role as ConsoleRole;
  const passwordHash = await hashPassword(user.password);
  const added = await addUser(deps.db, deps.capabilities, { username, role, sellers: user.sellers, passwordHash, by: user.by, now: deps.clock.now() });
  if (added.kind === 'exists') return { kind: 'exists', username };
  if (added.kind === 'sellers_unknown') return added;
  if (!user.secondFactor) return { kind: 'added', username, role };
  return { kind: 'added', username, role, secondFactor: await enrolGivenSecret(deps, username, user.by) };
}

export const listConsoleUsers = (deps: SecondFactorDeps): Promise<ConsoleUser[]> => listUsers(deps.db);

type Change = { readonly kind: 'done'; readonly username: string } | { readonly kind: 'username_invalid' } | Extract<UserAdminRefusal, { kind: 'unknown_user' }>;

/** Runs a change on an existing user by name; an ill-formed or unknown name changes nothing. */
async function onUser(name: string, change: (username: string) => Promise<string>): Promise<Change> {
  // A name the rules refuse cannot be a user's.
  const username = normalUsername(name);
  if (!USERNAME_FORM.test(username)) return { kind: 'username_invalid' } as const;
  return (await change(username)) === 'unknown' ? { kind: 'unknown_user', username } : { kind: 'done', username };
}

/** Disables a user and ends their sessions. */
export function disableConsoleUser(deps: SecondFactorDeps, name: string, by: string): Promise<Change> {
  return onUser(name, (username) => disableUser(deps.db, deps.capabilities, { username, by, now: deps.clock.now() }));
}

/** Removes a user's second factor (a lost phone) and ends their sessions; they enrol again at their next sign-in. */
export function resetConsoleSecondFactor(deps: SecondFactorDeps, name: string, by: string): Promise<Change> {
  return onUser(name, (username) => removeSecondFactor(deps.db, deps.capabilities, { username, by, now: deps.clock.now() }));
}

/** Sets a new password: enables the user, lifts the sign-in holds on the name, ends their sessions. */
export async function resetConsolePassword(deps: SecondFactorDeps, name: string, password: string, by: string): Promise<Change | Extract<UserAdminRefusal, { kind: 'password_weak' }>> {
  const weak = passwordRefusal(password, name);
  if (weak?.kind === 'password_weak') return weak;
  const passwordHash = await hashPassword(password);
  return onUser(name, (username) => resetPassword(deps.db, deps.capabilities, { username, passwordHash, by, now: deps.clock.now() }));
}
