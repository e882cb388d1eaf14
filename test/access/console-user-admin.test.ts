// Console-user administration as use cases on this run's dialect: every refusal writes nothing, an
// added user can be disabled, given a new password and have a lost second factor removed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addConsoleUser, disableConsoleUser, resetConsolePassword, resetConsoleSecondFactor } from '../../src/access/console-user-admin.js';
import type { SecondFactorDeps } from '../../src/access/second-factor.js';
import { SecretBox } from '../../src/runtime/secret-box.js';
import { openStore, type Store } from '../../src/store/database.js';
import { findUser, listUsers } from '../../src/store/console-users.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';

let database: TestDatabase;
let store: Store;
let deps: SecondFactorDeps;
const PASSWORD = 'a long enough pass phrase';

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
  await registerSellers(store.db);
  deps = { db: store.db, capabilities: store.capabilities, clock: { now: () => 1_790_000_000_000 }, secrets: SecretBox.open({ key: null, dataDir: database.dataDir }) };
});

afterEach(async () => {
  await store.close();
  await database.drop();
});

const user = (fields: Partial<Parameters<typeof addConsoleUser>[1]>) => ({ username: 'li.lei', role: 'clerk', sellers: [SELLER], password: PASSWORD, secondFactor: false, by: 'test', ...fields });

describe(`console-user administration on ${DIALECT}`, () => {
  it('refuses what the rules refuse and writes nothing', async () => {
    expect(await addConsoleUser(deps, user({ username: 'X' }))).toEqual({ kind: 'username_invalid' });
    expect(await addConsoleUser(deps, user({ role: 'root' }))).toEqual({ kind: 'role_invalid' });
    expect(await addConsoleUser(deps, user({ role: 'operator' }))).toEqual({ kind: 'operator_with_sellers' });
    expect(await addConsoleUser(deps, user({ sellers: [] }))).toEqual({ kind: 'sellers_required' });
    expect(await addConsoleUser(deps, user({ password: 'li.lei--2026!!' }))).toEqual({ kind: 'password_weak', fault: 'contains_username' });
    expect(await addConsoleUser(deps, user({ sellers: ['91110000000000000X'] }))).toEqual({ kind: 'sellers_unknown', missing: ['91110000000000000X'] });
    expect(await listUsers(store.db)).toEqual([]);
  });

  it('adds a user (names are not case-sensitive), once, and changes them by name', async () => {
    const added = await addConsoleUser(deps, user({ username: ' Li.Lei ', secondFactor: true }));
    expect(added).toMatchObject({ kind: 'added', username: 'li.lei', role: 'clerk' });
    expect(added.kind === 'added' && added.secondFactor?.recoveryCodes).toHaveLength(10);
    expect(await addConsoleUser(deps, user({}))).toEqual({ kind: 'exists', username: 'li.lei' });
    expect(await resetConsoleSecondFactor(deps, 'LI.LEI', 'test')).toEqual({ kind: 'done', username: 'li.lei' });
    expect((await findUser(store.db, 'li.lei'))?.secondFactor).toBe(false);
    expect(await disableConsoleUser(deps, 'li.lei', 'test')).toEqual({ kind: 'done', username: 'li.lei' });
    expect((await findUser(store.db, 'li.lei'))?.disabled).toBe(true);
    expect(await resetConsolePassword(deps, 'li.lei', 'short', 'test')).toEqual({ kind: 'password_weak', fault: 'too_short' });
    expect(await resetConsolePassword(deps, 'li.lei', 'another long pass phrase', 'test')).toEqual({ kind: 'done', username: 'li.lei' });
    expect((await findUser(store.db, 'li.lei'))?.disabled).toBe(false);
    expect(await disableConsoleUser(deps, 'nobody', 'test')).toEqual({ kind: 'unknown_user', username: 'nobody' });
    expect(await disableConsoleUser(deps, '../x', 'test')).toEqual({ kind: 'username_invalid' });
  });
});
