/**
 * Business events, each as one helper that updates the metric and writes the log line, so the
 * two never disagree. Invoice ids and tax IDs go into logs, never into metric labels. Helpers
 * never throw: reporting must not break the work it reports on.
 */
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

/** What the events module needs of a reconciliation report (src/invoicing/reconciliation.ts). */
export interface ReconciledDay {
  readonly date: string;
  readonly channel: string;
  readonly matched: number;
  readonly adopted: ReadonlyArray<object>;
  readonly missingUpstream: ReadonlyArray<object>;
  readonly amountMismatch: ReadonlyArray<object>;
  readonly unknownUpstream: ReadonlyArray<object>;
}

/** What happened to a channel, for the log and the metrics (through the events module). */
export type ChannelChange =
  | { readonly kind: 'circuit'; readonly channel: string; readonly state: 'open' | 'half_open' | 'closed'; readonly cause: string | null }
  | { readonly kind: 'paused'; readonly channel: string; readonly until: number; readonly cause: string }
  | { readonly kind: 'rate_limited'; readonly channel: string; readonly holdUntil: number; readonly ratePerSecond: number }
  | { readonly kind: 'unavailable'; readonly channel: string; readonly holdUntil: number; readonly cause: string };

const FAILED_OUTCOMES = new Set(['retry', 'uncertain', 'operator', 'rejected']);

export class GatewayEvents {
  constructor(
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** One upstream call finished and its outcome was recorded. */
  attemptFinished(event: { invoiceId: string; channel: string; action: 'submit' | 'query'; outcome: string; durationMs: number; error?: string }): void {
    this.safely(() => {
      // `kind` is the published label name (dashboards and alerts use it); in the code it is the action.
      this.metrics?.upstreamAttempts.inc({ channel: event.channel, kind: event.action, outcome: event.outcome });
      this.metrics?.upstreamDuration.observe({ channel: event.channel, kind: event.action, phase: 'total' }, event.durationMs / 1000);
      const fields = { invoiceId: event.invoiceId, channel: event.channel, action: event.action, outcome: event.outcome, ms: event.durationMs, ...(event.error && { error: event.error }) };
      // A failed call is worth an operator's eye; a successful one is routine.
      if (FAILED_OUTCOMES.has(event.outcome)) this.log.warn(fields, 'upstream attempt failed');
      else this.log.info(fields, 'upstream attempt');
    });
  }

  /** The upstream issued an invoice with totals other than ours: a person should compare the two. */
  amountMismatch(event: { channel: string; serialNo: string; differences: readonly string[] }): void {
    this.safely(() => {
      this.metrics?.amountMismatches.inc({ channel: event.channel });
      this.log.warn({ channel: event.channel, serialNo: event.serialNo, differences: event.differences }, 'the upstream reports totals that differ from ours');
    });
  }

  /** A channel's day was reconciled: how many invoices fell in each class, and what needs a person. */
  reconciled(report: ReconciledDay): void {
    this.safely(() => {
      const classes = {
        matched: report.matched,
        adopted: report.adopted.length,
        missing_upstream: report.missingUpstream.length,
        mismatched: report.amountMismatch.length,
        unknown_upstream: report.unknownUpstream.length,
      };
      for (const [name, count] of Object.entries(classes)) this.metrics?.reconciliationDifferences.set({ channel: report.channel, class: name }, count);
      this.metrics?.reconciliationRuns.inc({ channel: report.channel, outcome: 'ok' });
      const fields = { channel: report.channel, day: report.date, ...classes };
      for (const item of report.adopted) this.log.warn({ channel: report.channel, ...item }, 'adopted by reconciliation: issued upstream though no answer said so');
      if (classes.missing_upstream + classes.mismatched + classes.unknown_upstream > 0) {
        this.log.error({ ...fields, missingUpstream: report.missingUpstream, amountMismatch: report.amountMismatch, unknownUpstream: report.unknownUpstream }, 'reconciliation found differences a person must look at');
      } else this.log.info(fields, 'reconciled');
    });
  }

  /** The channels reconciled daily: their series start at zero, so alerts and dashboards work from the first scrape. */
  reconciliationScheduled(channels: readonly string[]): void {
    this.safely(() => {
      for (const channel of channels) {
        for (const name of ['matched', 'adopted', 'missing_upstream', 'mismatched', 'unknown_upstream']) this.metrics?.reconciliationDifferences.set({ channel, class: name }, 0);
        for (const outcome of ['ok', 'failed']) this.metrics?.reconciliationRuns.inc({ channel, outcome }, 0);
      }
    });
  }

  /** A channel's day could not be reconciled (the upstream did not answer its list); it is tried again. */
  reconciliationFailed(event: { channel: string; day: string; error: string }): void {
    this.safely(() => {
      this.metrics?.reconciliationRuns.inc({ channel: event.channel, outcome: 'failed' });
      this.log.warn(event, 'reconciliation could not run; it is tried again');
    });
  }

  /** An attempt could not be recorded because its lease had expired; the next holder queries. */
  leaseLost(event: { invoiceId: string; channel: string | null }): void {
    this.safely(() => {
      this.metrics?.leasesLost.inc();
      this.log.warn({ invoiceId: event.invoiceId, channel: event.channel }, 'lease lost before settling; the new holder will resolve it by query');
    });
  }

  /** A channel's circuit opened, half-opened or closed; it paused; or the upstream said 429. */
  channelChanged(change: ChannelChange): void {
    this.safely(() => {
      switch (change.kind) {
        case 'circuit':
          if (change.state === 'open') this.log.error({ channel: change.channel, cause: change.cause }, 'circuit opened: the channel rests after repeated failures');
          else if (change.state === 'half_open') this.log.warn({ channel: change.channel }, 'circuit half-open: one call probes the channel');
          else this.log.warn({ channel: change.channel }, 'circuit closed: the channel answers again');
          return;
        case 'paused':
          this.log.error({ channel: change.channel, until: new Date(change.until).toISOString(), cause: change.cause }, 'channel paused: an operator must act (credentials, permissions or the drawer\'s login)');
          return;
        case 'rate_limited':
          this.metrics?.rateLimited.inc({ channel: change.channel });
          this.log.warn(
            { channel: change.channel, until: new Date(change.holdUntil).toISOString(), ratePerSecond: Number.isFinite(change.ratePerSecond) ? change.ratePerSecond : null },
            'upstream rate limit (429): the channel waits out Retry-After and slows down',
          );
          return;
        case 'unavailable':
          this.log.warn(
            { channel: change.channel, until: new Date(change.holdUntil).toISOString(), cause: change.cause },
            'upstream unavailable with Retry-After: the channel is held; invoices not sent there move to the next usable channel',
          );
          return;
      }
    });
  }

  /** An invoice's documents were rendered and stored, or rendering failed (and will be retried). */
  documentsRendered(event: { invoiceId: string; ok: boolean; error?: string }): void {
    this.safely(() => {
      this.metrics?.documentRenders.inc({ outcome: event.ok ? 'ok' : 'failed' });
      if (event.ok) this.log.debug({ invoiceId: event.invoiceId }, 'documents rendered');
      else this.log.error({ invoiceId: event.invoiceId, error: event.error }, 'rendering documents failed; will try again');
    });
  }

  /** One webhook try to one endpoint, and what came of it. */
  webhookTried(event: { subscriptionId: string; eventId: string; type: string; outcome: 'delivered' | 'retry' | 'failed'; status: number | null; error: string | null; ms: number }): void {
    this.safely(() => {
      this.metrics?.webhookTries.inc({ outcome: event.outcome });
      const fields = { subscriptionId: event.subscriptionId, eventId: event.eventId, type: event.type, status: event.status, ms: Math.round(event.ms), ...(event.error && { error: event.error }) };
      if (event.outcome === 'delivered') this.log.debug(fields, 'webhook delivered');
      else if (event.outcome === 'retry') this.log.warn(fields, 'webhook not delivered; will try again');
      else this.log.error(fields, 'webhook given up: its retry schedule ran out (POST /v1/webhooks/{id}/events/{eventId}/redeliver sends it again)');
    });
  }

  /** An endpoint was disabled: it answered 410 Gone, or failed for days. */
  webhookEndpointDisabled(event: { subscriptionId: string; url: string; reason: string }): void {
    this.safely(() => this.log.error(event, 'webhook endpoint disabled; its events wait until POST /v1/webhooks/{id}/enable'));
  }

  /** One try to email an invoice to its buyer. */
  emailTried(event: { invoiceId: string; deliveryId: string; outcome: 'sent' | 'retry' | 'failed'; error?: string }): void {
    this.safely(() => {
      this.metrics?.emailTries.inc({ outcome: event.outcome });
      if (event.outcome === 'sent') this.log.info({ invoiceId: event.invoiceId, deliveryId: event.deliveryId }, 'invoice emailed to the buyer');
      else this.log.warn({ invoiceId: event.invoiceId, deliveryId: event.deliveryId, outcome: event.outcome, error: event.error }, event.outcome === 'retry' ? 'emailing the invoice failed; will try again' : 'emailing the invoice given up');
    });
  }

  /** A phase of talking to an upstream took this long (dns, connect, first_byte). */
  upstreamPhase(event: { channel: string; kind: string; phase: string; seconds: number }): void {
    this.safely(() => this.metrics?.upstreamDuration.observe({ channel: event.channel, kind: event.kind, phase: event.phase }, event.seconds));
  }

  /** A TLS connection to a channel's upstream presented a certificate expiring at `expiresAt` (ms). */
  certificateSeen(event: { channel: string; expiresAt: number }): void {
    this.safely(() => this.metrics?.certificateExpiry.set({ channel: event.channel }, Math.floor(event.expiresAt / 1000)));
  }

  /** A request was refused at once because the gateway was overloaded; counted, not logged (a flood would flood the log). */
  requestShed(event: { reason: 'event_loop' | 'in_flight' | 'commit_queue' }): void {
    this.safely(() => this.metrics?.requestsShed.inc({ reason: event.reason }));
  }

  /** A console sign-in was decided: a password checked (signed in or refused), or held back before any check. */
  signInAttempted(event: { outcome: 'signed_in' | 'refused' | 'throttled' | 'busy' | 'second_factor_required' | 'second_factor_invalid' }): void {
    this.safely(() => this.metrics?.signIns.inc({ outcome: event.outcome }));
  }

  /** An HTTP request was answered. */
  httpAnswered(event: { method: string; route: string; status: number; seconds: number }): void {
    this.safely(() => {
      this.metrics?.httpRequests.inc({ method: event.method, route: event.route, status: String(event.status) });
      this.metrics?.httpDuration.observe({ method: event.method, route: event.route }, event.seconds);
    });
  }

  private safely(report: () => void): void {
    try {
      report();
    } catch {
      // Reporting failed; the work it describes did not.
    }
  }
}
