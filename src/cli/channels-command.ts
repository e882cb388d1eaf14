/** `fapiao channels list|isolate|restore`: which channels take new work, changed in the database (audited). */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { CHANNEL_NAME_FORM, type ChannelConfig } from '../runtime/config.js';
import { isolateChannel, listIsolations, restoreChannel } from '../store/channel-isolation.js';
import { configuredChannels } from './serve-command.js';
import { withStore } from './store-option.js';
import { UsageError } from './usage-error.js';

interface ChannelOptions {
  db?: string;
  config?: string;
  reason?: string;
  json?: boolean;
}

/** A channel name the operator may act on: a configured one, when the configuration is known here. */
function channelName(name: string, configured: readonly ChannelConfig[]): string {
  if (!CHANNEL_NAME_FORM.test(name)) throw new UsageError(`${JSON.stringify(name)} is no channel name (lower-case letters, digits, - and _)`);
  if (configured.length > 0 && !configured.some((channel) => channel.name === name)) {
    throw new UsageError(`no channel ${name}; configured: ${configured.map((channel) => channel.name).join(', ')}`);
  }
  return name;
}

const operator = () => `cli:${userInfo().username}`;

export function registerChannelCommands(program: Command): void {
  const channels = program.command('channels').description('channels: which take new work (isolate, restore)');
  const common = (command: Command) =>
    command
      .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
      .option('--config <file>', 'the configuration file naming the channels (default: FAPIAO_CONFIG, else FAPIAO_CHANNELS)');

  common(channels.command('list').description('configured channels and whether each is isolated'))
    .option('--json', 'as JSON')
    .action(async (options: ChannelOptions) => {
      const configured = configuredChannels(options.config);
      const isolations = await withStore(options.db, (store) => listIsolations(store.db));
      const names = [...new Set([...configured.map((channel) => channel.name), ...isolations.map((isolation) => isolation.channel)])];
      const rows = names.map((name) => {
        const channel = configured.find((candidate) => candidate.name === name);
        const isolation = isolations.find((candidate) => candidate.channel === name);
        return {
          name,
          protocol: channel ? (channel.protocol ?? 'reference') : null,
          url: channel?.url ?? null,
          isolated: isolation !== undefined,
          isolation: isolation ? { reason: isolation.reason, by: isolation.by, at: new Date(isolation.at).toISOString() } : null,
        };
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) process.stdout.write('no channels configured here (give --config FILE or set FAPIAO_CONFIG) and none isolated\n');
      for (const row of rows) {
        const state = row.isolation ? `ISOLATED since ${row.isolation.at} by ${row.isolation.by}: ${row.isolation.reason}` : 'takes new work';
        process.stdout.write(`${row.name.padEnd(16)} ${(row.protocol ?? '(not configured here)').padEnd(22)} ${state}\n`);
      }
    });

  common(channels.command('isolate').argument('<name>').description('give a channel no new work; what it holds is still resolved there'))
    .option('--reason <text>', 'why (kept in the audit chain and shown to operators)', 'isolated by the operator')
    .action(async (name: string, options: ChannelOptions) => {
      const channel = channelName(name, configuredChannels(options.config));
      const reason = (options.reason ?? '').trim();
      if (reason === '' || reason.length > 200) throw new UsageError('--reason: 1 to 200 characters');
      const result = await withStore(options.db, (store) => isolateChannel(store.db, store.capabilities, { channel, reason, by: operator(), at: Date.now() }));
      process.stdout.write(result === 'isolated' ? `isolated ${channel}: no new work; running gateways follow within a second\n` : `${channel} was already isolated\n`);
    });

  common(channels.command('restore').argument('<name>').description('let an isolated channel take new work again'))
    .action(async (name: string, options: ChannelOptions) => {
      const channel = channelName(name, configuredChannels(options.config));
      const result = await withStore(options.db, (store) => restoreChannel(store.db, store.capabilities, { channel, by: operator(), at: Date.now() }));
      process.stdout.write(result === 'restored' ? `restored ${channel}: it takes new work again\n` : `${channel} was not isolated\n`);
    });
}
