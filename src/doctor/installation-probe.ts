/**
 * The doctor's view of this installation: the machine (local), the database (db), and the running
 * gateway's circuits, backlog and recent calls (gateway). Loaded only when an installation is
 * checked, so that checking a URL does not load the database drivers.
 */
import { openExistingStore, type Store, type StoreLocation } from '../store/database.js';
import { postgresHosts } from '../store/postgres-hosts.js';
import type { ChannelConfig } from '../runtime/config.js';
import { fail, ok, type Check, type Finding } from './check.js';
import { CheckList } from './check-list.js';
import { connectionsFinding, migratedFinding, primaryFinding, reachableFinding } from './database-check.js';
import type { DoctorOptions } from './doctor-options.js';
import { quotaFinding, quotaSnapshots } from './quota-check.js';
import { backlogFinding, circuitFinding, readChannelStates, recentAttemptsFinding, type ChannelState } from './gateway-check.js';
import { clockSyncFinding, dataDirFinding, diskFinding, fdLimitFinding, privacyFinding } from './local-check.js';
import { errorMessage } from '../domain/error-message.js';

export async function localChecks(options: DoctorOptions): Promise<Check[]> {
  // Independent facts about the machine: one failing does not make the others meaningless.
  const checks: Check[] = [];
  const one = async (name: string, look: () => Promise<Finding>) => {
    const list = new CheckList(options.onProgress);
    await list.run('local', name, look);
    checks.push(...list.checks);
  };
  await one('data directory writable', () => dataDirFinding(options.dataDir));
  await one('free disk space', () => diskFinding(options.dataDir));
  await one('data private to its owner', () => privacyFinding(options.dataDir, options.store.kind === 'sqlite' ? options.store.file : undefined));
  await one('open-files limit', () => fdLimitFinding(options.concurrency));
  await one('clock synchronisation', () => clockSyncFinding());
  return checks;
}

function describeStore(location: StoreLocation): string {
  if (location.kind === 'sqlite') return `SQLite ${location.file}`;
  const hosts = postgresHosts(location.url);
  const database = /^[^/]*\/\/[^/]*(\/[^?#]*)/.exec(location.url)?.[1] ?? '';
  return `PostgreSQL ${hosts.names.join(',')}${database}`;
}

export async function openDatabase(list: CheckList, options: DoctorOptions): Promise<Store | undefined> {
  let store: Store | undefined;
  const where = describeStore(options.store);
  await list.run('db', 'reachable', async () => {
    try {
      store = openExistingStore(options.store, { connectTimeoutMs: options.timeoutMs });
      return await reachableFinding(store, where);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'SQLITE_CANTOPEN' || errorMessage(error).includes('does not exist');
      return fail('db.unreachable', missing && options.store.kind === 'sqlite' ? `${where}: no database there (the gateway creates it at first start)` : `${where}: ${errorMessage(error)}${code ? ` (${code})` : ''}`);
    }
  });
  if (!store) return undefined;
  const opened = store;
  await list.run('db', 'writable primary', () => primaryFinding(opened));
  await list.run('db', 'migrations', () => migratedFinding(opened));
  await list.run('db', 'connection headroom', () => connectionsFinding(opened));
  return opened;
}

export async function gatewayChecks(channels: readonly ChannelConfig[], store: Store | undefined, database: CheckList, options: DoctorOptions): Promise<Check[]> {
  const list = new CheckList(options.onProgress);
  let states: Map<string, ChannelState> | undefined;
  await list.run('gateway', 'running gateway', async () => {
    const read = await readChannelStates(options.gatewayUrl, options.timeoutMs);
    if ('error' in read) return fail('gateway.unreachable', read.error);
    states = read;
    return ok(`answering at ${options.gatewayUrl}, channels: ${[...read.keys()].join(', ') || 'none'}`);
  });
  if (states) {
    const running = states;
    const names = channels.length > 0 ? channels.map((c) => c.name) : [...running.keys()];
    for (const name of names) await list.run('gateway', `circuit ${name}`, () => circuitFinding(name, running.get(name)));
  }
  const now = options.now ?? Date.now;
  await database.run('gateway', 'backlog', () => backlogFinding(store!, now()));
  await database.run('gateway', 'recent upstream calls', () => recentAttemptsFinding(store!));
  if (store) {
    let snapshots: Awaited<ReturnType<typeof quotaSnapshots>> = [];
    await database.run('gateway', 'invoice quota', async () => {
      snapshots = await quotaSnapshots(store, now);
      return ok(`${snapshots.length} seller${snapshots.length === 1 ? '' : 's'} with a quota record`);
    });
    for (const snapshot of snapshots) await database.run('gateway', `quota ${snapshot.sellerTaxId}`, () => Promise.resolve(quotaFinding(snapshot, now())));
  }
  return list.checks;
}
