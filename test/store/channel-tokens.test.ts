// Channel tokens on this run's dialect: none at first, kept once written, replaced by a renewal,
// and shared by every store opened on the same database (a restart, another process).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelTokens } from '../../src/store/channel-tokens.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let store: Store;

beforeEach(async () => {
  database = await freshDatabase();
  store = await openStore(database.location);
});
afterEach(async () => {
  await store.close();
  await database.drop();
});

describe(`channel tokens on ${DIALECT}`, () => {
  it('keeps one token per channel, renewed in place and seen after a restart', async () => {
    const tokens = new ChannelTokens(store.db, () => 1_000);
    expect(await tokens.read('nuonuo')).toBeUndefined();
    await tokens.write('nuonuo', { token: 'first', expiresAt: 86_401_000 });
    await tokens.write('other', { token: 'theirs', expiresAt: 5 });
    await tokens.write('nuonuo', { token: 'renewed', expiresAt: 90_000_000 });
    const again = await openStore(database.location);
    try {
      expect(await new ChannelTokens(again.db, () => 2_000).read('nuonuo')).toEqual({ token: 'renewed', expiresAt: 90_000_000 });
      expect(await new ChannelTokens(again.db, () => 2_000).read('other')).toEqual({ token: 'theirs', expiresAt: 5 });
    } finally {
      await again.close();
    }
  });
});
