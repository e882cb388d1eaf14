/**
 * Durable SQLite commits without blocking the event loop. With synchronous=FULL, SQLite fsyncs the
 * write-ahead log inside COMMIT, on the calling thread: better-sqlite3 is synchronous, so the whole
 * gateway stopped for every fsync (~1–2 ms, a few dozen times a second under load) and no request
 * was read or validated meanwhile. The write connection runs with synchronous=NORMAL instead (in
 * WAL mode SQLite then keeps the database consistent and syncs around checkpoints, but not at each
 * commit), and every statement that ends a write — a COMMIT, or a write outside a transaction —
 * waits for an fdatasync of the log done on libuv's thread pool before its caller goes on. Nothing
 * that follows a commit (a 202, a wake-up, an upstream call) happens before the commit is on disk,
 * as with FULL; many commits waiting at once share one sync.
 */
import { close, fdatasync, open } from 'node:fs';

const syncFile = (path: string): Promise<void> =>
  new Promise((resolve, reject) =>
    open(path, 'r', (openError, fd) => {
      if (openError) return reject(openError);
      fdatasync(fd, (syncError) => close(fd, () => (syncError ? reject(syncError) : resolve())));
    }),
  );

/**
 * The log of `file`, flushed to disk. A missing log (the last connection closed and SQLite removed
 * it after checkpointing) leaves its frames in the database file, which is flushed instead.
 */
export async function syncWriteAheadLog(file: string): Promise<void> {
  try {
    await syncFile(`${file}-wal`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await syncFile(file);
  }
}

export class WalSync {
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  /**
   * Resolves once everything committed before this call is on disk. A sync already running may
   * have started before the caller's commit, so the caller waits for the next one; every caller
   * arriving meanwhile shares that next one.
   */
  durable(): Promise<void> {
    if (this.queued) return this.queued;
    const running = this.inFlight;
    if (!running) return this.start();
    this.queued = running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const sync: Promise<void> = this.flush().finally(() => {
      if (this.inFlight === sync) this.inFlight = undefined;
    });
    this.inFlight = sync;
    return sync;
  }
}
