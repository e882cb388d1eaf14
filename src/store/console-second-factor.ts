/**
 * A console user's second factor (TOTP, RFC 6238) as stored: the secret sealed at rest, pending
 * until a first code confirms it; the last time step accepted, so that a code is good once; and
 * the hashes of one-time recovery codes. Every change is an entry of the user's audit chain.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from './audit-log.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

const subject = (username: string) => `user:${username}`;

/** A secret offered for enrolment; it guards nothing until confirmed. */
export async function offerSecondFactor(db: Kysely<Database>, input: { readonly username: string; readonly sealed: string; readonly now: number }): Promise<void> {
  await db.updateTable('console_users').set({ totp_pending_sealed: input.sealed, updated_at: input.now }).where('username', '=', input.username).execute();
}

/** The pending secret becomes the user's second factor, with new recovery codes (their hashes). */
export async function enrolSecondFactor(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  input: { readonly username: string; readonly sealed: string; readonly step: number | null; readonly recoveryHashes: readonly string[]; readonly by: string; readonly now: number },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('console_users')
      .set({ totp_secret_sealed: input.sealed, totp_pending_sealed: null, totp_last_step: input.step, recovery_codes: JSON.stringify(input.recoveryHashes), updated_at: input.now })
      .where('username', '=', input.username)
      .execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'second_factor_enrolled', from: null, to: 'totp', detail: { by: input.by } }]);
  });
}

/** Removes a user's second factor (a lost phone), ending their sessions. */
export async function removeSecondFactor(db: Kysely<Database>, capabilities: StoreCapabilities, input: { readonly username: string; readonly by: string; readonly now: number }): Promise<'removed' | 'unknown'> {
  return db.transaction().execute(async (tx) => {
    const changed = await tx
      .updateTable('console_users')
      .set({ totp_secret_sealed: null, totp_pending_sealed: null, totp_last_step: null, recovery_codes: null, updated_at: input.now })
      .where('username', '=', input.username)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return 'unknown';
    await tx.deleteFrom('console_sessions').where('username', '=', input.username).execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'second_factor_removed', from: 'totp', to: 'none', detail: { by: input.by } }]);
    return 'removed';
  });
}

/** Takes a time step as used; false when it (or a later one) was used already: a replayed code. */
export async function takeTotpStep(db: Kysely<Database>, input: { readonly username: string; readonly step: number }): Promise<boolean> {
  const taken = await db
    .updateTable('console_users')
    .set({ totp_last_step: input.step })
    .where('username', '=', input.username)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', input.step)]))
    .executeTakeFirst();
  return taken.numUpdatedRows === 1n;
}

/** Spends one recovery code (by its hash); false when it is not an unused one. */
export async function spendRecoveryCode(db: Kysely<Database>, capabilities: StoreCapabilities, input: { readonly username: string; readonly hash: string; readonly now: number }): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    let read = tx.selectFrom('console_users').select('recovery_codes').where('username', '=', input.username);
    if (capabilities.multipleWriters) read = read.forUpdate();
    const row = await read.executeTakeFirst();
    const unused = row?.recovery_codes ? (JSON.parse(row.recovery_codes) as string[]) : [];
    if (!unused.includes(input.hash)) return false;
    const left = unused.filter((hash) => hash !== input.hash);
    await tx.updateTable('console_users').set({ recovery_codes: JSON.stringify(left), updated_at: input.now }).where('username', '=', input.username).execute();
    await appendAudit(tx, capabilities, input.now, [{ invoiceId: subject(input.username), event: 'recovery_code_used', from: null, to: 'used', detail: { left: left.length } }]);
    return true;
  });
}
