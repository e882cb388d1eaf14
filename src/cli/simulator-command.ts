/** `fapiao simulator`: the tax-platform simulator of shared/api.md, with its fault flags. */
import { parseMoney } from '../domain/money.js';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NO_FAULTS, type Faults } from '../simulator/faults.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

interface SimulatorFlags {
  port: string;
  host: string;
  data: string;
  dedup: boolean;
  confirmation: string;
  latencyMs: string;
  jitterMs: string;
  errorRate: string;
  resetRate: string;
  dropResponseRate: string;
  rejectRate: string;
  rateLimit: string;
  processingMs: string;
  outage: string;
  tlsCert?: string;
  tlsKey?: string;
  clockSkew: string;
  protocol: string;
  quota?: string;
  appKey?: string;
  appSecret?: string;
  username?: string;
  password?: string;
  salt?: string;
}

function number(flag: string, text: string, max = Number.MAX_SAFE_INTEGER, min = 0): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new UsageError(`${flag} ${text}: expected a number from ${min} to ${max}`);
  return value;
}

/** A PEM file named by a flag, or a usage error that names the flag and what is wrong. */
function pemFile(flag: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error))}); give a PEM file`);
  }
  if (!text.includes('-----BEGIN ')) throw new UsageError(`${flag} ${file}: not a PEM file (no -----BEGIN line)`);
  return text;
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('run the tax-platform simulator (reference protocol, durable ledger, fault injection)')
    .option('--port <port>', 'HTTP port', '9090')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'ledger directory', './data/simulator')
    .option('--no-dedup', 'issue a repeated serialNo again (an upstream that does not deduplicate)')
    .option('--latency-ms <ms>', 'added to every answer', '0')
    .option('--jitter-ms <ms>', 'up to this much more, at random', '0')
    .option('--error-rate <share>', 'share of calls answered 503 before any work', '0')
    .option('--reset-rate <share>', 'share of submits whose connection is reset (half before, half after the work)', '0')
    .option('--drop-response-rate <share>', 'share of submits committed and never answered', '0')
    .option('--reject-rate <share>', 'share of new invoices refused for a business reason', '0')
    .option('--rate-limit <rps>', 'calls per second before 429 with Retry-After (0: none)', '0')
    .option('--processing-ms <ms>', 'time from acceptance to issue', '0')
    .option('--outage <seconds>', 'answer every API call 503 for this long after start', '0')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this key (PEM)')
    .option('--clock-skew <seconds>', 'shift the Date header (and, speaking 诺诺, the clock its timestamp check reads)', '0')
    .option('--confirmation <mode>', 'required: a red invoice of a special invoice waits for the counterparty (POST /_admin/confirmations/{billNo}); none', 'none')
    .option('--quota <yuan>', 'every seller\'s monthly 发票额度, tax-excluded yuan (PUT /_admin/quota changes one seller\'s)')
    .option('--protocol <name>', 'reference; nuonuo (诺诺 open platform: /accessToken and /open/v1/services); or baiwang (百望云: /router/rest)', 'reference')
    .option('--app-key <key>', '诺诺 and 百望 modes: the appKey it accepts')
    .option('--app-secret <secret>', '诺诺 and 百望 modes: the appSecret it signs with')
    .option('--username <name>', '百望 mode: the account the token call accepts')
    .option('--password <password>', '百望 mode: that account\'s password (the token call sends SHA-256 of it with the salt)')
    .option('--salt <salt>', '百望 mode: the salt of the password', '')
    .action(async (flags: SimulatorFlags) => {
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
      const outage = number('--outage', flags.outage);
      const faults: Faults = {
        ...NO_FAULTS,
        latencyMs: number('--latency-ms', flags.latencyMs),
        jitterMs: number('--jitter-ms', flags.jitterMs),
        errorRate: number('--error-rate', flags.errorRate, 1),
        resetRate: number('--reset-rate', flags.resetRate, 1),
        dropResponseRate: number('--drop-response-rate', flags.dropResponseRate, 1),
        rejectRate: number('--reject-rate', flags.rejectRate, 1),
        rateLimit: number('--rate-limit', flags.rateLimit),
        processingMs: number('--processing-ms', flags.processingMs),
        outageUntil: outage > 0 ? Date.now() + outage * 1000 : 0,
        clockSkewSeconds: number('--clock-skew', flags.clockSkew, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
      };
      if (flags.protocol !== 'reference' && flags.protocol !== 'nuonuo' && flags.protocol !== 'baiwang') throw new UsageError(`--protocol ${flags.protocol}: expected reference, nuonuo or baiwang`);
      if (flags.protocol === 'nuonuo' && (!flags.appKey || !flags.appSecret)) throw new UsageError('--protocol nuonuo needs --app-key KEY and --app-secret SECRET (what the gateway is configured with)');
      if (flags.protocol === 'baiwang' && (!flags.appKey || !flags.appSecret || !flags.username || !flags.password)) {
        throw new UsageError('--protocol baiwang needs --app-key KEY --app-secret SECRET --username NAME --password PASSWORD (and --salt SALT when the account has one): what the gateway is configured with');
      }
      if (flags.protocol === 'reference' && (flags.appKey || flags.appSecret)) throw new UsageError('--app-key and --app-secret belong to --protocol nuonuo or baiwang');
      if (flags.protocol !== 'baiwang' && (flags.username || flags.password || flags.salt)) throw new UsageError('--username, --password and --salt belong to --protocol baiwang');
      const protocol =
        flags.protocol === 'nuonuo'
          ? { kind: 'nuonuo' as const, credentials: { appKey: flags.appKey!, appSecret: flags.appSecret! } }
          : flags.protocol === 'baiwang'
            ? { kind: 'baiwang' as const, credentials: { appKey: flags.appKey!, appSecret: flags.appSecret!, username: flags.username!, password: flags.password!, salt: flags.salt ?? '' } }
            : { kind: 'reference' as const };
      const { startSimulator } = await import('../simulator/simulator-server.js');
      const port = number('--port', flags.port, 65535);
      const tls = flags.tlsCert && flags.tlsKey ? { tls: { cert: pemFile('--tls-cert', flags.tlsCert), key: pemFile('--tls-key', flags.tlsKey) } } : {};
      let simulator;
      try {
        if (flags.confirmation !== 'none' && flags.confirmation !== 'required') throw new UsageError(`--confirmation ${flags.confirmation}: none or required`);
        const quota = flags.quota === undefined ? undefined : parseMoney(flags.quota, { allowNegative: false });
        if (quota && !quota.ok) throw new UsageError(`--quota ${flags.quota}: expected an amount in yuan, e.g. 100000.00`);
        simulator = await startSimulator({ dataDir: flags.data, port, host: flags.host, dedup: flags.dedup, faults, protocol, confirmation: flags.confirmation, ...tls, ...(quota?.ok && { quotaFen: quota.fen }) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${flags.host} is already in use by another program; choose another with --port N`);
        if (code === 'ERR_OSSL_PEM_NO_START_LINE' || /key|certificate/i.test(errorMessage(error))) {
          throw new UsageError(`--tls-cert/--tls-key: ${errorMessage(error)}`);
        }
        throw error;
      }
      process.stdout.write(`simulator listening on ${simulator.url} (${flags.protocol === 'nuonuo' ? '诺诺 protocol, ' : flags.protocol === 'baiwang' ? '百望 protocol at /router/rest, ' : ''}ledger ${flags.data}${flags.dedup ? '' : ', no dedup'})\n`);
      const stop = () => void simulator.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
