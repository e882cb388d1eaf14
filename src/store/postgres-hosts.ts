/**
 * libpq's multi-host DATABASE_URL (`postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write`,
 * what Patroni and CloudNativePG users write) split into one URL per host, for node-postgres, which
 * connects to one host only. Pure text work: no I/O.
 */

export interface PostgresHosts {
  /** One connection URL per host, in the order given, without target_session_attrs. */
  readonly urls: readonly string[];
  /** `host:port` of each, for logs and the doctor (no credentials). */
  readonly names: readonly string[];
  /** Only a writable primary will do (target_session_attrs=read-write or primary, or several hosts). */
  readonly primaryOnly: boolean;
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/;

/** The hosts of a PostgreSQL URL; a URL with one host and no target_session_attrs is returned as it is. */
export function postgresHosts(url: string): PostgresHosts {
  const parts = URL_PARTS.exec(url);
  if (!parts) return { urls: [url], names: [url], primaryOnly: false };
  const [, scheme, credentials, hostList, rest] = parts as unknown as [string, string, string | undefined, string, string];
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : rest.slice(queryAt + 1));
  const target = query.get('target_session_attrs');
  query.delete('target_session_attrs');
  const hosts = hostList.split(',').filter((host) => host !== '');
  const primaryOnly = hosts.length > 1 || target === 'read-write' || target === 'primary';
  if (!primaryOnly) return { urls: [url], names: hosts.length > 0 ? hosts : ['localhost'], primaryOnly: false };
  const search = query.toString();
  return {
    urls: hosts.map((host) => `${scheme}${credentials === undefined ? '' : `${credentials}@`}${host}${path}${search ? `?${search}` : ''}`),
    names: hosts.map((host) => (/:\d+$/.test(host) ? host : `${host}:5432`)),
    primaryOnly,
  };
}
