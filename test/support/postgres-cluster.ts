// A PostgreSQL primary and a synchronous streaming replica made on this machine from the installed
// binaries (initdb, pg_basebackup, pg_ctl), each with its own data directory and a port below the
// ephemeral range, for failover tests. initdb refuses root, so as root every command runs as the
// `postgres` system user. Everything is removed by close().
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** Both hosts, primary first, as an operator writes it: only the writable one will do. */
  readonly url: string;
  /** `pg_ctl stop -m immediate` on the primary: a crash, no shutdown checkpoint. */
  crashPrimary(): void;
  /**
   * `pg_ctl promote` on the replica: it becomes the primary. It no longer waits for a synchronous
   * standby (it has none): what Patroni does when the last standby is gone, unless told to be strict.
   */
  promoteReplica(): Promise<void>;
  close(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  return join(root, versions[0]!, 'bin');
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, command: string, args: string[]): string {
  const file = join(bin, command);
  return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) : execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A free TCP port in 20000–32767 (below Linux's ephemeral range, where outgoing connections take theirs). */
async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function eventuallyTrue(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

async function query<T extends pg.QueryResultRow>(port: number, text: string): Promise<T[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = binDir();
  const base = mkdtempSync(join(tmpdir(), 'fapiao-pgcluster-'));
  chmodSync(base, 0o755);
  if (asRoot) chownSync(base, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const primaryDir = join(base, 'primary');
  const replicaDir = join(base, 'replica');
  const primaryPort = await lowFreePort();
  let replicaPort = await lowFreePort();
  while (replicaPort === primaryPort) replicaPort = await lowFreePort();

  run(bin, 'initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  appendFileSync(
    join(primaryDir, 'postgresql.conf'),
    [
      `port = ${primaryPort}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${base}'`,
      'wal_level = replica',
      'max_wal_senders = 5',
      // RPO 0: a commit is acknowledged only once the replica has it.
      `synchronous_standby_names = 'replica1'`,
      'synchronous_commit = on',
      'max_connections = 100',
      'shared_buffers = 32MB',
      '',
    ].join('\n'),
  );
  run(bin, 'pg_ctl', ['-D', primaryDir, '-l', join(base, 'primary.log'), '-w', 'start']);
  run(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '--no-sync']);
  appendFileSync(join(replicaDir, 'postgresql.conf'), `port = ${replicaPort}\n`);
  appendFileSync(join(replicaDir, 'postgresql.auto.conf'), `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=replica1'\n`);
  run(bin, 'pg_ctl', ['-D', replicaDir, '-l', join(base, 'replica.log'), '-w', 'start']);
  await eventuallyTrue(async () => (await query<{ sync_state: string }>(primaryPort, 'select sync_state from pg_stat_replication')).some((row) => row.sync_state === 'sync'), 30_000, 'the replica did not become synchronous');

  const stop = (dir: string) => {
    try {
      run(bin, 'pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
  };
  return {
    primaryPort,
    replicaPort,
    url: `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${replicaPort}/postgres?target_session_attrs=read-write`,
    crashPrimary: () => stop(primaryDir),
    promoteReplica: async () => {
      run(bin, 'pg_ctl', ['-D', replicaDir, '-w', 'promote']);
      await query(replicaPort, `alter system set synchronous_standby_names = ''`);
      await query(replicaPort, 'select pg_reload_conf()');
    },
    async close() {
      stop(replicaDir);
      stop(primaryDir);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
