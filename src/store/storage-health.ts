/**
 * Whether the database takes writes, as the write path last saw it. A full disk or a read-only
 * file shows only on writes (reads go on), so readiness cannot be learned from `select 1`: the
 * commit path reports each outcome here, and while the last one was a fault, a readiness check
 * tries a real write of its own, so a gateway taken out of rotation still notices its recovery.
 */
import { sql, type Kysely } from 'kysely';
import { describeDatabaseError, storageFault, type StorageFault } from './db-errors.js';
import type { Database } from './schema/index.js';

export interface StorageState {
  readonly ok: boolean;
  readonly fault?: StorageFault;
  /** The database's own words: code and message. */
  readonly cause?: string;
  readonly since?: number;
}

const PROBE_PAYLOAD = 'x'.repeat(64 * 1024);

export class StorageHealth {
  private state: StorageState = { ok: true };

  constructor(private readonly now: () => number = Date.now) {}

  /** A commit succeeded. */
  recordSuccess(): void {
    if (!this.state.ok) this.state = { ok: true };
  }

  /** A write failed; returns the fault when the error was one (and remembers it). */
  recordFailure(error: unknown): StorageFault | undefined {
    const fault = storageFault(error);
    if (fault) this.state = { ok: false, fault, cause: describeDatabaseError(error), since: this.state.ok ? this.now() : (this.state.since ?? this.now()) };
    return fault;
  }

  get current(): StorageState {
    return this.state;
  }

  /**
   * While faulted, writes 64 KiB (a dozen large invoices' worth) and clears the fault when it goes
   * through: on a nearly full disk a tiny write may still fit while real invoices do not.
   */
  async probe(db: Kysely<Database>): Promise<StorageState> {
    if (this.state.ok) return this.state;
    try {
      await db.transaction().execute(async (tx) => {
        await sql`delete from storage_probe`.execute(tx);
        await sql`insert into storage_probe (id, at, payload) values (1, ${this.now()}, ${PROBE_PAYLOAD})`.execute(tx);
      });
      this.recordSuccess();
    } catch (error) {
      this.recordFailure(error);
    }
    return this.state;
  }
}
