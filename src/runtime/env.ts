/** The one place that reads the environment; everything else receives a resolved GatewayConfig. */
import { parseRetrySchedule } from '../domain/webhook-events.js';
import ipaddr from 'ipaddr.js';
import { checkDatabaseUrl, SIGNING_ALGORITHMS, type SigningAlgorithm, parseChannelList, type ConfigInput } from './config.js';
import { errorMessage } from '../domain/error-message.js';

function number(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative number, not ${JSON.stringify(value)}`);
  return parsed;
}

function heapGrowingPercent(): number | undefined {
  const value = number('FAPIAO_HEAP_GROWING_PERCENT');
  if (value !== undefined && (!Number.isInteger(value) || value > 400)) {
    throw new Error(`FAPIAO_HEAP_GROWING_PERCENT must be a whole number from 0 (V8's own growth) to 400, not ${JSON.stringify(process.env.FAPIAO_HEAP_GROWING_PERCENT)}`);
  }
  return value;
}

function isAddressOrRange(entry: string): boolean {
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

function signingAlgorithm(): SigningAlgorithm | undefined {
  const value = process.env.FAPIAO_SIGNING_ALGORITHM;
  if (!value) return undefined;
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(value)) throw new Error(`FAPIAO_SIGNING_ALGORITHM must be ${SIGNING_ALGORITHMS.join(' or ')}, not ${value}`);
  return value as SigningAlgorithm;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(): string | undefined {
  const value = process.env.FAPIAO_LOG_LEVEL;
  if (!value) return undefined;
  if (!LOG_LEVELS.includes(value)) throw new Error(`FAPIAO_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(value)}`);
  return value;
}

function port(): number | undefined {
  const value = process.env.FAPIAO_PORT;
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`FAPIAO_PORT must be a port number 0–65535, not ${JSON.stringify(value)}`);
  return parsed;
}

/** FAPIAO_WEBHOOK_RETRY_SCHEDULE: `5s,5m,30m,2h` (plain numbers are ms). */
function retrySchedule(): number[] | undefined {
  const value = process.env.FAPIAO_WEBHOOK_RETRY_SCHEDULE;
  if (value === undefined || value === '') return undefined;
  try {
    return parseRetrySchedule(value);
  } catch (error) {
    throw new Error(`FAPIAO_WEBHOOK_RETRY_SCHEDULE: ${errorMessage(error)}`);
  }
}

/** FAPIAO_TRUST_PROXY: a hop count, or proxies' addresses and CIDR ranges separated by commas; 0 or empty: none. */
function trustProxy(): false | number | string[] | undefined {
  const value = process.env.FAPIAO_TRUST_PROXY?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrRange(entry));
  if (bad.length > 0) throw new Error(`FAPIAO_TRUST_PROXY must be a hop count or addresses and CIDR ranges separated by commas; not an address: ${bad.join(', ')}`);
  return entries;
}

/** FAPIAO_CONSOLE_REQUIRE_2FA: admin (admins and operators) or all must sign in with a second factor. */
function require2fa(): 'none' | 'admin' | 'all' | undefined {
  const value = process.env.FAPIAO_CONSOLE_REQUIRE_2FA;
  if (value === undefined || value === '') return undefined;
  if (value !== 'none' && value !== 'admin' && value !== 'all') throw new Error(`FAPIAO_CONSOLE_REQUIRE_2FA must be admin, all or none, not ${JSON.stringify(value)}`);
  return value;
}

/** FAPIAO_RECONCILE_AT: HH:MM Beijing time, or `off`. */
function reconcileAt(): { hour: number; minute: number } | null | undefined {
  const value = process.env.FAPIAO_RECONCILE_AT;
  if (value === undefined || value === '') return undefined;
  if (value === 'off') return null;
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new Error(`FAPIAO_RECONCILE_AT must be HH:MM (Beijing time) or off, not ${JSON.stringify(value)}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

function channelList(text: string) {
  try {
    return parseChannelList(text);
  } catch (error) {
    throw new Error(`FAPIAO_CHANNELS: ${errorMessage(error)}`);
  }
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Options from FAPIAO_* variables and DATABASE_URL; command-line flags override them. */
export function configFromEnv(): ConfigInput {
  return defined({
    databaseUrl: process.env.DATABASE_URL ? checkDatabaseUrl(process.env.DATABASE_URL) : undefined,
    dataDir: process.env.FAPIAO_DATA_DIR || undefined,
    channels: process.env.FAPIAO_CHANNELS ? channelList(process.env.FAPIAO_CHANNELS) : undefined,
    port: port(),
    logLevel: logLevel(),
    renderThreads: number('FAPIAO_RENDER_THREADS'),
    heapGrowingPercent: heapGrowingPercent(),
    reconcileAt: reconcileAt(),
    signingAlgorithm: signingAlgorithm(),
    idempotencyTtlMs: number('FAPIAO_IDEMPOTENCY_TTL_HOURS') !== undefined ? number('FAPIAO_IDEMPOTENCY_TTL_HOURS')! * 3_600_000 : undefined,
    maxAgeMs: number('FAPIAO_MAX_AGE_HOURS') !== undefined ? number('FAPIAO_MAX_AGE_HOURS')! * 3_600_000 : undefined,
    acceptQueueLimit: number('FAPIAO_ACCEPT_QUEUE_LIMIT'),
    drainMs: number('FAPIAO_DRAIN_SECONDS') !== undefined ? number('FAPIAO_DRAIN_SECONDS')! * 1000 : undefined,
    shutdownMs: number('FAPIAO_SHUTDOWN_SECONDS') !== undefined ? number('FAPIAO_SHUTDOWN_SECONDS')! * 1000 : undefined,
    http: defined({
      requestTimeoutMs: number('FAPIAO_REQUEST_TIMEOUT_MS'),
      headersTimeoutMs: number('FAPIAO_HEADERS_TIMEOUT_MS'),
      idleTimeoutMs: number('FAPIAO_IDLE_TIMEOUT_MS'),
      keepAliveTimeoutMs: number('FAPIAO_KEEP_ALIVE_TIMEOUT_MS'),
      maxConnections: number('FAPIAO_MAX_CONNECTIONS'),
      maxInFlight: number('FAPIAO_MAX_IN_FLIGHT'),
      maxEventLoopDelayMs: number('FAPIAO_MAX_EVENT_LOOP_DELAY_MS'),
      maxEventLoopUtilization: number('FAPIAO_MAX_EVENT_LOOP_UTILIZATION'),
      trustProxy: trustProxy(),
    }),
    signIn: defined({
      checksInFlight: number('FAPIAO_SIGNIN_CHECKS_IN_FLIGHT'),
      require2fa: require2fa(),
    }),
    dispatcher: defined({
      leaseMs: number('FAPIAO_LEASE_MS'),
      concurrency: number('FAPIAO_CONCURRENCY'),
      pollIntervalMs: number('FAPIAO_POLL_INTERVAL_MS'),
      backoffBaseMs: number('FAPIAO_BACKOFF_BASE_MS'),
      backoffCapMs: number('FAPIAO_BACKOFF_CAP_MS'),
    }),
    upstream: defined({
      connectTimeoutMs: number('FAPIAO_CONNECT_TIMEOUT_MS'),
      responseTimeoutMs: number('FAPIAO_RESPONSE_TIMEOUT_MS'),
      pollAfterMs: number('FAPIAO_POLL_AFTER_MS'),
      ratePerSecond: number('FAPIAO_UPSTREAM_RATE_LIMIT'),
    }),
    deliveries: defined({
      retryScheduleMs: retrySchedule(),
      allowPrivate: process.env.FAPIAO_WEBHOOK_ALLOW_PRIVATE ? process.env.FAPIAO_WEBHOOK_ALLOW_PRIVATE === '1' : undefined,
      webhookTimeoutMs: number('FAPIAO_WEBHOOK_TIMEOUT_MS'),
      disableAfterMs: number('FAPIAO_WEBHOOK_DISABLE_AFTER_HOURS') !== undefined ? number('FAPIAO_WEBHOOK_DISABLE_AFTER_HOURS')! * 3_600_000 : undefined,
      smtpUrl: process.env.FAPIAO_SMTP_URL || undefined,
      mailFrom: process.env.FAPIAO_MAIL_FROM || undefined,
      secretsKey: process.env.FAPIAO_SECRETS_KEY || undefined,
      emailPerInvoicePerDay: number('FAPIAO_EMAIL_PER_INVOICE_PER_DAY'),
      emailPerKeyPerHour: number('FAPIAO_EMAIL_PER_KEY_PER_HOUR'),
    }),
    breaker: defined({
      failuresToOpen: number('FAPIAO_BREAKER_FAILURES'),
      halfOpenAfterMs: number('FAPIAO_BREAKER_HALF_OPEN_MS'),
      pauseMs: number('FAPIAO_CHANNEL_PAUSE_MS'),
      drawerCheckMs: number('FAPIAO_DRAWER_CHECK_SECONDS') !== undefined ? number('FAPIAO_DRAWER_CHECK_SECONDS')! * 1000 : undefined,
    }),
    quota: defined({
      readIntervalMs: number('FAPIAO_QUOTA_READ_SECONDS') !== undefined ? number('FAPIAO_QUOTA_READ_SECONDS')! * 1000 : undefined,
      lowShare: number('FAPIAO_QUOTA_LOW_PERCENT') !== undefined ? number('FAPIAO_QUOTA_LOW_PERCENT')! / 100 : undefined,
      lowWithinMs: number('FAPIAO_QUOTA_LOW_HOURS') !== undefined ? number('FAPIAO_QUOTA_LOW_HOURS')! * 3_600_000 : undefined,
    }),
  }) as ConfigInput;
}

/**
 * The raw values a command reads before a GatewayConfig exists (which database, which data
 * directory, how to print), through this module like every other variable.
 */
export const environment = {
  get databaseUrl(): string | undefined {
    return process.env.DATABASE_URL || undefined;
  },
  get dataDir(): string | undefined {
    return process.env.FAPIAO_DATA_DIR || undefined;
  },
  /** Whether FAPIAO_LOG_LEVEL was set at all (the demo is quieter unless it was). */
  get logLevelGiven(): boolean {
    return Boolean(process.env.FAPIAO_LOG_LEVEL);
  },
  /** Whether FAPIAO_DRAIN_SECONDS was set at all (the demo does not drain unless it was). */
  get drainGiven(): boolean {
    return Boolean(process.env.FAPIAO_DRAIN_SECONDS);
  },
  /** FAPIAO_DEBUG: print stack traces of unexpected errors. */
  get debug(): boolean {
    return Boolean(process.env.FAPIAO_DEBUG);
  },
  /** NO_COLOR (no-color.org). */
  get noColor(): boolean {
    return Boolean(process.env.NO_COLOR);
  },
  /** NODE_EXTRA_CA_CERTS: the extra CAs Node trusts, which the doctor reports on. */
  get extraCaCertsFile(): string | undefined {
    return process.env.NODE_EXTRA_CA_CERTS || undefined;
  },
  /** FAPIAO_SECRETS_KEY: the key that seals secrets at rest, when it is not the data directory's file. */
  get secretsKey(): string | null {
    return process.env.FAPIAO_SECRETS_KEY || null;
  },
  /** FAPIAO_API_KEY: the key `fapiao import` calls the gateway with, when --key is not given. */
  get apiKey(): string | undefined {
    return process.env.FAPIAO_API_KEY || undefined;
  },
  /** FAPIAO_GATEWAY_URL: where `fapiao import` finds the gateway, when --gateway is not given. */
  get gatewayUrl(): string | undefined {
    return process.env.FAPIAO_GATEWAY_URL || undefined;
  },
  /** FAPIAO_CONFIG: the configuration file, when --config is not given. */
  get configFile(): string | undefined {
    return process.env.FAPIAO_CONFIG || undefined;
  },
  /** One variable a configuration file names for a secret (`{ "env": "NAME" }`). */
  variable(name: string): string | undefined {
    return process.env[name];
  },
  /**
   * OpenTelemetry's standard variables, as far as the gateway reads them itself (the OTLP exporter
   * reads the rest: headers, timeouts, per-signal endpoints). Tracing is on when an OTLP endpoint
   * is given, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
   */
  get tracing(): { readonly on: boolean; readonly protocol: string; readonly serviceName: string; readonly sampler: string | undefined; readonly samplerArg: string | undefined } {
    const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const off = process.env.OTEL_SDK_DISABLED === 'true' || process.env.OTEL_TRACES_EXPORTER === 'none';
    return {
      on: Boolean(endpoint) && !off,
      protocol: process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf',
      serviceName: process.env.OTEL_SERVICE_NAME || 'fapiao-gateway',
      sampler: process.env.OTEL_TRACES_SAMPLER || undefined,
      samplerArg: process.env.OTEL_TRACES_SAMPLER_ARG || undefined,
    };
  },
  /** The version npm passes to scripts it runs. */
  get packageVersion(): string | undefined {
    return process.env.npm_package_version;
  },
};
