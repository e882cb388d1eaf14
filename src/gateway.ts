/**
 * The running gateway: store, channels, dispatcher and API wired together from one resolved
 * config. `fapiao serve` and the integration tests start it the same way.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './api/app.js';
import type { Channel } from './channels/channel.js';
import { buildChannel } from './channels/registry.js';
import { ChannelHealth } from './dispatch/channel-health.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { DailyReconciliation } from './dispatch/daily-reconciliation.js';
import { DrawerWatch } from './dispatch/drawer-watch.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { callTimeoutMs, type GatewayConfig } from './runtime/config.js';
import { GatewayEvents } from './runtime/events.js';
import { createLogger } from './runtime/logger.js';
import { createMetrics } from './runtime/metrics.js';
import { DocumentRenderer } from './dispatch/document-renderer.js';
import { RenderPool } from './documents/render-pool.js';
import { loadOrCreateSigningKey, type SigningKey } from './documents/signing-key.js';
import { NO_FAULTS } from './simulator/faults.js';
import { startSimulator, type RunningSimulator } from './simulator/simulator-server.js';
import { ChannelTokens } from './store/channel-tokens.js';
import { openStore, type Store } from './store/database.js';
import { takeGatewayLock, type GatewayLock } from './store/gateway-lock.js';
import { GroupCommit } from './store/group-commit.js';
import { scrapeReadings } from './store/scrape-readings.js';
import { StorageHealth } from './store/storage-health.js';
import { purgeExpiredIdempotencyKeys } from './store/invoice-store.js';
import { sweepSignInThrottles } from './store/sign-in-throttle.js';
import { eventData } from './api/event-data.js';
import { SmtpMailer } from './channels/smtp-mailer.js';
import { WebhookPoster } from './channels/webhook-post.js';
import { ChannelReports } from './dispatch/channel-reports.js';
import { EmailSender } from './dispatch/email-sender.js';
import { WebhookDeliverer } from './dispatch/webhook-deliverer.js';
import { SecretBox } from './runtime/secret-box.js';
import { runChannelDoctor } from './doctor/doctor.js';

export interface Gateway {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  readonly simulator: RunningSimulator | undefined;
  readonly channels: readonly Channel[];
  /** This gateway's document signing key (created in `dataDir/keys` at first start). */
  readonly signingKey: SigningKey;
  /** The daily reconciliation (FAPIAO_RECONCILE_AT); undefined when off or workers are off. */
  readonly reconciliation: DailyReconciliation | undefined;
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 10 * 60_000;
/** Write transactions in flight at once per process on PostgreSQL (of a pool of 10 connections). */
const POSTGRES_WRITE_LANES = 4;

/** The port (or address) is taken by another process; the operator must choose another. */
export class AddressInUseError extends Error {
  override readonly name = 'AddressInUseError';
}

export async function startGateway(config: GatewayConfig, options: { readonly clock?: Clock; readonly log?: Logger } = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  const signingKey = loadOrCreateSigningKey(config.dataDir, config.signingAlgorithm);
  const store = await openStore(config.store);
  let lock: GatewayLock | undefined;
  try {
    lock = config.store.kind === 'sqlite' && config.store.file !== ':memory:' ? takeGatewayLock(config.store.file) : undefined;
  } catch (error) {
    await store.close();
    throw error;
  }
  const simulator = config.withSimulator
    ? await startSimulator({ dataDir: join(config.dataDir, 'simulator'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS })
    : undefined;
  const channelConfigs = [...(simulator ? [{ name: 'simulator', url: simulator.url }] : []), ...config.channels];
  // The channels report to `events`, created below once their health exists; they report only
  // after connecting, which happens after start-up.
  const secrets = SecretBox.open({ key: config.deliveries.secretsKey, dataDir: config.dataDir });
  const tokens = new ChannelTokens(store.db, () => clock.now(), secrets);
  const channels: Channel[] = channelConfigs.map((channel) =>
    buildChannel(channel, {
      upstream: config.upstream,
      observer: (name) => ({
        phase: (kind, phase, seconds) => events.upstreamPhase({ channel: name, kind, phase, seconds }),
        certificate: (expiresAt) => {
          events.certificateSeen({ channel: name, expiresAt });
          health.certificateSeen(name, expiresAt);
        },
      }),
      tokens,
    }),
  );
  const health = new ChannelHealth(
    channels.map((channel) => channel.name),
    clock,
    {
      failuresToOpen: config.breaker.failuresToOpen,
      halfOpenAfterMs: config.breaker.halfOpenAfterMs,
      pauseMs: config.breaker.pauseMs,
      ratePerSecond: Object.fromEntries(channelConfigs.map((channel) => [channel.name, channel.ratePerSecond ?? config.upstream.ratePerSecond])),
      // Reported once `events` exists below; no call (so no change) happens before start-up ends.
      onChange: (change) => {
        events.channelChanged(change);
        channelReports.changed(change);
      },
    },
  );
  const metrics = createMetrics({ database: scrapeReadings(store.reader), channels: () => health.snapshot(), clock });
  const events = new GatewayEvents(log, metrics);
  const deliveries = config.deliveries;
  const workersOn = config.dispatcher.concurrency > 0;
  const webhooks = workersOn
    ? new WebhookDeliverer(
        {
          db: store.db,
          capabilities: store.capabilities,
          poster: new WebhookPoster({ timeoutMs: deliveries.webhookTimeoutMs, allowPrivate: deliveries.allowPrivate }),
          secrets,
          eventData,
          clock,
          log,
          events,
        },
        { concurrency: deliveries.concurrency, pollIntervalMs: 1000, retryScheduleMs: deliveries.retryScheduleMs, disableAfterMs: deliveries.disableAfterMs, leaseMs: 2 * deliveries.webhookTimeoutMs + 10_000 },
      )
    : undefined;
  const channelReports = new ChannelReports({ db: store.db, capabilities: store.capabilities, now: () => clock.now(), log, reported: () => webhooks?.wake() });
  const mailer = deliveries.smtpUrl ? new SmtpMailer({ url: deliveries.smtpUrl, from: deliveries.mailFrom, timeoutMs: 30_000 }) : undefined;
  const emails =
    mailer && workersOn
      ? new EmailSender(
          { db: store.db, capabilities: store.capabilities, mailer, clock, log, events },
          { concurrency: 4, pollIntervalMs: 1000, retryScheduleMs: deliveries.retryScheduleMs, leaseMs: 120_000 },
        )
      : undefined;
  // The committer wakes the dispatcher after each commit; no commit can happen before both exist.
  const storage = new StorageHealth(() => clock.now());
  // PostgreSQL takes several write transactions at once (each on its own audit chain, opened
  // now so the first writers need not wait for one); SQLite one.
  const lanes = store.capabilities.multipleWriters ? POSTGRES_WRITE_LANES : 1;
  await store.auditChains?.atLeast(lanes);
  const commit = new GroupCommit(store.db, { maxBatch: 256, maxQueued: config.acceptQueueLimit, onCommit: () => dispatcher.wake(), storage, lanes });
  const dispatcher = new Dispatcher(
    { db: store.db, capabilities: store.capabilities, commit, channels: new Map(channels.map((c) => [c.name, c])), health, clock, log, events },
    {
      concurrency: config.dispatcher.concurrency,
      leaseMs: config.dispatcher.leaseMs,
      pollIntervalMs: config.dispatcher.pollIntervalMs,
      callTimeoutMs: callTimeoutMs(config),
      backoff: { baseMs: config.dispatcher.backoffBaseMs, capMs: config.dispatcher.backoffCapMs },
    },
  );
  let running = false;
  const app = await buildApp({
    db: store.db,
    reader: store.reader,
    capabilities: store.capabilities,
    commit,
    clock,
    health,
    log,
    bodyLimitBytes: config.bodyLimitBytes,
    http: config.http,
    signIn: config.signIn,
    storage,
    idempotencyTtlMs: config.idempotencyTtlMs,
    maxAgeMs: config.maxAgeMs,
    workersRunning: () => running,
    onIsolationChanged: () => dispatcher.isolationsChanged(),
    events,
    metrics,
    emailEnabled: mailer !== undefined,
    emailLimits: { perInvoice: deliveries.emailPerInvoicePerDay, perInvoiceWindowMs: 24 * 3_600_000, perRequester: deliveries.emailPerKeyPerHour, perRequesterWindowMs: 3_600_000 },
    secrets,
    webhookAllowPrivate: deliveries.allowPrivate,
    onDeliveriesDue: () => webhooks?.wake(),
    doctor: (name) =>
      runChannelDoctor(channelConfigs.find((channel) => channel.name === name)!, {
        timeoutMs: 5000,
        dataDir: config.dataDir,
        store: config.store,
        gatewayUrl: `http://127.0.0.1:${config.port}`,
        concurrency: config.dispatcher.concurrency,
        tokens,
      }),
  });
  try {
    // A deep listen queue: a burst of new connections waits to be accepted (and answered, or shed
    // at once) rather than overflowing into SYN retries that clients see as multi-second stalls.
    await app.listen({ host: config.host, port: config.port, backlog: 4096 });
  } catch (error) {
    // Nothing may keep the process alive after a failed start: it must exit with the reason.
    await app.close();
    await Promise.all(channels.map((channel) => channel.close()));
    await simulator?.close();
    await store.close();
    lock?.release();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new AddressInUseError(`port ${config.port} on ${config.host} is already in use by another program`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new AddressInUseError(`cannot listen on ${config.host}:${config.port} (${code})`);
    throw error;
  }
  dispatcher.start();
  const drawers = new DrawerWatch(channels, health, log, { intervalMs: config.breaker.drawerCheckMs, callTimeoutMs: callTimeoutMs(config) });
  drawers.start();
  const pool = config.renderThreads > 0 ? new RenderPool(config.renderThreads, signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) : undefined;
  const renderer = pool
    ? new DocumentRenderer(
        { db: store.db, capabilities: store.capabilities, commit, pool, clock, log, events, emailBuyers: mailer !== undefined },
        {
          batch: 4 * config.renderThreads,
          leaseMs: 60_000,
          pollIntervalMs: config.dispatcher.pollIntervalMs,
          backoff: { baseMs: config.dispatcher.backoffBaseMs, capMs: config.dispatcher.backoffCapMs },
        },
      )
    : undefined;
  renderer?.start();
  const reconciliation =
    config.reconcileAt && config.dispatcher.concurrency > 0
      ? new DailyReconciliation({
          db: store.db,
          capabilities: store.capabilities,
          channels,
          clock,
          events,
          log,
          at: config.reconcileAt,
          pollIntervalMs: 60_000,
          backoff: { baseMs: 60_000, capMs: 3_600_000 },
        })
      : undefined;
  reconciliation?.start();
  webhooks?.start();
  emails?.start();
  running = true;
  const purge = setInterval(() => {
    purgeExpiredIdempotencyKeys(store.db, clock.now()).catch((error: unknown) => log.warn({ err: error }, 'idempotency purge failed'));
    sweepSignInThrottles(store.db, { rules: config.signIn.rules, now: clock.now() }).catch((error: unknown) => log.warn({ err: error }, 'sign-in throttle sweep failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    app,
    store,
    dispatcher,
    simulator,
    channels,
    signingKey,
    reconciliation,
    async close() {
      clearInterval(purge);
      running = false;
      await app.close();
      await dispatcher.stop();
      await drawers.stop();
      await renderer?.stop();
      await reconciliation?.stop();
      await webhooks?.stop();
      await emails?.stop();
      await channelReports.settled();
      mailer?.close();
      await pool?.close();
      await Promise.all(channels.map((channel) => channel.close()));
      await simulator?.close();
      await store.close();
      lock?.release();
    },
  };
}
