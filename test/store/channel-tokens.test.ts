// Channel tokens on this run's dialect: none at first, kept once written, replaced by a renewal,
// shared by every store opened on the same database (a restart, another process), and sealed at
// rest: the row holds no token in the clear, an old clear row still reads, another key reads none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/runtime/secret-box.js';
import { ChannelTokens } from '../../src/store/channel-tokens.js';
import { openStore, type Store } from '../../src/store/database.js';
import { DIALECT, freshDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
const box = () => SecretBox.open({ key: randomBytes(32).toString('base64'), dataDir: '/nonexistent' });
const secrets = box();
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
    const tokens = new ChannelTokens(store.db, () => 1_000, secrets);
    expect(await tokens.read('nuonuo')).toBeUndefined();
    await tokens.write('nuonuo', { token: 'first', expiresAt: 86_401_000 });
    await tokens.write('other', { token: 'theirs', expiresAt: 5 });
    await tokens.write('nuonuo', { token: 'renewed', expiresAt: 90_000_000 });
    const again = await openStore(database.location);
    try {
      expect(await new ChannelTokens(again.db, () => 2_000, secrets).read('nuonuo')).toEqual({ token: 'renewed', expiresAt: 90_000_000 });
      expect(await new ChannelTokens(again.db, () => 2_000, secrets).read('other')).toEqual({ token: 'theirs', expiresAt: 5 });
    } finally {
      await again.close();
    }
    const rows = await store.db.selectFrom('channel_tokens').select('token').execute();
    expect(rows.map((row) => row.token).filter((token) => token.includes('renewed') || token.includes('theirs'))).toEqual([]);
    expect(rows.every((row) => SecretBox.isSealed(row.token))).toBe(true);
    // Sealed under another key: as good as none (the channel asks for a new one).
    expect(await new ChannelTokens(store.db, () => 3_000, box()).read('nuonuo')).toBeUndefined();
    // A token an older version stored in the clear is still read.
    await store.db.updateTable('channel_tokens').set({ token: 'clear-old' }).where('channel', '=', 'other').execute();
    expect(await tokens.read('other')).toEqual({ token: 'clear-old', expiresAt: 5 });
  });
});
