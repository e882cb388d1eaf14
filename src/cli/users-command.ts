/**
 * `fapiao users add|list|disable|reset-password|reset-2fa`: the people who use the web console, each
 * with a role (operator, bound to no seller; admin, clerk, viewer, for their sellers). Passwords are read from stdin (never an
 * argument: arguments show in `ps` and shell history) and stored as scrypt hashes.
 */
import type { Command } from 'commander';
import {
  addConsoleUser,
  disableConsoleUser,
  listConsoleUsers,
  newUserFault,
  passwordRefusal,
  resetConsolePassword,
  resetConsoleSecondFactor,
  type UserAdminRefusal,
} from '../access/console-user-admin.js';
import type { SecondFactorDeps } from '../access/second-factor.js';
import { CONSOLE_ROLES } from '../domain/console-user-rules.js';
import { PASSWORD_FAULT_TEXT } from '../domain/password-rules.js';
import { systemClock } from '../runtime/clock.js';
import type { Store } from '../store/database.js';
import { secretBoxFor, withStore } from './store-option.js';
import { UsageError } from './usage-error.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Each refusal of the use cases as the sentence the command line answers with. */
function refusalText(refusal: UserAdminRefusal, asked: { readonly username: string; readonly role?: string }): string {
  switch (refusal.kind) {
    case 'username_invalid':
      return `--username ${asked.username}: 2–32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`;
    case 'role_invalid':
      return `--role ${asked.role ?? ''}: ${CONSOLE_ROLES.join(', ')}`;
    case 'operator_with_sellers':
      return 'an operator runs the shared channels and is bound to no seller: leave out --seller';
    case 'sellers_required':
      return '--seller <taxId> is required: the seller(s) this user acts for (repeatable); list them with npx fapiao sellers list';
    case 'password_weak':
      return `the password (read from stdin) must be ${PASSWORD_FAULT_TEXT[refusal.fault]}`;
    case 'sellers_unknown':
      return `not registered: ${refusal.missing.join(', ')} (add with: npx fapiao sellers add)`;
    case 'exists':
      return `user ${refusal.username} exists; change the password with npx fapiao users reset-password ${refusal.username}`;
    case 'unknown_user':
      return `no user ${refusal.username}; list them with npx fapiao users list`;
  }
}

/** The password from stdin: its first line, or everything when it has none; held to password-rules.ts before anything is written. */
async function readPassword(username: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (then Enter; it is not shown): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  const weak = passwordRefusal(password, username);
  if (weak) throw new UsageError(refusalText(weak, { username }));
  return password;
}

/** Runs a use case on the store named by --db / DATABASE_URL, with the secrets key beside it. */
function withUserAdmin<T>(db: string | undefined, use: (deps: SecondFactorDeps) => Promise<T>): Promise<T> {
  return withStore(db, (store: Store) => use({ db: store.db, capabilities: store.capabilities, clock: systemClock, secrets: secretBoxFor(db) }));
}

/** The outcome, unless it is a refusal: then its sentence, as a usage error. */
function done<T extends { readonly kind: string }>(outcome: T | UserAdminRefusal, asked: { readonly username: string; readonly role?: string }): Exclude<T, UserAdminRefusal> {
  if (outcome.kind === 'added' || outcome.kind === 'done') return outcome as Exclude<T, UserAdminRefusal>;
  throw new UsageError(refusalText(outcome as UserAdminRefusal, asked));
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('people who use the web console (/console)');
  users
    .command('add')
    .description('add a console user; the password is read from stdin')
    .requiredOption('--username <name>', 'the login name')
    .requiredOption('--role <role>', `${CONSOLE_ROLES.join(', ')} (运维, 管理员, 开票员, 查看者)`)
    .option('--seller <taxId>', 'a seller the user acts for (repeatable; none for an operator)', collect, [])
    .option('--totp', 'enrol a second factor (TOTP) now: prints the otpauth:// URI for the authenticator app and ten recovery codes, once')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (options: { username: string; role: string; seller: string[]; totp?: boolean; db?: string }) => {
      const asked = { username: options.username, role: options.role };
      // Refused before the password is asked for: nobody types one for a request that cannot succeed.
      const fault = newUserFault({ ...asked, sellers: options.seller });
      if (fault) throw new UsageError(refusalText({ kind: fault }, asked));
      const password = await readPassword(options.username);
      const added = done(
        await withUserAdmin(options.db, (deps) => addConsoleUser(deps, { ...asked, sellers: options.seller, password, secondFactor: options.totp === true, by: 'cli' })),
        asked,
      );
      process.stdout.write(`added ${added.username} (${added.role}) for ${options.seller.length > 0 ? options.seller.join(', ') : 'no seller (operator)'}\n`);
      if (added.secondFactor) {
        process.stdout.write(
          `second factor: scan this with the authenticator app (or type the secret ${added.secondFactor.secret}):\n${added.secondFactor.uri}\n` +
            `recovery codes, each good once; keep them apart from the phone, they are shown only now:\n${added.secondFactor.recoveryCodes.join('\n')}\n`,
        );
      }
    });
  users
    .command('list')
    .description('list console users')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (options: { db?: string }) => {
      const rows = await withUserAdmin(options.db, listConsoleUsers);
      for (const user of rows) {
        const state = user.disabled ? 'disabled' : 'active';
        process.stdout.write(`${user.username}  ${user.role}  ${state}  ${user.sellers.join(',')}  last login ${user.lastLoginAt ? new Date(user.lastLoginAt).toISOString() : 'never'}\n`);
      }
    });
  users
    .command('disable')
    .description('disable a user and end their sessions')
    .argument('<name>')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (name: string, options: { db?: string }) => {
      const { username } = done(await withUserAdmin(options.db, (deps) => disableConsoleUser(deps, name, 'cli')), { username: name });
      process.stdout.write(`disabled ${username}; their sessions ended\n`);
    });
  users
    .command('reset-2fa')
    .description("remove a user's second factor (a lost phone) and end their sessions; they enrol again at their next sign-in")
    .argument('<name>')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (name: string, options: { db?: string }) => {
      const { username } = done(await withUserAdmin(options.db, (deps) => resetConsoleSecondFactor(deps, name, 'cli')), { username: name });
      process.stdout.write(`second factor removed for ${username}; their sessions ended\n`);
    });
  users
    .command('reset-password')
    .description('set a new password (read from stdin); enables the user, lifts the sign-in holds on the name, ends their sessions')
    .argument('<name>')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (name: string, options: { db?: string }) => {
      const password = await readPassword(name);
      const { username } = done(await withUserAdmin(options.db, (deps) => resetConsolePassword(deps, name, password, 'cli')), { username: name });
      process.stdout.write(`new password set for ${username}\n`);
    });
}
