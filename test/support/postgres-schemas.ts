// Vitest's global setup for the PostgreSQL run: each test database is a schema named after this run,
// and the schemas are dropped when the whole run ends, not as each test ends. Kysely's migrator
// reads the catalog of every schema (has_schema_privilege on each), so a schema dropped by one test
// file while another migrates failed the other with "schema … does not exist".
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export default function setup(): (() => Promise<void>) | undefined {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const run = randomBytes(4).toString('hex');
  // Inherited by the test workers, which start after this.
  process.env.FAPIAO_TEST_RUN = run;
  return async () => {
    const client = new pg.Client(base);
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname like $1`, [`t\\_${run}\\_%`]);
      for (const { name } of rows) await client.query(`drop schema if exists ${name} cascade`);
    } finally {
      await client.end();
    }
  };
}
