/**
 * Console users and their sessions. A user acts for the sellers bound to them within their role,
 * as an API key does; every login, failed login, lock and change of a user is an entry of the audit
 * chain (subject `user:NAME`), written in the transaction of the change.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConsoleRole } from '../domain/console-user-rules.js';
import { appendAudit } from './audit-log.js';
import type { StoreCapabilities } from './capabilities.js';
import type { ConsoleUserTable, Database } from './schema/index.js';

/** `operator` runs the shared channels and is bound to no seller; the others act for their sellers. */

/** A session lasts this long from login, however active. */
const SESSION_MS = 12 * 3_600_000;

export interface ConsoleUser {
  readonly username: string;
  readonly role: ConsoleRole;
  readonly sellers: readonly string[];
  readonly disabled: boolean;
  readonly lastLoginAt: number | null;
  readonly createdAt: number;
  /** A TOTP second factor is enrolled. */
  readonly secondFactor: boolean;
}

const toUser = (row: ConsoleUserTable): ConsoleUser => ({
  username: row.username,
  role: row.role,
  sellers: JSON.parse(row.sellers) as string[],
  disabled: row.disabled === 1,
  lastLoginAt: row.last_login_at,
  createdAt: row.created_at,
  secondFactor: row.totp_secret_sealed !== null,
});

const subject = (username: string) => `user:${username}`;
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function addUser(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  input: { readonly username: string; readonly role: ConsoleRole; readonly sellers: readonly string[]; readonly passwordHash: string; readonly by: string; readonly now: number },
): Promise<{ readonly kind: 'added' | 'exists' } | { readonly kind: 'sellers_unknown'; readonly missing: readonly string[] }> {
  return db.transaction().execute(async (tx) => {
    const taken = await tx.selectFrom('console_users').select('username').where('username', '=', input.username).executeTakeFirst();
    if (taken) return { kind: 'exists' } as const;
    const known = input.sellers.length === 0 ? [] : await tx.selectFrom('sellers').select('tax_id').where('tax_id', 'in', [...input.sellers]).execute();
    const missing = input.sellers.filter((taxId) => !known.some((row) => row.tax_id === taxId));
    if (missing.length > 0) return { kind: 'sellers_unknown', missing } as const;
    await tx
      .insertInto('console_users')
      .values({ username: input.username, role: input.role, sellers: JSON.stringify([...input.sellers].sort()), password_hash: input.passwordHash, disabled: 0, failed_logins: 0, locked_until: null, last_login_at: null, created_at: input.now, updated_at: input.now })
      .execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'user_added', from: null, to: input.role, detail: { sellers: [...input.sellers].sort(), by: input.by } }]);
    return { kind: 'added' } as const;
  });
}

export interface ConsoleUserSecrets {
  readonly passwordHash: string;
  readonly totpSealed: string | null;
  readonly totpPendingSealed: string | null;
  readonly totpLastStep: number | null;
  /** SHA-256 (hex) of each unused recovery code. */
  readonly recoveryHashes: readonly string[];
}

export async function findUser(db: Kysely<Database>, username: string): Promise<(ConsoleUser & ConsoleUserSecrets) | undefined> {
  const row = await db.selectFrom('console_users').selectAll().where('username', '=', username).executeTakeFirst();
  return (
    row && {
      ...toUser(row),
      passwordHash: row.password_hash,
      totpSealed: row.totp_secret_sealed,
      totpPendingSealed: row.totp_pending_sealed,
      totpLastStep: row.totp_last_step,
      recoveryHashes: row.recovery_codes ? (JSON.parse(row.recovery_codes) as string[]) : [],
    }
  );
}

export async function listUsers(db: Kysely<Database>): Promise<ConsoleUser[]> {
  return (await db.selectFrom('console_users').selectAll().orderBy('username').execute()).map(toUser);
}

/** Disables a user and ends their sessions at once. */
export async function disableUser(db: Kysely<Database>, capabilities: StoreCapabilities, input: { readonly username: string; readonly by: string; readonly now: number }): Promise<'disabled' | 'unknown'> {
  return db.transaction().execute(async (tx) => {
    const changed = await tx.updateTable('console_users').set({ disabled: 1, updated_at: input.now }).where('username', '=', input.username).executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return 'unknown';
    await tx.deleteFrom('console_sessions').where('username', '=', input.username).execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'user_disabled', from: 'enabled', to: 'disabled', detail: { by: input.by } }]);
    return 'disabled';
  });
}

/** A new password: every session ends, and the sign-in throttles on the name are lifted. */
export async function resetPassword(db: Kysely<Database>, capabilities: StoreCapabilities, input: { readonly username: string; readonly passwordHash: string; readonly by: string; readonly now: number }): Promise<'reset' | 'unknown'> {
  return db.transaction().execute(async (tx) => {
    const changed = await tx
      .updateTable('console_users')
      .set({ password_hash: input.passwordHash, disabled: 0, failed_logins: 0, locked_until: null, updated_at: input.now })
      .where('username', '=', input.username)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return 'unknown';
    await tx.deleteFrom('console_sessions').where('username', '=', input.username).execute();
    // The user may sign in at once, from anywhere, with the new password.
    const held = await tx.selectFrom('sign_in_throttles').select('key').where((eb) => eb.or([eb('key', '=', `name:${input.username}`), eb('key', 'like', 'pair:%')])).execute();
    const mine = held.map((row) => row.key).filter((key) => key.startsWith('name:') || key.endsWith(`|${input.username}`));
    if (mine.length > 0) await tx.deleteFrom('sign_in_throttles').where('key', 'in', mine).execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'password_reset', from: null, to: 'enabled', detail: { by: input.by } }]);
    return 'reset';
  });
}

/**
 * A failed sign-in, whatever the reason (a wrong password, an unknown name, a disabled user), in
 * the audit chain; with the throttle's holds it began. Counting and holding back live in
 * sign-in-throttle.ts, not on the user: a lock on the user is one any stranger could set off.
 */
export async function auditLoginFailure(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  input: {
    readonly username: string;
    readonly from: string;
    readonly reason: 'unknown_user' | 'user_disabled' | 'wrong_password' | 'wrong_second_factor';
    readonly holds: ReadonlyArray<{ readonly scope: string; readonly until: number }>;
    readonly now: number;
  },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await appendAudit(tx, capabilities, input.now, [
      {
        invoiceId: subject(input.username.slice(0, 32)),
        event: 'login_failed',
        from: null,
        to: 'signed_out',
        detail: { from: input.from, reason: input.reason, ...(input.holds.length > 0 && { heldBack: input.holds.map((hold) => ({ scope: hold.scope, until: new Date(hold.until).toISOString() })) }) },
      },
    ]);
  });
}

/** A login that succeeded: a new session (its token and CSRF token returned once), audited. */
export async function openSession(db: Kysely<Database>, capabilities: StoreCapabilities, input: { readonly username: string; readonly from: string; readonly now: number }): Promise<{ token: string; csrfToken: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = input.now + SESSION_MS;
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('console_users').set({ failed_logins: 0, locked_until: null, last_login_at: input.now, updated_at: input.now }).where('username', '=', input.username).execute();
    // Sessions that ended are swept at each login: the table holds live ones only.
    await tx.deleteFrom('console_sessions').where('expires_at', '<', input.now).execute();
    await tx.insertInto('console_sessions').values({ token_hash: tokenHash(token), username: input.username, csrf_token: csrfToken, created_at: input.now, expires_at: expiresAt }).execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'login', from: 'signed_out', to: 'signed_in', detail: { from: input.from } }]);
  });
  return { token, csrfToken, expiresAt };
}

export interface SessionInfo {
  readonly user: ConsoleUser;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** The live session of a cookie's token, with its user (disabled users have none). */
export async function findSession(db: Kysely<Database>, token: string, now: number): Promise<SessionInfo | undefined> {
  const row = await db
    .selectFrom('console_sessions')
    .innerJoin('console_users', 'console_users.username', 'console_sessions.username')
    .selectAll('console_users')
    .select(['console_sessions.csrf_token', 'console_sessions.expires_at'])
    .where('console_sessions.token_hash', '=', tokenHash(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= now || row.disabled === 1) return undefined;
  return { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function closeSession(db: Kysely<Database>, token: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('token_hash', '=', tokenHash(token)).execute();
}
