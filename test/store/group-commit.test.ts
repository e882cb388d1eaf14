// The group committer on this run's dialect: requests of a Batched kind reach its `run` together,
// answered in order beside plain operations of the same transaction; a batch that fails is run
// again one request at a time, so one request's failure never fails its neighbours; and on
// PostgreSQL several lanes have transactions in flight at once.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { GroupCommit, type Batched } from '../../src/store/group-commit.js';
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

/** A kind that records how it was called and answers each input doubled, after a round trip. */
function doubling(options: { failWhenMany?: boolean } = {}) {
  const calls: number[][] = [];
  const kind: Batched<number, number> = {
    async run(tx, inputs) {
      calls.push([...inputs]);
      await sql`select 1`.execute(tx);
      if (options.failWhenMany && inputs.length > 1) throw new Error('two requests collided');
      return inputs.map((input) => input * 2);
    },
  };
  return { kind, calls };
}

describe(`group commit on ${DIALECT}`, () => {
  it('hands a Batched kind every request of the transaction at once, and answers each in order', async () => {
    const commit = new GroupCommit(store.db, { maxBatch: 256, maxQueued: 1000 });
    const { kind, calls } = doubling();
    const plain = commit.submit(async (tx) => (await sql<{ n: number }>`select 7 as n`.execute(tx)).rows[0]!.n);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => commit.submitBatched(kind, i)));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(Number(await plain)).toBe(7);
    expect(calls).toEqual([Array.from({ length: 20 }, (_, i) => i)]);
  });

  it('runs each request alone when its batch fails, so every one is answered', async () => {
    const commit = new GroupCommit(store.db, { maxBatch: 256, maxQueued: 1000 });
    const { kind, calls } = doubling({ failWhenMany: true });
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => commit.submitBatched(kind, i)));
    expect(answers).toEqual([0, 2, 4, 6, 8]);
    expect(calls).toEqual([[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]);
  });

  it.runIf(DIALECT === 'postgres')('keeps several transactions in flight with several lanes', async () => {
    const commit = new GroupCommit(store.db, { maxBatch: 4, maxQueued: 1000, lanes: 3 });
    let open = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 60 }, () =>
        commit.submit(async (tx) => {
          most = Math.max(most, ++open);
          await sql`select pg_sleep(0.02)`.execute(tx);
          open--;
        }),
      ),
    );
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });
});
