/**
 * The gateway's options: one typed object, defaults in one place, resolved once and handed to
 * everything else. Units are in the names. The environment is read only in env.ts.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THROTTLE_RULES, type ThrottleRules } from '../domain/sign-in-throttle.js';
import { isCleanUrl, maskedUrl } from './masked-url.js';

/** Where the store is: an SQLite file, or a PostgreSQL server. */
export type StoreLocation = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };

/** The algorithms a document signing key may have. */
export const SIGNING_ALGORITHMS = ['SM2-SM3', 'Ed25519'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** Render threads by default: every core but one for the API and workers, at least one. */
function defaultRenderThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** A channel speaking the reference protocol (docs/api.md); `--channel NAME=URL` is its shorthand. */
export interface ReferenceChannelConfig {
  readonly name: string;
  readonly protocol?: 'reference';
  readonly url: string;
  /** Calls per second this upstream allows, when known; otherwise learned from its 429s. */
  readonly ratePerSecond?: number;
}

/** A channel to 诺诺's open platform; the secret is resolved from the config file's `{ "env" }` or `{ "file" }`. */
export interface NuonuoChannelConfig {
  readonly name: string;
  readonly protocol: 'nuonuo';
  /** The business gateway, e.g. https://sdk.nuonuo.com/open/v1/services */
  readonly url: string;
  /** e.g. https://open.nuonuo.com/accessToken */
  readonly tokenUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  /** 分机号 of the 数电 issuing account. */
  readonly extensionNumber?: string;
  /** 开票员 for invoices that name no drawer. */
  readonly clerk?: string;
  /** How long after a send 诺诺's "not found" (E9500) proves it never took the order, ms. @default 10 minutes */
  readonly settleWindowMs?: number;
  readonly ratePerSecond?: number;
}

/** A channel to 百望云's open platform; the secrets are resolved from the config file's `{ "env" }` or `{ "file" }`. */
export interface BaiwangChannelConfig {
  readonly name: string;
  readonly protocol: 'baiwang';
  /** The router, e.g. https://openapi.baiwang.com/router/rest (sandbox: https://sandbox-openapi.baiwang.com/router/rest). */
  readonly url: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly username: string;
  /** The account's password in the clear; only its SHA-256 with the salt is sent. */
  readonly password: string;
  readonly salt?: string;
  /** How long after a send 百望's "not found" proves it never took the invoice, ms. @default 10 minutes */
  readonly settleWindowMs?: number;
  readonly ratePerSecond?: number;
}

/** One upstream channel; `protocol` chooses its adapter (src/channels/registry.ts). */
export type ChannelConfig = ReferenceChannelConfig | NuonuoChannelConfig | BaiwangChannelConfig;

/** A channel's name: a metric label and a word in commands, so short and plain. */
export const CHANNEL_NAME_FORM = /^[a-z][a-z0-9_-]{0,31}$/;

/** The protocols a channel may speak. */
export const CHANNEL_PROTOCOLS = ['reference', 'nuonuo', 'baiwang'] as const;

export interface GatewayConfig {
  /** Where the SQLite database, the simulator's ledger and (later) documents live. @default ./data */
  readonly dataDir: string;
  readonly store: StoreLocation;
  readonly host: string;
  readonly port: number;
  /** Upstream channels in priority order. */
  readonly channels: readonly ChannelConfig[];
  /** Start a simulator in this process and use it as the channel `simulator`. */
  readonly withSimulator: boolean;
  readonly logLevel: string;
  /** Threads that render documents; 0 renders none in this process. @default cores − 1, at least 1 */
  readonly renderThreads: number;
  /**
   * How far V8 lets the heap grow past what a full collection kept, per cent (src/runtime/heap-growth.ts);
   * undefined leaves V8's own growth. @default undefined
   */
  readonly heapGrowingPercent?: number;
  /** The algorithm of the signing key created at first start (an existing key is kept). @default SM2-SM3 */
  readonly signingAlgorithm: SigningAlgorithm;
  /** Largest request body, bytes. @default 1 MiB */
  readonly bodyLimitBytes: number;
  /** Accepts waiting for a commit before new ones get 503. @default 2000 */
  readonly acceptQueueLimit: number;
  /**
   * On SIGTERM/SIGINT: how long /readyz answers 503 while requests are still served, so a load
   * balancer stops sending new ones (FAPIAO_DRAIN_SECONDS), ms. @default 5000
   */
  readonly drainMs: number;
  /** The whole stop (drain, requests and attempts in flight, leases given back, pool closed) within this (FAPIAO_SHUTDOWN_SECONDS), ms. @default 30000 */
  readonly shutdownMs: number;
  /** How the HTTP server protects itself from slow and numerous clients. */
  readonly http: {
    /** The whole request (headers and body) must arrive within this, ms; else 408 and closed. @default 30000 */
    readonly requestTimeoutMs: number;
    /** The headers must arrive within this, ms. @default 10000 */
    readonly headersTimeoutMs: number;
    /** A connection with no traffic at all is closed after this, ms. @default 60000 */
    readonly idleTimeoutMs: number;
    /** How long an idle keep-alive connection is kept for the next request, ms. @default 5000 */
    readonly keepAliveTimeoutMs: number;
    /** Open connections at most; more are closed at once. @default 4096 */
    readonly maxConnections: number;
    /** Requests handled at once at most; more get 503 at once. 0 = no limit. @default 512 */
    readonly maxInFlight: number;
    /** Event-loop delay above which, with 32 or more requests in flight, requests are shed, ms. 0 = off. @default 100 */
    readonly maxEventLoopDelayMs: number;
    /**
     * Share of time the event loop is busy (0–1) above which, with turns over 10 ms, requests are
     * shed (an admitted share that falls while it lasts). 0 = off. @default 0.9
     */
    readonly maxEventLoopUtilization: number;
    /**
     * Which proxies' X-Forwarded-For to believe for the client's address (sign-in throttles, logs):
     * false none, a hop count, or their addresses and CIDR ranges (FAPIAO_TRUST_PROXY). @default false
     */
    readonly trustProxy: false | number | readonly string[];
  };
  /** How console sign-ins are held back (docs/security.md). */
  readonly signIn: {
    /** Password checks in flight in this process; more are answered 503. @default 2 */
    readonly checksInFlight: number;
    /** Password checks in flight for one name; more are answered 429. @default 2 */
    readonly checksPerName: number;
    /** Who must sign in with a second factor (FAPIAO_CONSOLE_REQUIRE_2FA): none, admin (admins and operators) or all. @default none */
    readonly require2fa: 'none' | 'admin' | 'all';
    readonly rules: ThrottleRules;
  };
  /** How long an idempotency key is remembered, ms; longer than any upstream's query window. @default 72 h */
  readonly idempotencyTtlMs: number;
  /** Age after which an invoice that provably never reached an upstream is given up (failed), ms. @default 72 h */
  readonly maxAgeMs: number;
  /** When each day (Beijing time) the day before is reconciled with every channel; null: never. @default 02:30 */
  readonly reconcileAt: { readonly hour: number; readonly minute: number } | null;
  readonly dispatcher: {
    readonly concurrency: number;
    /** @default 90000 — must be at least twice callTimeoutMs */
    readonly leaseMs: number;
    readonly pollIntervalMs: number;
    readonly backoffBaseMs: number;
    readonly backoffCapMs: number;
  };
  readonly upstream: {
    readonly connectTimeoutMs: number;
    readonly responseTimeoutMs: number;
    /** How soon to ask again about an invoice still being issued upstream, ms. */
    readonly pollAfterMs: number;
    /** Calls per second each channel allows, unless the channel says otherwise; 0: learn from 429s. @default 0 */
    readonly ratePerSecond: number;
  };
  /** Webhooks (docs/api.md "Webhooks") and email to buyers: how they are sent and retried. */
  readonly deliveries: {
    /** Waits between tries after a failed one, ms; when they run out the event or email is failed. @default 5s,5m,30m,2h,5h,10h,10h */
    readonly retryScheduleMs: readonly number[];
    /** A receiver must answer within this, ms. @default 15000 */
    readonly webhookTimeoutMs: number;
    /** Deliver to loopback, private and link-local addresses (development, tests). @default false */
    readonly allowPrivate: boolean;
    /** An endpoint failing this long without one success is disabled, ms. @default 5 days */
    readonly disableAfterMs: number;
    /** Deliveries in flight at once in this process. @default 16 */
    readonly concurrency: number;
    /** smtp://user:pass@host:port or smtps://…; null: invoices are not emailed. */
    readonly smtpUrl: string | null;
    /** The From of invoice emails. @default 发票网关 <fapiao@localhost> */
    readonly mailFrom: string;
    /** The key that seals webhook secrets at rest (32 bytes, base64); null: a key file in the data directory. */
    readonly secretsKey: string | null;
    /** Emails one invoice may be sent again in 24 hours (its first email counted). @default 5 */
    readonly emailPerInvoicePerDay: number;
    /** Emails one key (or console user) may ask for in an hour. @default 100 */
    readonly emailPerKeyPerHour: number;
  };
  readonly breaker: {
    readonly failuresToOpen: number;
    readonly halfOpenAfterMs: number;
    /** How long a channel rests after its credentials were refused, ms. */
    readonly pauseMs: number;
    /** How often channels that issue through a drawer's session (诺诺) are asked whether the drawer is logged in, ms; 0 never. */
    readonly drawerCheckMs: number;
  };
  /** The 发票额度 guard (docs/quota.md). */
  readonly quota: {
    /** How often a seller's quota is read where the channel sets no limit of its own, ms (诺诺: its 20 a day spread over the day). */
    readonly readIntervalMs: number;
    /** How often each process takes new snapshots of the sellers' quotas, ms. */
    readonly refreshMs: number;
    /** quota.low below this share of the month's total left. */
    readonly lowShare: number;
    /** quota.low when it runs out within this long at the current pace, ms. */
    readonly lowWithinMs: number;
    /** How often the reader looks for sellers whose read is due, ms. */
    readonly pollIntervalMs: number;
  };
}

const HOUR = 3_600_000;

/**
 * Settings the gateway fixes by design (no environment variable): written here beside the others so
 * that the composition root holds none of its own.
 */
export const TUNING = {
  /** How often expired idempotency keys and stale sign-in throttles are swept, ms. */
  sweepIntervalMs: 10 * 60_000,
  /** Write transactions in flight at once per process on PostgreSQL (of a pool of 10 connections). */
  postgresWriteLanes: 4,
  /** Accepts committed in one transaction at most. */
  commitMaxBatch: 256,
  webhooks: { pollIntervalMs: 1000, leaseSlackMs: 10_000 },
  emails: { concurrency: 4, pollIntervalMs: 1000, leaseMs: 120_000, sendTimeoutMs: 30_000, perInvoiceWindowMs: 24 * HOUR, perRequesterWindowMs: HOUR },
  /** Issued invoices leased per rendering thread at once. */
  documents: { batchPerThread: 4, leaseMs: 60_000 },
  reconciliation: { pollIntervalMs: 60_000, backoffBaseMs: 60_000, backoffCapMs: HOUR },
  /** One layer of the doctor run against a channel from the API, ms. */
  channelDoctorTimeoutMs: 5000,
  /** Sign-in holds remembered in memory: how long one is trusted, ms, and how many at most. */
  signInHolds: { ttlMs: 1000, entries: 50_000 },
  /**
   * Batches: the largest upload (file or JSON), rows issued per claim (a slice, then the batch is
   * due again, so a crash costs one slice's lease), rows in flight at once within a slice, and
   * when a batch still checking is taken for abandoned (its process stopped mid-check).
   */
  /** Quota reads: a read's lease, the wait after a failed read, ms. */
  quota: { leaseMs: 120_000, retryMs: 60_000 },
  batches: { maxUploadBytes: 32 * 1024 * 1024, leaseMs: 60_000, pollIntervalMs: 500, sliceRows: 2000, rowsInFlight: 256, retryMs: 1000, abandonedCheckMs: HOUR },
} as const;

export const DEFAULTS = {
  dataDir: './data',
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  bodyLimitBytes: 1024 * 1024,
  acceptQueueLimit: 2000,
  drainMs: 5000,
  shutdownMs: 30_000,
  http: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 5000, maxConnections: 4096, maxInFlight: 512, maxEventLoopDelayMs: 100, maxEventLoopUtilization: 0.9, trustProxy: false },
  signIn: { checksInFlight: 2, checksPerName: 2, require2fa: 'none', rules: DEFAULT_THROTTLE_RULES },
  idempotencyTtlMs: 72 * HOUR,
  maxAgeMs: 72 * HOUR,
  reconcileAt: { hour: 2, minute: 30 },
  dispatcher: { concurrency: 32, leaseMs: 90_000, pollIntervalMs: 250, backoffBaseMs: 1000, backoffCapMs: 60_000 },
  upstream: { connectTimeoutMs: 5000, responseTimeoutMs: 30_000, pollAfterMs: 500, ratePerSecond: 0 },
  breaker: { failuresToOpen: 5, halfOpenAfterMs: 10_000, pauseMs: 60_000, drawerCheckMs: 300_000 },
  quota: { readIntervalMs: 300_000, refreshMs: 5000, lowShare: 0.1, lowWithinMs: 24 * HOUR, pollIntervalMs: 5000 },
  deliveries: {
    // Svix's schedule after the first try (field-notes §4): about 28 hours in all.
    retryScheduleMs: [5000, 5 * 60_000, 30 * 60_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
    webhookTimeoutMs: 15_000,
    allowPrivate: false,
    disableAfterMs: 5 * 24 * HOUR,
    concurrency: 16,
    smtpUrl: null,
    mailFrom: '发票网关 <fapiao@localhost>',
    secretsKey: null,
    emailPerInvoicePerDay: 5,
    emailPerKeyPerHour: 100,
  },
} as const;

export type ConfigInput = Partial<Omit<GatewayConfig, 'dispatcher' | 'upstream' | 'breaker' | 'store' | 'http' | 'deliveries' | 'signIn' | 'quota'>> & {
  readonly quota?: Partial<GatewayConfig['quota']>;
  readonly signIn?: Partial<GatewayConfig['signIn']>;
  readonly deliveries?: Partial<GatewayConfig['deliveries']>;
  readonly http?: Partial<GatewayConfig['http']>;
  readonly databaseUrl?: string;
  /** The SQLite file, exactly as given (--db). @default <dataDir>/fapiao.db */
  readonly dbFile?: string;
  readonly dispatcher?: Partial<GatewayConfig['dispatcher']>;
  readonly upstream?: Partial<GatewayConfig['upstream']>;
  readonly breaker?: Partial<GatewayConfig['breaker']>;
};

/** Fills in defaults and checks the options that depend on each other. */
export function resolveConfig(input: ConfigInput): GatewayConfig {
  const dataDir = input.dataDir ?? DEFAULTS.dataDir;
  const config: GatewayConfig = {
    dataDir,
    store: input.databaseUrl ? { kind: 'postgres', url: input.databaseUrl } : { kind: 'sqlite', file: input.dbFile ?? join(dataDir, 'fapiao.db') },
    host: input.host ?? DEFAULTS.host,
    port: input.port ?? DEFAULTS.port,
    channels: input.channels ?? [],
    withSimulator: input.withSimulator ?? false,
    logLevel: input.logLevel ?? DEFAULTS.logLevel,
    renderThreads: input.renderThreads ?? defaultRenderThreads(),
    ...(input.heapGrowingPercent !== undefined && { heapGrowingPercent: input.heapGrowingPercent }),
    signingAlgorithm: input.signingAlgorithm ?? 'SM2-SM3',
    bodyLimitBytes: input.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    acceptQueueLimit: input.acceptQueueLimit ?? DEFAULTS.acceptQueueLimit,
    drainMs: input.drainMs ?? DEFAULTS.drainMs,
    shutdownMs: input.shutdownMs ?? DEFAULTS.shutdownMs,
    http: { ...DEFAULTS.http, ...input.http },
    signIn: { ...DEFAULTS.signIn, ...input.signIn },
    idempotencyTtlMs: input.idempotencyTtlMs ?? DEFAULTS.idempotencyTtlMs,
    maxAgeMs: input.maxAgeMs ?? DEFAULTS.maxAgeMs,
    reconcileAt: input.reconcileAt === undefined ? DEFAULTS.reconcileAt : input.reconcileAt,
    dispatcher: { ...DEFAULTS.dispatcher, ...input.dispatcher },
    upstream: { ...DEFAULTS.upstream, ...input.upstream },
    breaker: { ...DEFAULTS.breaker, ...input.breaker },
    quota: { ...DEFAULTS.quota, ...input.quota },
    deliveries: { ...DEFAULTS.deliveries, ...input.deliveries },
  };
  if (config.deliveries.retryScheduleMs.length === 0) throw new Error('the retry schedule needs at least one delay');
  if (config.deliveries.smtpUrl !== null && !isCleanUrl(config.deliveries.smtpUrl, ['smtp:', 'smtps:'])) {
    throw new Error(`FAPIAO_SMTP_URL must be smtp://user:pass@host:port or smtps://… with / : @ # ? in the user name or password percent-encoded (%2F %3A %40 %23 %3F), not ${maskedUrl(config.deliveries.smtpUrl)}`);
  }
  const callTimeoutMs = config.upstream.connectTimeoutMs + config.upstream.responseTimeoutMs;
  // A worker's call must end long before its lease does: otherwise another worker could take the
  // invoice over, query, find nothing yet, and send it again while the first call is still open.
  if (config.dispatcher.leaseMs < 2 * callTimeoutMs) {
    throw new Error(`lease (${config.dispatcher.leaseMs} ms) must be at least twice the call timeout (connect + response = ${callTimeoutMs} ms)`);
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) throw new Error('the headers timeout must not exceed the request timeout');
  if (config.drainMs >= config.shutdownMs) throw new Error(`the drain (${config.drainMs / 1000} s) must be shorter than the whole shutdown (${config.shutdownMs / 1000} s): FAPIAO_DRAIN_SECONDS < FAPIAO_SHUTDOWN_SECONDS`);
  if (config.idempotencyTtlMs < HOUR) throw new Error('idempotency keys must be kept at least one hour (72 h recommended)');
  const names = new Set<string>();
  for (const channel of config.channels) {
    if (!CHANNEL_NAME_FORM.test(channel.name)) throw new Error(`channel name ${JSON.stringify(channel.name)}: lower-case letters, digits, - and _, at most 32`);
    if (names.has(channel.name)) throw new Error(`channel ${channel.name} is configured twice`);
    names.add(channel.name);
  }
  return config;
}

/** DATABASE_URL as given, if it names PostgreSQL (the only server database); throws otherwise. */
export function checkDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`DATABASE_URL ${JSON.stringify(maskedUrl(url))}: only PostgreSQL is supported (postgres://user@host:5432/db); unset it to use SQLite (--db FILE)`);
  }
  return url;
}

/** What keeps `text` from being an upstream address (an http or https URL); undefined when nothing. */
export function httpUrlFault(text: string): 'not_a_url' | 'not_http' | undefined {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return 'not_a_url';
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? undefined : 'not_http';
}

/** One channel as written on the command line or in FAPIAO_CHANNELS: `NAME=URL`. */
export function parseChannelSpec(text: string): ChannelConfig {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`${JSON.stringify(text)}: write NAME=URL, e.g. nuonuo=https://…`);
  const url = text.slice(at + 1);
  const fault = httpUrlFault(url);
  if (fault === 'not_a_url') throw new Error(`${JSON.stringify(text)}: ${JSON.stringify(url)} is not a URL`);
  if (fault === 'not_http') throw new Error(`${JSON.stringify(text)}: the URL must be http:// or https://`);
  return { name: text.slice(0, at), url };
}

/** FAPIAO_CHANNELS: channels in priority order, separated by commas or white space. */
export function parseChannelList(text: string): ChannelConfig[] {
  return text.split(/[\s,]+/).filter((part) => part !== '').map(parseChannelSpec);
}

/** The longest one channel call may take. */
export function callTimeoutMs(config: GatewayConfig): number {
  return config.upstream.connectTimeoutMs + config.upstream.responseTimeoutMs;
}
