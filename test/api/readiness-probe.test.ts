// /readyz as a load balancer calls it, every 200 ms: each call still pings the database, but the
// migrations are checked until they are all seen run, not at every call (Kysely's check is half a
// dozen catalog queries; across three processes probed five times a second it was a share of a
// loaded database's work).
import { describe, expect, it } from 'vitest';
import { http, startTestGateway } from '../support/gateway.js';

describe('the readiness probe', () => {
  it('pings the database at every call and checks the migrations once they are all run, not again', async () => {
    const statements: string[] = [];
    const t = await startTestGateway({ channels: [] }, { onQuery: (sql) => statements.push(sql) });
    try {
      expect((await http(`${t.gateway.url}/readyz`)).body).toEqual({ status: 'ready' });
      const migrationChecks = () => statements.filter((sql) => /kysely_migration/i.test(sql)).length;
      const pings = () => statements.filter((sql) => /^select 1$/i.test(sql.trim())).length;
      const [checksBefore, pingsBefore] = [migrationChecks(), pings()];
      for (let i = 0; i < 5; i++) expect((await http(`${t.gateway.url}/readyz`)).body).toEqual({ status: 'ready' });
      expect(migrationChecks()).toBe(checksBefore);
      expect(pings() - pingsBefore).toBeGreaterThanOrEqual(5);
    } finally {
      await t.close();
    }
  });
});
