/**
 * A connection pool that follows the PostgreSQL primary among several hosts (postgres-hosts.ts):
 * it connects to the first host that is a writable primary (`pg_is_in_recovery()` false and
 * `transaction_read_only` off), and when a connection is lost or a host answers that it is read-only
 * (it was demoted), it finds the new primary and opens a fresh pool there. Written here because
 * node-postgres has no multi-host support. What was in flight when the primary went is the
 * caller's to resolve: an accept whose commit acknowledgement was lost is re-read by its
 * idempotency key when the client sends it again, a settle by its lease fence (design.md).
 */
import pg from 'pg';
import { storageFault } from './db-errors.js';

export interface FailoverPoolOptions {
  /** node-postgres pool settings (size, timeouts, type parsers); the host comes from the URLs. */
  readonly pool: Omit<pg.PoolConfig, 'connectionString'>;
  /** How long one host may take to answer the primary check, ms. @default 2000 */
  readonly checkTimeoutMs?: number;
  /** Told each time a primary is found (host:port). */
  readonly onPrimary?: (name: string) => void;
  /** Told of errors on idle connections (a primary that went away). */
  readonly onIdleError?: (error: Error) => void;
}

/** The error when no host is a writable primary; classified `unavailable` (a 503, /readyz not ready). */
export class NoPrimaryError extends Error {
  override readonly name = 'NoPrimaryError';
  readonly code = 'ECONNREFUSED';
}

interface Primary {
  readonly pool: pg.Pool;
  readonly name: string;
}

/** Errors after which the connection's host may no longer be the primary. */
function primaryMayBeGone(error: unknown): boolean {
  const fault = storageFault(error);
  return fault === 'unavailable' || fault === 'read_only';
}

const WATCHED = Symbol('failover-watched');

export class FailoverPool {
  private primary: Primary | undefined;
  private locating: Promise<Primary> | undefined;

  constructor(
    private readonly urls: readonly string[],
    private readonly names: readonly string[],
    private readonly options: FailoverPoolOptions,
  ) {}

  /** The host:port connections go to now; undefined before the first connection or while a new primary is looked for. */
  get currentPrimary(): string | undefined {
    return this.primary?.name;
  }

  async connect(): Promise<pg.PoolClient> {
    const primary = this.primary ?? (await this.locate());
    let client: pg.PoolClient;
    try {
      client = await primary.pool.connect();
    } catch (error) {
      if (primaryMayBeGone(error)) this.lost(primary);
      throw error;
    }
    return this.watch(client, primary);
  }

  async end(): Promise<void> {
    const primary = this.primary;
    this.primary = undefined;
    await primary?.pool.end();
  }

  /** Notes, on each query of a checked-out client, an error that says the primary may be gone. */
  private watch(client: pg.PoolClient, primary: Primary): pg.PoolClient {
    const watched = client as pg.PoolClient & { [WATCHED]?: Primary };
    if (watched[WATCHED] === undefined) {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const result = query(...args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            if (primaryMayBeGone(error)) this.lost(watched[WATCHED]!);
            throw error;
          });
        }
        return result;
      };
    }
    watched[WATCHED] = primary;
    return client;
  }

  /** The primary `gone` may have failed over: the next connection looks for it again. */
  private lost(gone: Primary): void {
    if (this.primary !== gone) return;
    this.primary = undefined;
    // Clients checked out from the old pool end with their errors; the idle ones go with it.
    gone.pool.end().catch(() => undefined);
  }

  /** One search at a time, whoever asks. */
  private locate(): Promise<Primary> {
    this.locating ??= this.findPrimary().finally(() => (this.locating = undefined));
    return this.locating;
  }

  private async findPrimary(): Promise<Primary> {
    const answers: string[] = [];
    for (let index = 0; index < this.urls.length; index++) {
      const name = this.names[index]!;
      const client = new pg.Client({ connectionString: this.urls[index]!, connectionTimeoutMillis: this.options.checkTimeoutMs ?? 2000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ recovery: boolean; read_only: string }>(`select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only`);
        const row = rows[0];
        if (row && !row.recovery && row.read_only === 'off') {
          const pool = new pg.Pool({ ...this.options.pool, connectionString: this.urls[index]! });
          // An idle connection whose server went away must not crash the process (an unhandled 'error').
          pool.on('error', (error) => this.options.onIdleError?.(error));
          // Nor one checked out between two queries: the next query fails with the reason instead.
          pool.on('connect', (client) => client.on('error', () => undefined));
          this.primary = { pool, name };
          this.options.onPrimary?.(name);
          return this.primary;
        }
        answers.push(`${name}: ${row?.recovery ? 'a standby (in recovery)' : 'read-only'}`);
      } catch (error) {
        answers.push(`${name}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new NoPrimaryError(`no writable PostgreSQL primary among ${this.names.join(', ')} (${answers.join('; ')})`);
  }
}
