/**
 * Group commit: runs the writes of many concurrent requests in one transaction, so one fsync
 * serves them all, and answers each only after that commit is on disk. With a sync per commit a one-row
 * SQLite transaction costs a whole fsync (~3k/s here); a hundred per commit reach HTTP speed
 * (design.md, "Measured facts"). On PostgreSQL several batches are in flight at once (`lanes`),
 * each in its own transaction on its own connection, each appending to its own audit chain: the
 * server works on them in parallel instead of waiting for one connection's round trips.
 *
 * If the batch fails (a unique key taken by another process, say), each operation is run again
 * in a transaction of its own, so one request's failure never fails its neighbours. Operations
 * must therefore be safe to run twice: read, then write, inside their transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema/index.js';
import type { StorageHealth } from './storage-health.js';

/**
 * One request's writes. `afterCommit` registers what must happen only once these writes are
 * durable (an event, a wake-up); it runs after the commit that holds them, and never for writes
 * that were rolled back (a batch that failed is run again one operation at a time, each with
 * fresh registrations).
 */
export type TxOperation<T> = (tx: Transaction<Database>, afterCommit: (effect: () => void) => void) => Promise<T>;

/**
 * Writes of one kind that are cheaper done together — one statement for every request of a batch
 * instead of one each. `run` answers in the order of `inputs`; it runs with a single input when its
 * batch failed and each request is run again alone.
 */
export interface Batched<I, R> {
  run(tx: Transaction<Database>, inputs: readonly I[], afterCommit: (effect: () => void) => void): Promise<R[]>;
}

interface Pending<T> {
  readonly operation: TxOperation<T>;
  /** Set for a request of a Batched kind: run with the others of its kind in the batch. */
  readonly batched?: { readonly kind: Batched<unknown, unknown>; readonly input: unknown };
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

/** Runs effects of a committed transaction; one that throws does not stop the others. */
function runEffects(effects: ReadonlyArray<() => void>): void {
  for (const effect of effects) {
    try {
      effect();
    } catch {
      // An after-commit effect reports or wakes; the writes it follows are already durable.
    }
  }
}

/** Operations waiting per running lane before another lane starts: small batches cost a round trip each for BEGIN and COMMIT. */
const LANE_AFTER = 4;

export class OverloadedError extends Error {
  override readonly name = 'OverloadedError';
}

export interface GroupCommitOptions {
  /** Operations per transaction at most. @default 256 */
  readonly maxBatch: number;
  /** Operations waiting at most; past it `submit` refuses at once with OverloadedError. @default 10_000 */
  readonly maxQueued: number;
  /** Called after each successful commit (wakes the dispatcher). Never throws into the committer. */
  readonly onCommit?: () => void;
  /** Told of every commit's outcome, so readiness follows a full disk or a read-only file. */
  readonly storage?: StorageHealth;
  /** Transactions in flight at once: 1 for SQLite (one writer), several for PostgreSQL. @default 1 */
  readonly lanes?: number;
}

export class GroupCommit {
  private queue: Array<Pending<unknown>> = [];
  private flushers = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Runs `operation` in the next group transaction; resolves after that transaction committed. */
  submit<T>(operation: TxOperation<T>): Promise<T> {
    return this.enqueue(operation);
  }

  /** Runs `input` with the other requests of `kind` in the next group transaction, in one go. */
  submitBatched<I, R>(kind: Batched<I, R>, input: I): Promise<R> {
    const alone: TxOperation<R> = async (tx, afterCommit) => (await kind.run(tx, [input], afterCommit))[0]!;
    return this.enqueue(alone, { kind: kind, input });
  }

  private enqueue<T>(operation: TxOperation<T>, batched?: Pending<T>['batched']): Promise<T> {
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new OverloadedError(`${this.queue.length} writes are waiting for the database`));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ operation, resolve, reject, ...(batched && { batched }) } as Pending<unknown>);
      // A new lane only when the ones running have more than a batch waiting for them.
      if (this.flushers === 0 || (this.flushers < (this.options.lanes ?? 1) && this.queue.length >= LANE_AFTER * this.flushers)) {
        this.flushers += 1;
        // Let the requests that arrive in this turn of the event loop join the batch.
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  /** Operations waiting for a commit, for metrics and back-pressure. */
  get queued(): number {
    return this.queue.length;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        await this.runBatch(batch);
      }
    } finally {
      this.flushers -= 1;
    }
  }

  private async runBatch(batch: Array<Pending<unknown>>): Promise<void> {
    let results: unknown[];
    const effects: Array<() => void> = [];
    try {
      results = await this.db.transaction().execute(async (tx) => {
        const afterCommit = (effect: () => void) => effects.push(effect);
        const out: unknown[] = new Array(batch.length);
        const kinds = new Map<Batched<unknown, unknown>, number[]>();
        for (const [index, item] of batch.entries()) {
          if (item.batched) kinds.set(item.batched.kind, [...(kinds.get(item.batched.kind) ?? []), index]);
          else out[index] = await item.operation(tx, afterCommit);
        }
        for (const [kind, indexes] of kinds) {
          const answers = await kind.run(tx, indexes.map((index) => batch[index]!.batched!.input), afterCommit);
          indexes.forEach((index, k) => (out[index] = answers[k]));
        }
        return out;
      });
    } catch (error) {
      // A full disk or a read-only file fails every operation alike: answer them all at once
      // rather than running each alone against the same wall.
      if (this.options.storage?.recordFailure(error)) {
        for (const item of batch) item.reject(error);
        return;
      }
      if (batch.length === 1) return this.runAlone(batch[0]!);
      for (const item of batch) await this.runAlone(item);
      return;
    }
    runEffects(effects);
    batch.forEach((item, index) => item.resolve(results[index]));
    this.notifyCommit();
  }

  private async runAlone(item: Pending<unknown>): Promise<void> {
    const effects: Array<() => void> = [];
    try {
      const result = await this.db.transaction().execute((tx) => item.operation(tx, (effect) => effects.push(effect)));
      runEffects(effects);
      item.resolve(result);
      this.notifyCommit();
    } catch (error) {
      this.options.storage?.recordFailure(error);
      item.reject(error);
    }
  }

  private notifyCommit(): void {
    this.options.storage?.recordSuccess();
    try {
      this.options.onCommit?.();
    } catch {
      // A wake-up hint must never break the write path; polling is the correctness floor.
    }
  }
}
