// libpq's multi-host URL, split for node-postgres: one URL per host in the order given, the
// credentials, database and other parameters kept, target_session_attrs taken out.
import { describe, expect, it } from 'vitest';
import { postgresHosts } from '../../src/store/postgres-hosts.js';

describe('postgresHosts', () => {
  it('splits several hosts into one URL each, keeping credentials, database and parameters', () => {
    expect(postgresHosts('postgres://app:s%40cret@h1:5432,h2:5433/fapiao?target_session_attrs=read-write&sslmode=require')).toEqual({
      urls: ['postgres://app:s%40cret@h1:5432/fapiao?sslmode=require', 'postgres://app:s%40cret@h2:5433/fapiao?sslmode=require'],
      names: ['h1:5432', 'h2:5433'],
      primaryOnly: true,
    });
  });

  it('asks for a primary with one host when target_session_attrs says so, and names the default port', () => {
    expect(postgresHosts('postgresql://db.internal/fapiao?target_session_attrs=primary')).toEqual({ urls: ['postgresql://db.internal/fapiao'], names: ['db.internal:5432'], primaryOnly: true });
  });

  it('leaves a plain single-host URL exactly as it is', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dt_1';
    expect(postgresHosts(url)).toMatchObject({ urls: [url], primaryOnly: false });
  });
});
