/**
 * The sign-in throttle's counters. An attempt is counted *before* its password is hashed, in one
 * transaction that also checks every counter's hold (rows locked in key order on PostgreSQL; SQLite
 * transactions begin IMMEDIATE, so they run one at a time): sixty guesses sent at once are sixty
 * turns at this counter, and only those admitted before a hold begins ever reach the hash.
 */
import type { Kysely } from 'kysely';
import { throttleDelayMs, type ThrottleKey, type ThrottleRules, type ThrottleScope } from '../domain/sign-in-throttle.js';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

export type SignInAdmission =
  | {
      readonly admitted: true;
      /** Holds this attempt began (it was the last allowed of its scope). */
      readonly holdsBegun: ReadonlyArray<{ scope: ThrottleScope; until: number }>;
      /**
       * The client's address was seen before and has no failure counted now: a place for a password
       * check is kept for such addresses (a person who signed in from there), not for new ones.
       */
      readonly addressTrusted: boolean;
    }
  | { readonly admitted: false; readonly retryAfterMs: number; readonly scope: ThrottleScope; readonly key: string; readonly until: number };

/** Counts one attempt against each key, or refuses it while any key is held. */
export async function admitSignInAttempt(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  input: { readonly keys: readonly ThrottleKey[]; readonly rules: ThrottleRules; readonly now: number },
): Promise<SignInAdmission> {
  const { keys, rules, now } = input;
  return db.transaction().execute(async (tx) => {
    const read = () => {
      const query = tx.selectFrom('sign_in_throttles').selectAll().where('key', 'in', keys.map(({ key }) => key)).orderBy('key');
      return (capabilities.multipleWriters ? query.forUpdate() : query).execute();
    };
    let rows = await read();
    const seen = new Set(rows.map((row) => row.key));
    const missing = keys.filter(({ key }) => !seen.has(key));
    if (missing.length > 0) {
      await tx
        .insertInto('sign_in_throttles')
        .values(missing.map(({ key }) => ({ key, failures: 0, blocked_until: null, last_failure_at: now })))
        .onConflict((conflict) => conflict.column('key').doNothing())
        .execute();
      rows = await read();
    }
    const held = keys
      .map(({ scope, key }) => ({ scope, key, until: rows.find((row) => row.key === key)?.blocked_until ?? 0 }))
      .filter(({ until }) => until > now)
      .sort((a, b) => b.until - a.until)[0];
    if (held) return { admitted: false, retryAfterMs: held.until - now, scope: held.scope, key: held.key, until: held.until };
    const holdsBegun: Array<{ scope: ThrottleScope; until: number }> = [];
    let addressTrusted = false;
    for (const { scope, key } of keys) {
      const row = rows.find((candidate) => candidate.key === key);
      const earlier = row && now - row.last_failure_at < rules.forgetAfterMs ? row.failures : 0;
      if (scope === 'address') addressTrusted = seen.has(key) && earlier === 0;
      const failures = earlier + 1;
      const delay = throttleDelayMs(rules[scope], failures);
      if (delay > 0) holdsBegun.push({ scope, until: now + delay });
      await tx.updateTable('sign_in_throttles').set({ failures, last_failure_at: now, blocked_until: delay > 0 ? now + delay : null }).where('key', '=', key).execute();
    }
    return { admitted: true, holdsBegun, addressTrusted };
  });
}

/**
 * The password was right: this address may try that name afresh, and the attempt is taken off the
 * other counts (it was counted as a failure before the hash said otherwise).
 */
export async function forgetSignInAttempt(db: Kysely<Database>, input: { readonly keys: readonly ThrottleKey[]; readonly rules: ThrottleRules }): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const { scope, key } of input.keys) {
      if (scope === 'pair') {
        await tx.deleteFrom('sign_in_throttles').where('key', '=', key).execute();
        continue;
      }
      const row = await tx.selectFrom('sign_in_throttles').select(['failures', 'blocked_until']).where('key', '=', key).executeTakeFirst();
      if (!row) continue;
      const failures = Math.max(row.failures - 1, 0);
      const stillHeld = throttleDelayMs(input.rules[scope], failures) > 0;
      await tx.updateTable('sign_in_throttles').set({ failures, ...(!stillHeld && { blocked_until: null }) }).where('key', '=', key).execute();
    }
  });
}

/** Counters idle past the rules' memory are dropped; run now and then. */
export async function sweepSignInThrottles(db: Kysely<Database>, input: { readonly rules: ThrottleRules; readonly now: number }): Promise<void> {
  await db.deleteFrom('sign_in_throttles').where('last_failure_at', '<', input.now - input.rules.forgetAfterMs).execute();
}
