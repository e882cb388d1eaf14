/**
 * `fapiao reconcile --date YYYY-MM-DD`: one channel's invoices of a day against ours — adopts what
 * the upstream issued without telling us, reports the rest. Exit 0 when nothing needs a person, 1
 * when something does, 2 when it could not run.
 */
import type { Command } from 'commander';
import { buildChannel } from '../channels/registry.js';
import { DAY_FORM, needsPerson, reconcileDay, type ReconcileReport } from '../invoicing/reconciliation.js';
import { CHANNEL_NAME_FORM, type ChannelConfig } from '../runtime/config.js';
import { ChannelTokens } from '../store/channel-tokens.js';
import { configuredChannels } from './serve-command.js';
import { secretBoxFor, withStore } from './store-option.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

interface ReconcileOptions {
  date?: string;
  channel?: string;
  config?: string;
  db?: string;
  json?: boolean;
}

/** The channel asked for: NAME=URL (the reference protocol), a configured NAME, or the only one configured. */
function chosenChannel(options: ReconcileOptions): ChannelConfig {
  const configured = configuredChannels(options.config);
  const given = options.channel;
  if (given?.includes('=')) {
    const [name = '', url = ''] = given.split(/=(.*)/s);
    if (!CHANNEL_NAME_FORM.test(name)) throw new UsageError(`--channel ${given}: ${JSON.stringify(name)} is no channel name`);
    if (!/^https?:\/\//.test(url)) throw new UsageError(`--channel ${given}: the URL must start with http:// or https://`);
    return { name, url };
  }
  if (given !== undefined) {
    const found = configured.find((channel) => channel.name === given);
    if (!found) throw new UsageError(`no channel ${given}${configured.length > 0 ? `; configured: ${configured.map((channel) => channel.name).join(', ')}` : ' (give NAME=URL, or --config FILE)'}`);
    return found;
  }
  if (configured.length === 1) return configured[0]!;
  throw new UsageError(configured.length === 0 ? 'which channel? --channel NAME=URL, or --config FILE' : `which channel? --channel one of: ${configured.map((channel) => channel.name).join(', ')}`);
}

function table(report: ReconcileReport): string {
  const lines = [
    `reconciliation of ${report.channel} for ${report.date} (Beijing time)`,
    `  matched            ${report.matched}`,
    `  adopted            ${report.adopted.length}   issued there though no answer reached us: now issued here, never sent again`,
    ...report.adopted.map((item) => `      ${item.invoiceId}  serial ${item.serialNo}  number ${item.number}`),
    `  missing upstream   ${report.missingUpstream.length}   issued here, not in the upstream's list: ask the provider, check the date`,
    ...report.missingUpstream.map((item) => `      ${item.invoiceId}  serial ${item.serialNo}  number ${item.number ?? '—'}  total ${item.total}`),
    `  mismatched         ${report.amountMismatch.length}   both have it and disagree: compare the fields below with the provider's record`,
    ...report.amountMismatch.map((item) => `      ${item.invoiceId}  serial ${item.serialNo}: ${item.differences.map((d) => `${d.field} ours ${d.ours}, theirs ${d.theirs}`).join('; ')}`),
    `  unknown upstream   ${report.unknownUpstream.length}   issued under a serial we never gave: issued outside the gateway?`,
    ...report.unknownUpstream.map((item) => `      serial ${item.serialNo}  number ${item.number}  seller ${item.sellerTaxId}  total ${item.total}`),
    needsPerson(report) ? 'Something needs a person (exit 1).' : 'Nothing needs a person.',
  ];
  return `${lines.join('\n')}\n`;
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description("match one channel's invoices of a day with ours; adopt what it issued without telling us, report the rest")
    .requiredOption('--date <YYYY-MM-DD>', 'the day, Beijing time')
    .option('--channel <NAME|NAME=URL>', 'a configured channel, or a reference-protocol URL (default: the only configured one)')
    .option('--config <file>', 'the configuration file naming the channels (default: FAPIAO_CONFIG, else FAPIAO_CHANNELS)')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .option('--json', 'the report as JSON')
    .action(async (options: ReconcileOptions) => {
      if (!options.date || !DAY_FORM.test(options.date)) throw new UsageError(`--date ${options.date ?? ''}: a day as YYYY-MM-DD`);
      const config = chosenChannel(options);
      const day = options.date;
      let report: ReconcileReport;
      try {
        report = await withStore(options.db, async (store) => {
          const channel = buildChannel(config, {
            upstream: { connectTimeoutMs: 5000, responseTimeoutMs: 30_000, pollAfterMs: 1000 },
            observer: () => ({ phase: () => undefined, certificate: () => undefined }),
            tokens: new ChannelTokens(store.db, Date.now, secretBoxFor(options.db)),
          });
          try {
            return await reconcileDay({ db: store.db, capabilities: store.capabilities, now: Date.now }, channel, day, AbortSignal.timeout(120_000));
          } finally {
            await channel.close();
          }
        });
      } catch (error) {
        if (error instanceof UsageError) throw error;
        // It could not run: nothing was decided, nothing adopted.
        process.stderr.write(`fapiao: reconciliation of ${config.name} for ${day} could not run: ${errorMessage(error)}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
      process.exitCode = needsPerson(report) ? 1 : 0;
    });
}
