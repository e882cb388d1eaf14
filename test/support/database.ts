// A fresh database for each test, in the dialect of this run: a temporary SQLite file, or — when
// DATABASE_URL is set (the PostgreSQL run of .ci/run) — a schema of its own, dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { StoreLocation } from '../../src/store/database.js';

export const DIALECT: 'sqlite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestDatabase {
  readonly location: StoreLocation;
  /** For child processes: the env that points them at this database. */
  readonly env: Record<string, string>;
  /** A data directory for files (the SQLite file lives here too). */
  readonly dataDir: string;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-test-'));
  const base = process.env.DATABASE_URL;
  if (!base) {
    const file = join(dataDir, 'fapiao.db');
    return {
      location: { kind: 'sqlite', file },
      env: { DATABASE_URL: '' },
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  // Named after the run (test/support/postgres-schemas.ts drops the run's schemas at its end).
  const schema = `t_${process.env.FAPIAO_TEST_RUN ?? 'adhoc'}_${Math.random().toString(36).slice(2, 12)}`;
  const admin = new pg.Client(base);
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    location: { kind: 'postgres', url: url.toString() },
    env: { DATABASE_URL: url.toString() },
    dataDir,
    async drop() {
      // The schema stays until the run ends: dropping it now could fail another file's migration.
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A migrator for upgrade tests, its bookkeeping in the test's own schema on PostgreSQL (as the
 * gateway's own migrator does): otherwise Kysely finds another schema's tables of the same name
 * — a test run killed before it dropped its schema leaves some — and fails.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- databases at any migration
export async function testMigrator(db: Kysely<any>): Promise<Migrator> {
  const provider = { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) };
  if (DIALECT !== 'postgres') return new Migrator({ db, provider });
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return new Migrator({ db, provider, migrationTableSchema: rows[0]!.schema });
}
