/**
 * The gateway's Prometheus metrics (prom-client), one registry per running gateway. Names follow
 * Prometheus conventions: `fapiao_` prefix, `_total` counters, `_seconds` durations, and label
 * sets that stay small (channel names, outcome classes, routes; never tax IDs or invoice ids).
 * Invoice counts and the backlog are read from the database at scrape time, so every process
 * sharing a database reports the same truth.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from './clock.js';

/** What the metrics read at scrape time from the database; the store provides it (scrape-readings.ts). */
export interface ScrapeSources {
  invoiceCounts(): Promise<Array<{ status: string; stage: string | null; count: number }>>;
  /** created_at of the oldest pending invoice, ms; null when none. */
  oldestPendingCreatedAt(): Promise<number | null>;
  databaseUp(): Promise<boolean>;
  /** Webhook endpoints by status, and deliveries waiting or given up. */
  webhookReadings?(): Promise<{ enabled: number; disabled: number; pending: number; failed: number }>;
}

/**
 * Each seller's quota as this process's guard last saw it. The one metric labelled by seller: a
 * seller's quota is its own, and the label set is bounded by the sellers registered here.
 */
export interface QuotaMetricReading {
  readonly seller: string;
  /** Remaining this month, yuan (a reading's remaining less what was issued here since). */
  readonly remainingYuan: number;
  /** Share of the total left once what is committed is issued, 0…1. */
  readonly remainingRatio: number;
  /** Seconds until it runs out at the current pace; null when not this month. */
  readonly exhaustionSeconds: number | null;
}

/** Each channel's state as the dispatcher sees it (ChannelHealth.snapshot()). */
export interface ChannelReading {
  readonly name: string;
  readonly circuit: 'closed' | 'open' | 'half_open';
  readonly pausedUntil: number | null;
  /** Isolated by an operator (as this process last read it, within about a second). */
  readonly isolated: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly upstreamAttempts: Counter<'channel' | 'kind' | 'outcome'>;
  readonly upstreamDuration: Histogram<'channel' | 'kind' | 'phase'>;
  readonly requestsShed: Counter<'reason'>;
  readonly signIns: Counter<'outcome'>;
  readonly rateLimited: Counter<'channel'>;
  readonly leasesLost: Counter;
  readonly amountMismatches: Counter<'channel'>;
  readonly documentRenders: Counter<'outcome'>;
  readonly reconciliationDifferences: Gauge<'channel' | 'class'>;
  readonly reconciliationRuns: Counter<'channel' | 'outcome'>;
  readonly certificateExpiry: Gauge<'channel'>;
  readonly webhookTries: Counter<'outcome'>;
  readonly emailTries: Counter<'outcome'>;
}

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export function createMetrics(deps: { readonly database: ScrapeSources; readonly channels: () => readonly ChannelReading[]; readonly quotas?: () => readonly QuotaMetricReading[]; readonly clock: Clock }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fapiao_' });
  // prom-client names three of its gauges *_total, which Prometheus reserves for counters
  // (promtool check metrics refuses them); the handle and request counts are not worth the noise.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`fapiao_${name}`);
  }
  const metrics: Metrics = {
    registry,
    httpRequests: new Counter({ name: 'fapiao_http_requests_total', help: 'HTTP requests answered, by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'fapiao_http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    upstreamAttempts: new Counter({
      name: 'fapiao_upstream_attempts_total',
      help: 'Calls to upstream channels by outcome class: issued, accepted, rejected, retry (not sent), uncertain, not_found, operator',
      labelNames: ['channel', 'kind', 'outcome'],
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'fapiao_upstream_call_duration_seconds',
      help: 'Duration of upstream calls by channel and phase: dns and connect (TCP and TLS) per new connection, first_byte and total per call',
      labelNames: ['channel', 'kind', 'phase'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'fapiao_console_sign_ins_total',
      help: 'Console sign-in attempts by outcome: signed_in, refused, second_factor_required and second_factor_invalid had their password checked; throttled and busy were held back before any check',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    requestsShed: new Counter({
      name: 'fapiao_requests_shed_total',
      help: 'Requests refused at once with 503 because the gateway was overloaded, by reason (event_loop, in_flight, commit_queue)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'fapiao_upstream_rate_limited_total',
      help: 'Answers 429 from an upstream, each of which held the channel for its Retry-After and lowered its rate',
      labelNames: ['channel'],
      registers: [registry],
    }),
    leasesLost: new Counter({ name: 'fapiao_leases_lost_total', help: 'Attempts whose lease expired before they were recorded (resolved by query)', registers: [registry] }),
    amountMismatches: new Counter({
      name: 'fapiao_upstream_amount_mismatches_total',
      help: 'Issued invoices whose totals the upstream reports differently from ours',
      labelNames: ['channel'],
      registers: [registry],
    }),
    documentRenders: new Counter({ name: 'fapiao_document_renders_total', help: 'Document renderings, by outcome (ok, failed)', labelNames: ['outcome'], registers: [registry] }),
    reconciliationDifferences: new Gauge({
      name: 'fapiao_reconciliation_invoices',
      help: "Invoices of each channel's last reconciled day, by class (matched, adopted, missing_upstream, mismatched, unknown_upstream)",
      labelNames: ['channel', 'class'],
      registers: [registry],
    }),
    reconciliationRuns: new Counter({
      name: 'fapiao_reconciliation_runs_total',
      help: 'Reconciliation runs of a channel and day, by outcome (ok, failed: the upstream could not be asked)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    certificateExpiry: new Gauge({
      name: 'fapiao_channel_certificate_expiry_timestamp_seconds',
      help: "When the TLS certificate each channel's upstream last presented expires (Unix time)",
      labelNames: ['channel'],
      registers: [registry],
    }),
    webhookTries: new Counter({
      name: 'fapiao_webhook_deliveries_total',
      help: 'Webhook delivery tries, by outcome: delivered, retry (tried again later), failed (the schedule ran out)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    emailTries: new Counter({
      name: 'fapiao_email_deliveries_total',
      help: 'Invoice emails to buyers, by outcome: sent, retry (tried again later), failed (the schedule ran out)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };

  // Known label values start at zero, so rates and alerts work from the first scrape.
  for (const outcome of ['ok', 'failed']) metrics.documentRenders.inc({ outcome }, 0);
  for (const outcome of ['delivered', 'retry', 'failed']) metrics.webhookTries.inc({ outcome }, 0);
  for (const outcome of ['sent', 'retry', 'failed']) metrics.emailTries.inc({ outcome }, 0);

  const webhooks = deps.database.webhookReadings?.bind(deps.database);
  if (webhooks) {
    // Both gauges are collected at once in a scrape: they share one query.
    let reading: ReturnType<typeof webhooks> | undefined;
    const readOnce = () => (reading ??= webhooks().finally(() => (reading = undefined)));
    new Gauge({
      name: 'fapiao_webhook_endpoints',
      help: 'Webhook endpoints by status (disabled: 410 Gone, or failing for days; POST /v1/webhooks/{id}/enable)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const readings = await readOnce().catch(() => undefined);
        if (!readings) return;
        this.set({ status: 'enabled' }, readings.enabled);
        this.set({ status: 'disabled' }, readings.disabled);
      },
    });
    new Gauge({
      name: 'fapiao_webhook_deliveries',
      help: 'Webhook deliveries waiting to be delivered (pending) or given up (failed)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const readings = await readOnce().catch(() => undefined);
        if (!readings) return;
        this.set({ status: 'pending' }, readings.pending);
        this.set({ status: 'failed' }, readings.failed);
      },
    });
  }

  new Gauge({
    name: 'fapiao_invoices',
    help: 'Invoices by status and stage (stage is empty once final)',
    labelNames: ['status', 'stage'],
    registers: [registry],
    async collect() {
      // A database that does not answer leaves the last values and shows in fapiao_database_up;
      // it must not fail the whole scrape.
      const rows = await deps.database.invoiceCounts().catch(() => undefined);
      if (!rows) return;
      this.reset();
      for (const row of rows) this.set({ status: row.status, stage: row.stage ?? '' }, Number(row.count));
    },
  });
  new Gauge({
    name: 'fapiao_backlog_oldest_age_seconds',
    help: 'Age of the oldest pending invoice (0 when none)',
    registers: [registry],
    async collect() {
      const oldest = await deps.database.oldestPendingCreatedAt().catch(() => null);
      this.set(oldest === null ? 0 : Math.max(0, (deps.clock.now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'fapiao_database_up',
    help: 'Whether the database answered a query at scrape time (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await deps.database.databaseUp()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'fapiao_circuit_state',
    help: 'Circuit breaker per channel: 0 closed, 1 half-open, 2 open',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      for (const channel of deps.channels()) this.set({ channel: channel.name }, CIRCUIT_VALUE[channel.circuit]);
    },
  });
  new Gauge({
    name: 'fapiao_channel_paused',
    help: 'Whether a channel is paused after refused credentials (1) or not (0)',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      for (const channel of deps.channels()) this.set({ channel: channel.name }, channel.pausedUntil === null ? 0 : 1);
    },
  });
  const quotas = () => deps.quotas?.() ?? [];
  new Gauge({
    name: 'fapiao_quota_remaining_yuan',
    help: "Each seller's invoice quota (发票额度) left this month, yuan, tax-excluded: the last reading less what was issued here since",
    labelNames: ['seller'],
    registers: [registry],
    collect() {
      this.reset();
      for (const quota of quotas()) this.set({ seller: quota.seller }, quota.remainingYuan);
    },
  });
  new Gauge({
    name: 'fapiao_quota_remaining_ratio',
    help: "Share of each seller's monthly quota left once the invoices on their way are issued (0-1)",
    labelNames: ['seller'],
    registers: [registry],
    collect() {
      this.reset();
      for (const quota of quotas()) this.set({ seller: quota.seller }, quota.remainingRatio);
    },
  });
  new Gauge({
    name: 'fapiao_quota_exhaustion_seconds',
    help: "Seconds until each seller's quota runs out at the current pace; absent when it lasts the month",
    labelNames: ['seller'],
    registers: [registry],
    collect() {
      this.reset();
      for (const quota of quotas()) if (quota.exhaustionSeconds !== null) this.set({ seller: quota.seller }, quota.exhaustionSeconds);
    },
  });
  new Gauge({
    name: 'fapiao_channel_isolated',
    help: 'Whether an operator has isolated a channel (1: no new work) or not (0)',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      for (const channel of deps.channels()) this.set({ channel: channel.name }, channel.isolated ? 1 : 0);
    },
  });
  return metrics;
}
