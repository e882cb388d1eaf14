/** `fapiao serve`: the gateway (API and workers) until SIGINT/SIGTERM, then a clean stop. */
import { limitHeapGrowth } from '../runtime/heap-growth.js';
import { flushTracing } from '../runtime/trace-context.js';
import type { Command } from 'commander';
import { DEFAULTS, parseChannelSpec, resolveConfig, type ChannelConfig, type ConfigInput, type GatewayConfig } from '../runtime/config.js';
import { ConfigFileError, readConfigFile } from '../runtime/config-file.js';
import { configFromEnv, environment } from '../runtime/env.js';
import type { Gateway } from '../gateway.js';
import { UsageError } from './usage-error.js';
import { defaultDbFile, prepareStoreLocation } from './store-option.js';
import { dirname, join } from 'node:path';
import { errorMessage } from '../domain/error-message.js';

export interface ServeOptions {
  port?: string;
  host: string;
  db?: string;
  channel?: string[];
  config?: string;
  withSimulator?: boolean;
}

function parseChannel(value: string, previous: ChannelConfig[]): ChannelConfig[] {
  try {
    return [...previous, parseChannelSpec(value)];
  } catch (error) {
    throw new UsageError(`--channel ${errorMessage(error)}`);
  }
}

/** The configuration file of --config or FAPIAO_CONFIG, checked; {} when there is none. */
export function configFileInput(path: string | undefined): ConfigInput {
  if (path === undefined) return {};
  try {
    return readConfigFile(path, (name) => environment.variable(name));
  } catch (error) {
    if (error instanceof ConfigFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** The channels a gateway started with this configuration file (or FAPIAO_CONFIG) would have: the file's, else FAPIAO_CHANNELS. */
export function configuredChannels(configPath: string | undefined): readonly ChannelConfig[] {
  const file = configFileInput(configPath ?? environment.configFile);
  try {
    return file.channels ?? configFromEnv().channels ?? [];
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

/** The resolved config for serve-like commands: the environment, the config file over it, flags over both. */
export function serveConfig(options: ServeOptions, extra: ConfigInput = {}) {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port ${options.port}: not a port number (0–65535)`);
  let env: ConfigInput;
  try {
    env = configFromEnv();
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const file = configFileInput(options.config ?? environment.configFile);
  const dbFile = options.db ?? defaultDbFile();
  try {
    return resolveConfig({
      ...env,
      ...file,
      ...extra,
      dataDir: env.dataDir ?? dirname(dbFile),
      dbFile,
      host: options.host,
      port: port ?? env.port ?? DEFAULTS.port,
      // Flags replace the file's channels, which replace FAPIAO_CHANNELS: their order is their priority.
      channels: options.channel && options.channel.length > 0 ? (options.channel as unknown as ChannelConfig[]) : (file.channels ?? env.channels ?? []),
      withSimulator: options.withSimulator === true,
    });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

/**
 * Stops the gateway gracefully on the first signal (Gateway.shutdown: drain, then finish or hand
 * back what is in flight), exit 0; a second signal, or a stop that outruns FAPIAO_SHUTDOWN_SECONDS
 * by more than a few seconds, exits 1 at once (whatever was left is resolved by its lease).
 */
export function stopOnSignal(gateway: Gateway, shutdownMs: number): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`${signal}: not ready now; finishing the requests and attempts in flight, then stopping (at most ${Math.round(shutdownMs / 1000)} s)\n`);
    const overdue = setTimeout(() => {
      process.stderr.write(`${signal}: the stop took longer than ${Math.round(shutdownMs / 1000)} s; exiting now (leases left run out by themselves)\n`);
      process.exit(1);
    }, shutdownMs + 5000);
    overdue.unref();
    gateway.shutdown(signal).then(
      // The last spans go out before the process does.
      () => flushTracing().then(() => process.exit(0)),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** Where a gateway listens and keeps its data: the options serve and demo share. */
export function addListenOptions(command: Command): Command {
  return command
    .option('--port <port>', `HTTP port (default ${DEFAULTS.port}, or FAPIAO_PORT)`)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', `SQLite database file, used exactly as named (default ${join('data', 'fapiao.db')}; DATABASE_URL=postgres://… overrides)`);
}

function addServeOptions(command: Command): Command {
  return addListenOptions(command)
    .option('--config <file>', 'the configuration file: channels and their protocols, secrets by { "env" } or { "file" } (default: FAPIAO_CONFIG)')
    .option('--channel <NAME=URL>', 'a reference-protocol channel; repeatable, in priority order (replaces the config file\'s channels; default: FAPIAO_CHANNELS)', parseChannel as (v: string, p: unknown) => unknown, [])
    .option('--with-simulator', 'start a simulator in this process and use it as the channel "simulator"');
}

/** The reasons a gateway cannot start that the operator fixes by changing how it is started: exit 2. */
const START_REFUSALS = new Set(['AddressInUseError', 'GatewayLockedError', 'StoreMissingError']);

/**
 * Starts the gateway of `config` (serve and demo), saying first when a new database is created, and
 * turning a taken port or a second gateway on one SQLite file into a one-line refusal.
 */
export async function startServing(config: GatewayConfig): Promise<Gateway> {
  limitHeapGrowth(config.heapGrowingPercent);
  await prepareStoreLocation(config.store, 'create');
  const { startGateway } = await import('../gateway.js');
  try {
    return await startGateway(config);
  } catch (error) {
    if (!(error instanceof Error) || !START_REFUSALS.has(error.name)) throw error;
    const hint =
      error.name === 'AddressInUseError' ? '; choose another port: fapiao serve --port N, npm start -- --port N, or FAPIAO_PORT=N' : '';
    throw new UsageError(`${error.message}${hint}`);
  }
}

export function registerServeCommand(program: Command): void {
  addServeOptions(program.command('serve').description('run the gateway: API and workers')).action(async (options: ServeOptions) => {
    const config = serveConfig(options);
    if (config.channels.length === 0 && !config.withSimulator) {
      throw new UsageError('no channel: give --config FILE with channels, --channel NAME=URL (repeatable) or --with-simulator');
    }
    const gateway = await startServing(config);
    stopOnSignal(gateway, config.shutdownMs);
    process.stdout.write(`fapiao gateway listening on ${gateway.url} (channels: ${gateway.channels.map((c) => c.name).join(', ')})\n`);
  });
}
