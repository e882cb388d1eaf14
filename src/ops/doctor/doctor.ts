/**
 * `fapiao doctor`: walks from the machine to the upstream layer by layer — local, db, dns, tcp,
 * tls, http, clock, upstream, gateway — and reports what each saw, skipping what lies below a
 * failure. Each independent path (the machine, the database, each channel, the running gateway)
 * has its own chain, so a full disk does not hide a DNS fault.
 */
import { ReferenceChannel } from '../../channels/reference/reference-channel.js';
import { openExistingStore, type Store, type StoreLocation } from '../../store/database.js';
import type { ChannelConfig } from '../config.js';
import { fail, ok, overallStatus, type Check, type DoctorReport, type Finding } from './check.js';
import { CheckList, type CheckProgress } from './check-list.js';
import { connectionsFinding, migratedFinding, reachableFinding } from './database-check.js';
import { resolveHost, type ResolvedAddress } from './dns-check.js';
import { backlogFinding, circuitFinding, readChannelStates, recentAttemptsFinding, type ChannelState } from './gateway-check.js';
import { clockFinding, getOnce, httpFinding, type HttpObservation } from './http-check.js';
import { clockSyncFinding, dataDirFinding, diskFinding, fdLimitFinding } from './local-check.js';
import { connectTcp, hostPort } from './tcp-check.js';
import { handshakeFinding, hostnameFinding, ocspFinding, tlsHandshake, trustFinding, validityFinding, type TlsObservation } from './tls-check.js';
import { credentialsFinding } from './upstream-check.js';

/** The reference protocol's health endpoint (shared/api.md, the simulator). */
export const PING_PATH = '/api/v1/ping';

export type DoctorTarget =
  /** Just this upstream address: the network layers only. */
  | { readonly kind: 'url'; readonly url: string }
  /** This installation: the machine, its database, these channels and the running gateway. */
  | { readonly kind: 'installation'; readonly channels: readonly ChannelConfig[]; readonly label: string };

export interface DoctorOptions {
  /** Budget of each network step (resolve, connect, handshake, request), ms. */
  readonly timeoutMs: number;
  /** Extra CA certificates (PEM) to trust, for upstreams with a private CA. */
  readonly ca?: string;
  /** Ask this DNS server directly instead of the system's resolver. */
  readonly dnsServer?: string;
  readonly dataDir: string;
  readonly store: StoreLocation;
  /** Where the running gateway answers, for its circuit states. */
  readonly gatewayUrl: string;
  readonly concurrency: number;
  readonly onProgress?: CheckProgress;
  readonly now?: () => number;
}

export async function runDoctor(target: DoctorTarget, options: DoctorOptions): Promise<DoctorReport> {
  if (target.kind === 'url') {
    const list = new CheckList(options.onProgress);
    await probeUpstream(list, { name: 'doctor', url: target.url }, options);
    return report(target.url, list.checks);
  }
  const many = target.channels.length > 1;
  const local = await localChecks(options);
  const database = new CheckList(options.onProgress);
  const store = await openDatabase(database, options);
  const channelChecks: Check[] = [];
  for (const channel of target.channels) {
    const list = new CheckList(options.onProgress, many ? channel.name : undefined);
    await probeUpstream(list, channel, options);
    channelChecks.push(...list.checks);
  }
  const gateway = await gatewayChecks(target.channels, store, database, options);
  await store?.close();
  const dbChecks = database.checks.filter((check) => check.layer === 'db');
  const fromDatabase = database.checks.filter((check) => check.layer !== 'db');
  return report(target.label, [...local, ...dbChecks, ...channelChecks, ...gateway, ...fromDatabase]);
}

function report(target: string, checks: readonly Check[]): DoctorReport {
  return { target, status: overallStatus(checks), checks };
}

async function localChecks(options: DoctorOptions): Promise<Check[]> {
  // Independent facts about the machine: one failing does not make the others meaningless.
  const checks: Check[] = [];
  const one = async (name: string, look: () => Promise<Finding>) => {
    const list = new CheckList(options.onProgress);
    await list.run('local', name, look);
    checks.push(...list.checks);
  };
  await one('data directory writable', () => dataDirFinding(options.dataDir));
  await one('free disk space', () => diskFinding(options.dataDir));
  await one('open-files limit', () => fdLimitFinding(options.concurrency));
  await one('clock synchronisation', () => clockSyncFinding());
  return checks;
}

function describeStore(location: StoreLocation): string {
  if (location.kind === 'sqlite') return `SQLite ${location.file}`;
  const url = new URL(location.url);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

async function openDatabase(list: CheckList, options: DoctorOptions): Promise<Store | undefined> {
  let store: Store | undefined;
  const where = describeStore(options.store);
  await list.run('db', 'reachable', async () => {
    try {
      store = openExistingStore(options.store, { connectTimeoutMs: options.timeoutMs });
      return await reachableFinding(store, where);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'SQLITE_CANTOPEN' || (error as Error).message.includes('does not exist');
      return fail('db.unreachable', missing && options.store.kind === 'sqlite' ? `${where}: no database there (the gateway creates it at first start)` : `${where}: ${(error as Error).message}${code ? ` (${code})` : ''}`);
    }
  });
  if (!store) return undefined;
  const opened = store;
  await list.run('db', 'migrations', () => migratedFinding(opened));
  await list.run('db', 'connection headroom', () => connectionsFinding(opened));
  return opened;
}

async function gatewayChecks(channels: readonly ChannelConfig[], store: Store | undefined, database: CheckList, options: DoctorOptions): Promise<Check[]> {
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
  return list.checks;
}

/** dns → tcp → tls (https only) → http → clock → upstream, for one upstream address. */
async function probeUpstream(list: CheckList, channel: ChannelConfig, options: DoctorOptions): Promise<void> {
  const url = new URL(channel.url);
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (https ? 443 : 80);
  const budget = options.timeoutMs;

  let addresses: ResolvedAddress[] = [];
  await list.run('dns', `resolve ${host}`, async () => {
    const resolved = await resolveHost(host, { timeoutMs: budget, ...(options.dnsServer !== undefined && { server: options.dnsServer }) });
    addresses = resolved.addresses;
    return resolved.finding;
  });

  let connected: ResolvedAddress | undefined;
  await list.run('tcp', `connect port ${port}`, async () => {
    const result = await connectTcp(addresses, port, budget);
    connected = result.address;
    return result.finding;
  });

  if (https) {
    let tls: TlsObservation | undefined;
    await list.run('tls', 'handshake', async () => {
      if (!connected) return fail('tls.handshake_failed', 'no connection to shake hands on');
      const result = await tlsHandshake(host, connected.address, port, { timeoutMs: budget, ...(options.ca !== undefined && { ca: options.ca }) });
      if ('error' in result) return result.error;
      tls = result;
      return handshakeFinding(result);
    });
    if (tls) {
      const seen = tls;
      const now = options.now ?? Date.now;
      await list.run('tls', 'certificate validity', () => validityFinding(seen, now()));
      await list.run('tls', 'chain trust', () => trustFinding(seen, options.ca));
      await list.run('tls', 'hostname', () => hostnameFinding(host, seen));
      await list.run('tls', 'OCSP stapling', () => ocspFinding(seen));
    }
  }

  const pingUrl = `${channel.url.replace(/\/+$/, '')}${PING_PATH}`;
  let answer: HttpObservation | undefined;
  await list.run('http', `GET ${PING_PATH}${connected ? ` at ${hostPort(connected.address, port)}` : ''}`, async () => {
    const result = await getOnce(pingUrl, { timeoutMs: budget, ...(options.ca !== undefined && { ca: options.ca }), ...(connected && { pinnedAddress: connected }) });
    if ('error' in result) return result.error;
    answer = result;
    return httpFinding(result, budget);
  });
  await list.run('clock', 'skew against the server', () => clockFinding(answer!));
  await list.run('upstream', 'credentials', async () => {
    const upstream = new ReferenceChannel({
      name: channel.name,
      url: channel.url,
      connectTimeoutMs: budget,
      responseTimeoutMs: budget,
      pollAfterMs: 500,
      ...(options.ca !== undefined && { ca: options.ca }),
      ...(connected && { pinnedAddress: connected }),
    });
    try {
      return await credentialsFinding(upstream, budget);
    } finally {
      await upstream.close();
    }
  });
}
