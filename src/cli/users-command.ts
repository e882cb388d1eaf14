/**
 * `fapiao users add|list|disable|reset-password|reset-2fa`: the people who use the web console, each
 * with a role (operator, bound to no seller; admin, clerk, viewer, for their sellers). Passwords are read from stdin (never an
 * argument: arguments show in `ps` and shell history) and stored as scrypt hashes.
 */
import type { Command } from 'commander';
import { hashPassword } from '../runtime/password-hash.js';
import { passwordFault, PASSWORD_FAULT_TEXT } from '../domain/password-rules.js';
import { addUser, CONSOLE_ROLES, disableUser, listUsers, resetPassword, USERNAME_FORM, type ConsoleRole } from '../store/console-users.js';
import { secretBoxFor, withStore } from './store-option.js';
import { enrolGivenSecret } from '../access/second-factor.js';
import { removeSecondFactor } from '../store/console-second-factor.js';
import { systemClock } from '../runtime/clock.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The password from stdin: its first line, or everything when it has none; held to password-rules.ts. */
async function readPassword(username: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (then Enter; it is not shown): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  const fault = passwordFault(password, { username });
  if (fault) throw new UsageError(`the password (read from stdin) must be ${PASSWORD_FAULT_TEXT[fault]}`);
  return password;
}

function username(text: string): string {
  const name = text.trim().toLowerCase();
  if (!USERNAME_FORM.test(name)) throw new UsageError(`--username ${text}: 2–32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return name;
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
      const name = username(options.username);
      if (!(CONSOLE_ROLES as readonly string[]).includes(options.role)) throw new UsageError(`--role ${options.role}: ${CONSOLE_ROLES.join(', ')}`);
      if (options.role === 'operator' && options.seller.length > 0) throw new UsageError('an operator runs the shared channels and is bound to no seller: leave out --seller');
      if (options.role !== 'operator' && options.seller.length === 0) throw new UsageError('--seller <taxId> is required: the seller(s) this user acts for (repeatable); list them with fapiao sellers list');
      const passwordHash = await hashPassword(await readPassword(name));
      const added = await withStore(options.db, async (store) => {
        let outcome: 'added' | 'exists';
        try {
          outcome = await addUser(store.db, store.capabilities, { username: name, role: options.role as ConsoleRole, sellers: options.seller, passwordHash, by: 'cli', now: Date.now() });
        } catch (error) {
          throw new UsageError(errorMessage(error));
        }
        if (outcome === 'exists' || !options.totp) return { outcome };
        const secondFactor = await enrolGivenSecret({ db: store.db, capabilities: store.capabilities, clock: systemClock, secrets: secretBoxFor(options.db) }, name, 'cli');
        return { outcome, secondFactor };
      });
      if (added.outcome === 'exists') throw new UsageError(`user ${name} exists; change the password with fapiao users reset-password ${name}`);
      process.stdout.write(`added ${name} (${options.role}) for ${options.seller.length > 0 ? options.seller.join(', ') : 'no seller (operator)'}\n`);
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
      const rows = await withStore(options.db, (store) => listUsers(store.db));
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
      const outcome = await withStore(options.db, (store) => disableUser(store.db, store.capabilities, { username: username(name), by: 'cli', now: Date.now() }));
      if (outcome === 'unknown') throw new UsageError(`no user ${name}; list them with fapiao users list`);
      process.stdout.write(`disabled ${name}; their sessions ended\n`);
    });
  users
    .command('reset-2fa')
    .description("remove a user's second factor (a lost phone) and end their sessions; they enrol again at their next sign-in")
    .argument('<name>')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (name: string, options: { db?: string }) => {
      const outcome = await withStore(options.db, (store) => removeSecondFactor(store.db, store.capabilities, { username: username(name), by: 'cli', now: Date.now() }));
      if (outcome === 'unknown') throw new UsageError(`no user ${name}; list them with fapiao users list`);
      process.stdout.write(`second factor removed for ${name}; their sessions ended\n`);
    });
  users
    .command('reset-password')
    .description('set a new password (read from stdin); enables the user, lifts the sign-in holds on the name, ends their sessions')
    .argument('<name>')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (name: string, options: { db?: string }) => {
      const passwordHash = await hashPassword(await readPassword(username(name)));
      const outcome = await withStore(options.db, (store) => resetPassword(store.db, store.capabilities, { username: username(name), passwordHash, by: 'cli', now: Date.now() }));
      if (outcome === 'unknown') throw new UsageError(`no user ${name}; list them with fapiao users list`);
      process.stdout.write(`new password set for ${name}\n`);
    });
}
