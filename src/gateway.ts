/**
 * The composition root: the running gateway wired from one resolved config, in four phases read top
 * to bottom — store, channels, workers, API — each registering its own close, run in reverse order.
 * `fapiao serve` and the integration tests start it the same way.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type UseCases } from './api/app.js';
import { eventData } from './api/event-data.js';
import { signInDeps } from './access/sign-in.js';
import type { Channel } from './channels/channel.js';
import { buildChannel } from './channels/registry.js';
import { SmtpMailer } from './outbound/smtp-mailer.js';
import { WebhookPoster } from './outbound/webhook-post.js';
import { ChannelHealth } from './dispatch/channel-health.js';
import { ChannelReports } from './dispatch/channel-reports.js';
import { DailyReconciliation } from './dispatch/daily-reconciliation.js';
import { DocumentRenderer } from './dispatch/document-renderer.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { DrawerWatch } from './dispatch/drawer-watch.js';
import { EmailSender } from './dispatch/email-sender.js';
import { BatchIssuer } from './dispatch/batch-issuer.js';
import { purgeAbandonedBatchChecks } from './store/batch-store.js';
import { BatchImport } from './invoicing/batch-import.js';
import { BatchReading } from './invoicing/batch-reading.js';
import { WebhookDeliverer } from './dispatch/webhook-deliverer.js';
import { runChannelDoctor } from './doctor/doctor.js';
import { RenderPool } from './documents/render-pool.js';
import { loadOrCreateSigningKey, type SigningKey } from './documents/signing-key.js';
import { emailInvoiceAgain } from './invoicing/invoice-email.js';
import { InvoiceReading } from './invoicing/invoice-reading.js';
import { Invoicing } from './invoicing/invoicing.js';
import { WebhookSubscriptions } from './invoicing/webhook-subscriptions.js';
import { ChannelControl } from './operating/channel-control.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { QuotaGuard, quotaReadings, type QuotaSnapshot } from './invoicing/quota-guard.js';
import { SellerQuotas } from './invoicing/seller-quota.js';
import { RedWithdrawal } from './invoicing/red-withdrawal.js';
import { QuotaReader } from './dispatch/quota-reader.js';
import { QuotaWatch } from './dispatch/quota-watch.js';
import { callTimeoutMs, TUNING, type ChannelConfig, type GatewayConfig } from './runtime/config.js';
import { GatewayEvents } from './runtime/events.js';
import { Lifecycle } from './runtime/lifecycle.js';
import { createLogger } from './runtime/logger.js';
import { createMetrics, type Metrics } from './runtime/metrics.js';
import { SecretBox } from './runtime/secret-box.js';
import { NO_FAULTS } from './simulator/faults.js';
import { startSimulator, type RunningSimulator } from './simulator/simulator-server.js';
import { ChannelTokens } from './store/channel-tokens.js';
import { openStore, type OpenStoreOptions, type Store } from './store/database.js';
import { takeGatewayLock } from './store/gateway-lock.js';
import { GroupCommit } from './store/group-commit.js';
import { purgeExpiredIdempotencyKeys } from './store/invoice-store.js';
import { scrapeReadings } from './store/scrape-readings.js';
import { sweepSignInThrottles } from './store/sign-in-throttle.js';
import { StorageHealth } from './store/storage-health.js';

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
  readonly lifecycle: Lifecycle;
  /** Stops at once: waits for the requests and attempts in flight, however long they take (tests, failed starts). */
  close(): Promise<void>;
  /**
   * The graceful stop of SIGTERM/SIGINT: not ready at once, requests served for the drain, then
   * refused with 503 while those in flight finish; workers stop claiming, attempts in flight finish
   * or are aborted by the deadline and their leases given back; the pool closes — all within
   * FAPIAO_SHUTDOWN_SECONDS. Resolves when everything is closed.
   */
  shutdown(signal: string): Promise<void>;
}

/**
 * Of the shutdown's time, what is kept after the workers' deadline for giving leases back and
 * closing the pool, ms (at most a tenth of the whole).
 */
const CLOSE_MARGIN_MS = 3000;

/** The port (or address) is taken by another process; the operator must choose another. */
export class AddressInUseError extends Error {
  override readonly name = 'AddressInUseError';
}

/** What each phase opened, closed in the reverse order of opening (the API before the workers it feeds, the store last). */
class Closers {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  async closeAll(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

interface Basics {
  readonly config: GatewayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly closers: Closers;
  readonly lifecycle: Lifecycle;
  /** By when (epoch ms) the API and the workers must have stopped: set by a graceful shutdown, else never. */
  readonly stopBy: { at: number };
  readonly onQuery?: OpenStoreOptions['onQuery'];
}

/** Phase 1: the database (and, on SQLite, the lock that keeps a second gateway off it), the signing and sealing keys. */
async function openStorePhase({ config, closers, onQuery }: Basics) {
  const signingKey = loadOrCreateSigningKey(config.dataDir, config.signingAlgorithm);
  const store = await openStore(config.store, { ...(onQuery && { onQuery }) });
  closers.add(() => store.close());
  const lock = config.store.kind === 'sqlite' && config.store.file !== ':memory:' ? takeGatewayLock(config.store.file) : undefined;
  if (lock) closers.add(() => lock.release());
  const secrets = SecretBox.open({ key: config.deliveries.secretsKey, dataDir: config.dataDir });
  return { store, signingKey, secrets };
}

/**
 * Phase 2: the upstream channels (the built-in simulator first when asked), their health, and the
 * events module that turns what happens into metrics and log lines.
 */
async function startChannelsPhase({ config, clock, log, closers }: Basics, { store, secrets }: Awaited<ReturnType<typeof openStorePhase>>) {
  const simulator = config.withSimulator
    ? await startSimulator({ dataDir: join(config.dataDir, 'simulator'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS })
    : undefined;
  if (simulator) closers.add(() => simulator.close());
  const channelConfigs: readonly ChannelConfig[] = [...(simulator ? [{ name: 'simulator', url: simulator.url }] : []), ...config.channels];
  // The metrics read the health lazily, at scrape time; the health reports changes to the events.
  const scraped = { channels: (): ReturnType<ChannelHealth['snapshot']> => [] };
  const scrapedQuotas = { all: (): readonly QuotaSnapshot[] => [] };
  const metrics: Metrics = createMetrics({ database: scrapeReadings(store.reader), channels: () => scraped.channels(), quotas: () => quotaReadings(scrapedQuotas.all(), clock.now()), clock });
  const events = new GatewayEvents(log, metrics);
  // Channel changes become webhook events; the deliverer, started with the workers, is woken by them.
  const wakeWebhooks = { now: (): void => undefined };
  const channelReports = new ChannelReports({ db: store.db, capabilities: store.capabilities, now: () => clock.now(), log, reported: () => wakeWebhooks.now() });
  closers.add(() => channelReports.settled());
  const channelHealth = new ChannelHealth(
    channelConfigs.map((channel) => channel.name),
    clock,
    {
      failuresToOpen: config.breaker.failuresToOpen,
      halfOpenAfterMs: config.breaker.halfOpenAfterMs,
      pauseMs: config.breaker.pauseMs,
      ratePerSecond: Object.fromEntries(channelConfigs.map((channel) => [channel.name, channel.ratePerSecond ?? config.upstream.ratePerSecond])),
      onChange: (change) => {
        events.channelChanged(change);
        channelReports.changed(change);
      },
    },
  );
  scraped.channels = () => channelHealth.snapshot();
  const tokens = new ChannelTokens(store.db, () => clock.now(), secrets);
  const channels: Channel[] = channelConfigs.map((channel) =>
    buildChannel(channel, {
      upstream: config.upstream,
      observer: (name) => ({
        phase: (kind, phase, seconds) => events.upstreamPhase({ channel: name, kind, phase, seconds }),
        certificate: (expiresAt) => {
          events.certificateSeen({ channel: name, expiresAt });
          channelHealth.certificateSeen(name, expiresAt);
        },
      }),
      tokens,
    }),
  );
  closers.add(() => Promise.all(channels.map((channel) => channel.close())));
  return { simulator, channelConfigs, channels, health: channelHealth, metrics, events, tokens, wakeWebhooks, scrapedQuotas };
}

/**
 * Phase 3: the group committer and the workers (dispatcher, renderer, deliverers, reconciliation),
 * made but not started: nothing runs before the API listens.
 */
async function buildWorkersPhase(
  { config, clock, log, closers, stopBy }: Basics,
  { store, secrets, signingKey }: Awaited<ReturnType<typeof openStorePhase>>,
  { channels, health, events, wakeWebhooks, scrapedQuotas }: Awaited<ReturnType<typeof startChannelsPhase>>,
) {
  const { deliveries } = config;
  const workersOn = config.dispatcher.concurrency > 0;
  const webhooks = workersOn
    ? new WebhookDeliverer(
        { db: store.db, capabilities: store.capabilities, poster: new WebhookPoster({ timeoutMs: deliveries.webhookTimeoutMs, allowPrivate: deliveries.allowPrivate }), secrets, eventData, clock, log, events },
        {
          concurrency: deliveries.concurrency,
          pollIntervalMs: TUNING.webhooks.pollIntervalMs,
          retryScheduleMs: deliveries.retryScheduleMs,
          disableAfterMs: deliveries.disableAfterMs,
          leaseMs: 2 * deliveries.webhookTimeoutMs + TUNING.webhooks.leaseSlackMs,
        },
      )
    : undefined;
  if (webhooks) wakeWebhooks.now = () => webhooks.wake();
  const mailer = deliveries.smtpUrl ? new SmtpMailer({ url: deliveries.smtpUrl, from: deliveries.mailFrom, timeoutMs: TUNING.emails.sendTimeoutMs }) : undefined;
  if (mailer) closers.add(() => mailer.close());
  const emails =
    mailer && workersOn
      ? new EmailSender(
          { db: store.db, capabilities: store.capabilities, mailer, clock, log, events },
          { concurrency: TUNING.emails.concurrency, pollIntervalMs: TUNING.emails.pollIntervalMs, retryScheduleMs: deliveries.retryScheduleMs, leaseMs: TUNING.emails.leaseMs },
        )
      : undefined;

  const storage = new StorageHealth(() => clock.now());
  // PostgreSQL takes several write transactions at once (each on its own audit chain, opened now
  // so the first writers need not wait for one); SQLite one.
  const lanes = store.capabilities.multipleWriters ? TUNING.postgresWriteLanes : 1;
  await store.auditChains?.atLeast(lanes);
  // Each commit may have queued invoices: the dispatcher is told at once instead of at its next poll.
  const wakeDispatcher = { now: (): void => undefined };
  const commit = new GroupCommit(store.db, { maxBatch: TUNING.commitMaxBatch, maxQueued: config.acceptQueueLimit, onCommit: () => wakeDispatcher.now(), storage, lanes });
  // The sellers' monthly quota: every process keeps its own snapshots (the dispatcher asks them
  // before a first send), the watch refreshes them, one process at a time reads each upstream.
  const quota = new QuotaGuard({ db: store.reader, capabilities: store.capabilities, clock });
  scrapedQuotas.all = () => quota.all();
  const dispatcher = new Dispatcher(
    { db: store.db, capabilities: store.capabilities, commit, channels: new Map(channels.map((c) => [c.name, c])), health, clock, log, events, quota },
    {
      concurrency: config.dispatcher.concurrency,
      leaseMs: config.dispatcher.leaseMs,
      pollIntervalMs: config.dispatcher.pollIntervalMs,
      callTimeoutMs: callTimeoutMs(config),
      backoff: { baseMs: config.dispatcher.backoffBaseMs, capMs: config.dispatcher.backoffCapMs },
    },
  );
  wakeDispatcher.now = () => dispatcher.wake();
  // The one invoicing use case: the API's issue requests and the batch rows go through it alike.
  const invoicing = new Invoicing({ db: store.db, reader: store.reader, capabilities: store.capabilities, commit, clock, idempotencyTtlMs: config.idempotencyTtlMs, maxAgeMs: config.maxAgeMs, quota });
  const quotaWatch = new QuotaWatch(
    { db: store.db, capabilities: store.capabilities, guard: quota, clock, log, wakeDispatcher: () => dispatcher.wake(), reported: () => wakeWebhooks.now() },
    { refreshMs: config.quota.refreshMs, lowShare: config.quota.lowShare, lowWithinMs: config.quota.lowWithinMs },
  );
  const quotaReader = workersOn
    ? new QuotaReader(
        { db: store.db, capabilities: store.capabilities, channels, clock, log, onRead: () => quotaWatch.wake() },
        { intervalMs: config.quota.readIntervalMs, retryMs: TUNING.quota.retryMs, callTimeoutMs: callTimeoutMs(config), leaseMs: TUNING.quota.leaseMs, pollIntervalMs: config.quota.pollIntervalMs },
      )
    : undefined;
  const batches = workersOn ? new BatchIssuer({ db: store.db, capabilities: store.capabilities, invoicing, clock, log }, TUNING.batches) : undefined;
  const drawers = new DrawerWatch(channels, health, log, { intervalMs: config.breaker.drawerCheckMs, callTimeoutMs: callTimeoutMs(config) });
  const pool = config.renderThreads > 0 ? new RenderPool(config.renderThreads, signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) : undefined;
  if (pool) closers.add(() => pool.close());
  const renderer = pool
    ? new DocumentRenderer(
        { db: store.db, capabilities: store.capabilities, commit, pool, clock, log, events, emailBuyers: mailer !== undefined },
        {
          batch: TUNING.documents.batchPerThread * config.renderThreads,
          leaseMs: TUNING.documents.leaseMs,
          pollIntervalMs: config.dispatcher.pollIntervalMs,
          backoff: { baseMs: config.dispatcher.backoffBaseMs, capMs: config.dispatcher.backoffCapMs },
        },
      )
    : undefined;
  const reconciliation =
    config.reconcileAt && workersOn
      ? new DailyReconciliation({
          db: store.db,
          capabilities: store.capabilities,
          channels,
          clock,
          events,
          log,
          at: config.reconcileAt,
          pollIntervalMs: TUNING.reconciliation.pollIntervalMs,
          backoff: { baseMs: TUNING.reconciliation.backoffBaseMs, capMs: TUNING.reconciliation.backoffCapMs },
        })
      : undefined;
  const sweep = () => {
    purgeExpiredIdempotencyKeys(store.db, clock.now()).catch((error: unknown) => log.warn({ err: error }, 'idempotency purge failed'));
    sweepSignInThrottles(store.db, { rules: config.signIn.rules, now: clock.now() }).catch((error: unknown) => log.warn({ err: error }, 'sign-in throttle sweep failed'));
    // A batch left checking by a process that stopped mid-check: its uploader got no answer, and retries.
    purgeAbandonedBatchChecks(store.db, clock.now() - TUNING.batches.abandonedCheckMs).catch((error: unknown) => log.warn({ err: error }, 'batch check sweep failed'));
  };
  const workers: { stop(deadlineAt?: number): Promise<void>; start(): void }[] = [dispatcher, drawers, renderer, reconciliation, webhooks, emails, batches, quotaReader, quotaWatch].filter((worker) => worker !== undefined);
  let running = false;
  let sweeper: NodeJS.Timeout | undefined;
  // Registered now, so that it runs after the API (registered later) has stopped taking requests.
  closers.add(async () => {
    if (!running) return;
    running = false;
    clearInterval(sweeper);
    await Promise.all(workers.map((worker) => worker.stop(stopBy.at)));
  });
  /** Starts every worker and the sweep; nothing runs before the API listens. */
  const start = () => {
    for (const worker of workers) worker.start();
    sweeper = setInterval(sweep, TUNING.sweepIntervalMs);
    sweeper.unref();
    running = true;
  };
  return { commit, storage, dispatcher, reconciliation, mailer, webhooks, invoicing, batches, quota, quotaWatch, start, running: () => running };
}

/** Phase 4: the use cases, built once, and the HTTP API that translates requests into them. */
async function buildApiPhase(
  basics: Basics,
  { store, secrets }: Awaited<ReturnType<typeof openStorePhase>>,
  { channelConfigs, channels, health, metrics, events, tokens }: Awaited<ReturnType<typeof startChannelsPhase>>,
  workers: Awaited<ReturnType<typeof buildWorkersPhase>>,
) {
  const { config, clock, log, closers, lifecycle, stopBy } = basics;
  const { deliveries } = config;
  const useCases: UseCases = {
    invoicing: workers.invoicing,
    batches: new BatchImport({ db: store.db, reader: store.reader, invoicing: workers.invoicing, clock, onStored: () => workers.batches?.wake() }),
    batchReading: new BatchReading(store.reader),
    quotas: new SellerQuotas({ db: store.db, reader: store.reader, guard: workers.quota, clock }),
    withdrawals: new RedWithdrawal({ db: store.db, channels: new Map(channels.map((channel) => [channel.name, channel])), clock, callTimeoutMs: callTimeoutMs(config) }),
    reading: new InvoiceReading(store.reader),
    emailAgain: (request) =>
      emailInvoiceAgain(
        {
          db: store.db,
          capabilities: store.capabilities,
          clock,
          emailEnabled: workers.mailer !== undefined,
          limits: { perInvoice: deliveries.emailPerInvoicePerDay, perInvoiceWindowMs: TUNING.emails.perInvoiceWindowMs, perRequester: deliveries.emailPerKeyPerHour, perRequesterWindowMs: TUNING.emails.perRequesterWindowMs },
        },
        request,
      ),
    webhooks: new WebhookSubscriptions({ db: store.db, secrets, clock, allowPrivate: deliveries.allowPrivate, onDeliveriesDue: () => workers.webhooks?.wake() }),
    channels: new ChannelControl({
      db: store.db,
      capabilities: store.capabilities,
      clock,
      names: health.names,
      onIsolationChanged: () => workers.dispatcher.isolationsChanged(),
      doctor: (name) =>
        runChannelDoctor(channelConfigs.find((channel) => channel.name === name)!, {
          timeoutMs: TUNING.channelDoctorTimeoutMs,
          dataDir: config.dataDir,
          store: config.store,
          gatewayUrl: `http://127.0.0.1:${config.port}`,
          concurrency: config.dispatcher.concurrency,
          tokens,
        }),
    }),
    signIn: signInDeps({ db: store.db, capabilities: store.capabilities, clock, secrets, config: config.signIn, holds: TUNING.signInHolds, onAttempt: (outcome) => events.signInAttempted({ outcome }) }),
  };
  const app = await buildApp({
    db: store.db,
    reader: store.reader,
    clock,
    health,
    log,
    bodyLimitBytes: config.bodyLimitBytes,
    http: config.http,
    signIn: config.signIn,
    storage: workers.storage,
    workersRunning: workers.running,
    lifecycle,
    events,
    metrics,
    useCases,
  });
  // In-flight requests finish, but not past the stop's deadline: then their connections are cut.
  closers.add(async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = Number.isFinite(stopBy.at) ? [new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, stopBy.at - Date.now()))))] : [];
    await Promise.race([app.close(), ...late]);
    clearTimeout(timer);
    app.server.closeAllConnections();
  });
  try {
    // A deep listen queue: a burst of new connections waits to be accepted (and answered, or shed
    // at once) rather than overflowing into SYN retries that clients see as multi-second stalls.
    await app.listen({ host: config.host, port: config.port, backlog: 4096 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new AddressInUseError(`port ${config.port} on ${config.host} is already in use by another program`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new AddressInUseError(`cannot listen on ${config.host}:${config.port} (${code})`);
    throw error;
  }
  return app;
}

export async function startGateway(
  config: GatewayConfig,
  options: { readonly clock?: Clock; readonly log?: Logger; readonly onQuery?: OpenStoreOptions['onQuery'] } = {},
): Promise<Gateway> {
  const closers = new Closers();
  const lifecycle = new Lifecycle();
  const stopBy = { at: Infinity };
  const basics: Basics = { config, clock: options.clock ?? systemClock, log: options.log ?? createLogger(config.logLevel), closers, lifecycle, stopBy, ...(options.onQuery && { onQuery: options.onQuery }) };
  try {
    const stored = await openStorePhase(basics);
    const channels = await startChannelsPhase(basics, stored);
    const workers = await buildWorkersPhase(basics, stored, channels);
    const app = await buildApiPhase(basics, stored, channels, workers);
    workers.start();
    lifecycle.serving();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return {
      url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      app,
      store: stored.store,
      dispatcher: workers.dispatcher,
      simulator: channels.simulator,
      channels: channels.channels,
      signingKey: stored.signingKey,
      reconciliation: workers.reconciliation,
      lifecycle,
      close: () => {
        lifecycle.closing();
        return closers.closeAll();
      },
      shutdown: async (signal) => {
        const began = Date.now();
        lifecycle.draining(began);
        stopBy.at = began + config.shutdownMs - Math.min(CLOSE_MARGIN_MS, config.shutdownMs / 10);
        basics.log.warn(
          { signal, drainSeconds: config.drainMs / 1000, shutdownSeconds: config.shutdownMs / 1000 },
          'stopping: /readyz answers 503 now; requests are served through the drain, then refused with 503 and Retry-After while those in flight finish',
        );
        await new Promise((resolve) => setTimeout(resolve, config.drainMs));
        lifecycle.closing();
        await closers.closeAll();
        basics.log.info({ signal, seconds: (Date.now() - began) / 1000 }, 'stopped: requests and attempts finished or handed back, leases released, pool closed');
      },
    };
  } catch (error) {
    // Nothing may keep the process alive after a failed start: it must exit with the reason.
    await closers.closeAll();
    throw error;
  }
}
