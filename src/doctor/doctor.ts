/**
 * `fapiao doctor`: walks from the machine to the upstream layer by layer — local, db, dns, tcp,
 * tls, http, clock, upstream, gateway — and reports what each saw, skipping what lies below a
 * failure. Each independent path (the machine, the database, each channel, the running gateway)
 * has its own chain, so a full disk does not hide a DNS fault.
 */
import { ChannelTokens } from '../store/channel-tokens.js';
import { SecretBox } from '../runtime/secret-box.js';
import { sealedSecretsFinding } from './database-check.js';
import type { ChannelConfig } from '../runtime/config.js';
import { overallStatus, type Check, type DoctorReport } from './check.js';
import { CheckList } from './check-list.js';
import type { DoctorOptions } from './doctor-options.js';

export type { DoctorOptions } from './doctor-options.js';
import { probeUpstream } from './upstream-probe.js';

export type DoctorTarget =
  /** Just this upstream address: the network layers only. */
  | { readonly kind: 'url'; readonly url: string }
  /** This installation: the machine, its database, these channels and the running gateway. */
  | { readonly kind: 'installation'; readonly channels: readonly ChannelConfig[]; readonly label: string };


export async function runDoctor(target: DoctorTarget, options: DoctorOptions): Promise<DoctorReport> {
  if (target.kind === 'url') {
    const list = new CheckList(options.onProgress);
    await probeUpstream(list, { name: 'doctor', url: target.url }, options);
    return report(target.url, list.checks);
  }
  const { gatewayChecks, localChecks, openDatabase } = await import('./installation-probe.js');
  const many = target.channels.length > 1;
  const local = await localChecks(options);
  const database = new CheckList(options.onProgress);
  const store = await openDatabase(database, options);
  // The installation's key as it is: a missing one is reported, not made, while secrets sealed
  // under it wait in the database. With nothing sealed yet it is made as the gateway would.
  let secrets = SecretBox.existing({ key: options.secretsKey ?? null, dataDir: options.dataDir });
  if (store) {
    const finding = await database.run('db', 'sealed secrets open', () => sealedSecretsFinding(store, secrets));
    if (!secrets && finding?.status === 'ok') secrets = SecretBox.open({ key: options.secretsKey ?? null, dataDir: options.dataDir });
  }
  const channelChecks: Check[] = [];
  for (const channel of target.channels) {
    const list = new CheckList(options.onProgress, many ? channel.name : undefined);
    await probeUpstream(list, channel, { ...options, ...(store && secrets && { tokens: new ChannelTokens(store.db, options.now ?? Date.now, secrets) }) });
    channelChecks.push(...list.checks);
  }
  const gateway = await gatewayChecks(target.channels, store, database, options);
  await store?.close();
  const dbChecks = database.checks.filter((check) => check.layer === 'db');
  const fromDatabase = database.checks.filter((check) => check.layer !== 'db');
  return report(target.label, [...local, ...dbChecks, ...channelChecks, ...gateway, ...fromDatabase]);
}

/** Just one configured channel's layers (dns … upstream), as the running gateway asks for its console. */
export async function runChannelDoctor(channel: ChannelConfig, options: DoctorOptions): Promise<DoctorReport> {
  const list = new CheckList(options.onProgress);
  await probeUpstream(list, channel, options);
  return report(channel.name, list.checks);
}

function report(target: string, checks: readonly Check[]): DoctorReport {
  return { target, status: overallStatus(checks), checks };
}
