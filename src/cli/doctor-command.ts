/**
 * `fapiao doctor [URL | --channel NAME]`: say why the invoicing server cannot be reached, layer by
 * layer, with the cause and the fix. Exit 0 all well, 1 warnings, 2 failures.
 */
import { X509Certificate } from 'node:crypto';
import { Resolver } from 'node:dns';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { exitCodeOf, type DoctorReport } from '../doctor/check.js';
import type { DoctorOptions, DoctorTarget } from '../doctor/doctor.js';
import { renderReport } from '../doctor/report-table.js';
import { httpUrlFault, parseChannelSpec, resolveConfig, type ChannelConfig } from '../runtime/config.js';
import { configFromEnv, environment } from '../runtime/env.js';
import { configuredChannels } from './serve-command.js';
import { storeLocation } from './store-option.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

interface DoctorFlags {
  channel?: string;
  config?: string;
  json?: boolean;
  watch?: string;
  times?: string;
  timeout: string;
  ca?: string;
  dnsServer?: string;
  gateway: string;
  db?: string;
  dataDir?: string;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} ${text}: expected a positive number`);
  return value;
}

function upstreamUrl(text: string): string {
  const fault = httpUrlFault(text);
  if (fault === 'not_a_url') throw new UsageError(`${text}: not a URL; write it in full, e.g. https://api.example.com`);
  if (fault === 'not_http') throw new UsageError(`${text}: only http:// and https:// can be checked`);
  return text;
}

/** What to check: the URL given, the channel named (configured or NAME=URL), or the whole installation. */
function chooseTarget(url: string | undefined, flags: DoctorFlags, configured: readonly ChannelConfig[]): DoctorTarget {
  if (url !== undefined && flags.channel !== undefined) throw new UsageError('give a URL or --channel, not both');
  if (url !== undefined) return { kind: 'url', url: upstreamUrl(url) };
  if (flags.channel !== undefined) {
    const spec = flags.channel;
    let channel: ChannelConfig | undefined;
    if (spec.includes('=')) {
      try {
        channel = parseChannelSpec(spec);
      } catch (error) {
        throw new UsageError(`--channel ${errorMessage(error)}`);
      }
    } else {
      channel = configured.find((c) => c.name === spec);
    }
    if (!channel) {
      const known = configured.map((c) => c.name).join(', ') || 'none (give --config FILE, or set FAPIAO_CONFIG or FAPIAO_CHANNELS=NAME=URL,…)';
      throw new UsageError(`--channel ${spec}: no such channel; configured: ${known}. Or give --channel NAME=URL`);
    }
    return { kind: 'installation', channels: [channel], label: `channel ${channel.name} (${channel.url})` };
  }
  return { kind: 'installation', channels: configured, label: `gateway (channels: ${configured.map((c) => c.name).join(', ') || 'none configured'})` };
}

function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new UsageError(`--ca ${file}: not a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}

function dnsServer(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  try {
    new Resolver().setServers([address]);
  } catch {
    throw new UsageError(`--dns-server ${address}: write an IP address, optionally with a port (223.5.5.5, 127.0.0.1:5353, [::1]:53)`);
  }
  return address;
}

/** A one-line "checking …" on the terminal while layers run, erased before the report. */
function progressLine(enabled: boolean): { options: Pick<DoctorOptions, 'onProgress'>; clear(): void } {
  if (!enabled) return { options: {}, clear: () => undefined };
  return {
    options: {
      onProgress: (check) => process.stderr.write(`\r\x1b[2Kchecking ${check.layer}: ${check.channel ? `[${check.channel}] ` : ''}${check.name}…`),
    },
    clear: () => process.stderr.write('\r\x1b[2K'),
  };
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('diagnose why an upstream cannot be reached, layer by layer (local, db, dns, tcp, tls, http, clock, upstream, gateway)')
    .argument('[url]', 'an upstream base URL to check (network layers only)')
    .option('--channel <NAME|NAME=URL>', 'a configured channel (of --config, FAPIAO_CONFIG or FAPIAO_CHANNELS), or a reference one given here')
    .option('--config <file>', 'the gateway\'s configuration file, for its channels (default: FAPIAO_CONFIG)')
    .option('--json', 'print the report as JSON (docs/api.md)')
    .option('--watch <seconds>', 'check again every so many seconds, until interrupted')
    .option('--times <n>', 'with --watch: stop after n runs')
    .option('--timeout <ms>', 'budget of each network step (resolve, connect, handshake, request)', '3000')
    .option('--ca <file>', 'also trust these CA certificates (PEM), for an upstream with a private CA')
    .option('--dns-server <host[:port]>', 'ask this DNS server directly instead of the system resolver')
    .option('--gateway <url>', 'where the running gateway answers (for its circuit states)', 'http://127.0.0.1:8080')
    .option('--db <file>', 'the gateway\'s SQLite file (default <data dir>/fapiao.db; DATABASE_URL=postgres://… overrides)')
    .option('--data-dir <dir>', 'the gateway\'s data directory (default FAPIAO_DATA_DIR or ./data)')
    .addHelpText(
      'after',
      [
        '',
        'With no URL and no --channel: the machine, the database, every configured channel and the running gateway.',
        'For a 诺诺 channel: its credentials by a query that changes nothing (the token kept in the gateway\'s database is used), and the drawer\'s login.',
        'Exit codes: 0 every check ok, 1 warnings, 2 failures (or the command could not run).',
        'Every finding code and what triggers it: docs/doctor.md (each finding is printed with its cause and fix).',
      ].join('\n'),
    )
    .action(async (url: string | undefined, flags: DoctorFlags) => {
      let env;
      try {
        env = resolveConfig(configFromEnv());
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      const target = chooseTarget(url, flags, url === undefined ? configuredChannels(flags.config) : []);
      const dataDir = flags.dataDir ?? environment.dataDir ?? (flags.db ? dirname(flags.db) : env.dataDir);
      const watchSeconds = flags.watch === undefined ? undefined : positive('--watch', flags.watch);
      const times = flags.times === undefined ? (watchSeconds === undefined ? 1 : Infinity) : positive('--times', flags.times);
      const terminal = process.stdout.isTTY === true && !environment.noColor;
      const progress = progressLine(!flags.json && process.stderr.isTTY === true);
      const ca = readCa(flags.ca);
      const dns = dnsServer(flags.dnsServer);
      const options: DoctorOptions = {
        timeoutMs: positive('--timeout', flags.timeout),
        ...(ca !== undefined && { ca }),
        ...(dns !== undefined && { dnsServer: dns }),
        dataDir,
        secretsKey: environment.secretsKey,
        store: storeLocation(flags.db ?? `${dataDir}/fapiao.db`),
        gatewayUrl: upstreamUrl(flags.gateway),
        concurrency: env.dispatcher.concurrency,
        ...progress.options,
      };
      const { runDoctor } = await import('../doctor/doctor.js');
      let stopped = false;
      const stop = () => (stopped = true);
      process.once('SIGINT', stop);
      let last: DoctorReport | undefined;
      for (let run = 1; run <= times && !stopped; run++) {
        last = await runDoctor(target, options);
        progress.clear();
        if (flags.json) process.stdout.write(`${JSON.stringify(last, null, watchSeconds === undefined ? 2 : undefined)}\n`);
        else process.stdout.write(`${watchSeconds !== undefined && terminal ? '\x1b[2J\x1b[H' : ''}${renderReport(last, { colour: terminal, at: new Date() })}`);
        process.exitCode = exitCodeOf(last);
        if (watchSeconds !== undefined && run < times) await sleepUnless(() => stopped, watchSeconds * 1000);
      }
      process.removeListener('SIGINT', stop);
    });
}

async function sleepUnless(stopped: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!stopped() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
}
