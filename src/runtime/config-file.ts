/**
 * The configuration file (`--config FILE` or FAPIAO_CONFIG, docs/configuration.md): JSON, checked
 * field by field with the path of whatever is wrong. Secrets are read from `{ "env": "NAME" }` or
 * `{ "file": "PATH" }` so that they are never written in the file, on a command line or in a log.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CHANNEL_PROTOCOLS, httpUrlFault, type ChannelConfig, type ConfigInput } from './config.js';
import { errorMessage } from '../domain/error-message.js';

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and checks a configuration file; `readEnv` answers `{ "env" }` secrets. */
export function readConfigFile(path: string, readEnv: (name: string) => string | undefined): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigFileError(`config ${path}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(`config ${path}: not JSON (${errorMessage(error)})`);
  }
  return configFromJson(parsed, { where: `config ${path}`, baseDir: dirname(resolve(path)), readEnv });
}

interface Reading {
  readonly where: string;
  /** Relative `{ "file" }` paths are read from the config file's own directory. */
  readonly baseDir: string;
  readonly readEnv: (name: string) => string | undefined;
}

/** The configuration a parsed file gives. */
function configFromJson(json: unknown, reading: Reading): ConfigInput {
  const fail = (path: string, message: string): never => {
    throw new ConfigFileError(`${reading.where}: ${path}: ${message}`);
  };
  if (!isObject(json)) return fail('(top)', 'must be a JSON object, e.g. { "channels": [ … ] }');
  for (const key of Object.keys(json)) if (key !== 'channels') fail(key, 'unknown setting (known: channels)');
  if (json.channels === undefined) return {};
  if (!Array.isArray(json.channels)) return fail('channels', 'must be an array of channels, in priority order');
  return { channels: json.channels.map((channel, index) => channelFromJson(channel, `channels[${index}]`, reading, fail)) };
}

function channelFromJson(json: unknown, at: string, reading: Reading, fail: (path: string, message: string) => never): ChannelConfig {
  if (!isObject(json)) return fail(at, 'must be an object with name, protocol and url');
  const protocol = json.protocol ?? 'reference';
  if (typeof protocol !== 'string' || !(CHANNEL_PROTOCOLS as readonly string[]).includes(protocol)) fail(`${at}.protocol`, `must be one of ${CHANNEL_PROTOCOLS.join(', ')}`);
  const known =
    protocol === 'nuonuo'
      ? ['name', 'protocol', 'url', 'tokenUrl', 'appKey', 'appSecret', 'extensionNumber', 'clerk', 'settleWindowSeconds', 'ratePerSecond']
      : protocol === 'baiwang'
        ? ['name', 'protocol', 'url', 'appKey', 'appSecret', 'username', 'password', 'salt', 'settleWindowSeconds', 'ratePerSecond']
        : ['name', 'protocol', 'url', 'ratePerSecond'];
  for (const key of Object.keys(json)) if (!known.includes(key)) fail(`${at}.${key}`, `unknown for protocol ${String(protocol)} (known: ${known.join(', ')})`);
  const text = (key: string, optional = false): string | undefined => {
    const value = json[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.trim() === '') return fail(`${at}.${key}`, 'must be a non-empty string');
    return value;
  };
  const url = (key: string): string => {
    const value = text(key)!;
    if (httpUrlFault(value)) fail(`${at}.${key}`, `${JSON.stringify(value)} is not an http:// or https:// URL`);
    return value;
  };
  const rate = json.ratePerSecond;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0))) fail(`${at}.ratePerSecond`, 'must be a positive number of calls per second');
  const common = { name: text('name')!, url: url('url'), ...(typeof rate === 'number' && { ratePerSecond: rate }) };
  if (protocol !== 'nuonuo' && protocol !== 'baiwang') return { ...common, protocol: 'reference' };
  const window = json.settleWindowSeconds;
  if (window !== undefined && (typeof window !== 'number' || !(window >= 0))) fail(`${at}.settleWindowSeconds`, 'must be a number of seconds, 0 or more');
  if (protocol === 'baiwang') {
    return {
      ...common,
      protocol: 'baiwang',
      appKey: text('appKey')!,
      appSecret: secret(json.appSecret, `${at}.appSecret`, reading, fail),
      username: text('username')!,
      password: secret(json.password, `${at}.password`, reading, fail),
      // The salt 百望 gave with the account; some accounts have none.
      ...(json.salt !== undefined && { salt: secret(json.salt, `${at}.salt`, reading, fail) }),
      ...(typeof window === 'number' && { settleWindowMs: window * 1000 }),
    };
  }
  const extensionNumber = text('extensionNumber', true);
  const clerk = text('clerk', true);
  return {
    ...common,
    protocol: 'nuonuo',
    tokenUrl: url('tokenUrl'),
    appKey: text('appKey')!,
    appSecret: secret(json.appSecret, `${at}.appSecret`, reading, fail),
    ...(extensionNumber !== undefined && { extensionNumber }),
    ...(clerk !== undefined && { clerk }),
    ...(typeof window === 'number' && { settleWindowMs: window * 1000 }),
  };
}

/** A secret: `{ "env": "NAME" }`, `{ "file": "PATH" }`, or (for trying things out) the text itself. */
function secret(value: unknown, at: string, reading: Reading, fail: (path: string, message: string) => never): string {
  if (typeof value === 'string' && value !== '') return value;
  if (isObject(value) && typeof value.env === 'string' && Object.keys(value).length === 1) {
    const found = reading.readEnv(value.env);
    if (found === undefined || found === '') fail(at, `the environment variable ${value.env} is not set`);
    return found;
  }
  if (isObject(value) && typeof value.file === 'string' && Object.keys(value).length === 1) {
    const file = resolve(reading.baseDir, value.file);
    let content: string;
    try {
      content = readFileSync(file, 'utf8').trim();
    } catch (error) {
      return fail(at, `cannot read the file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if (content === '') fail(at, `the file ${file} is empty`);
    return content;
  }
  return fail(at, 'must be { "env": "NAME" } or { "file": "PATH" } (or the secret itself, for a trial)');
}
