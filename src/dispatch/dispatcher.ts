/**
 * The worker: leases due invoices, runs one attempt each through a channel, records the outcome,
 * and schedules the next. Written here rather than on a job-queue library because the invariants
 * live in its details: the invoice row is the job (accepting and queueing are one commit), a
 * stale lease becomes "uncertain" rather than "retry", and failover happens only for invoices
 * provably not issued. Polling is the correctness floor; wake() after a commit only cuts latency.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Channel, IssueRequest, QueryOutcome, UpstreamOutcome } from '../channels/channel.js';
import type { RedOf } from '../domain/red-flush.js';
import type { ComputedInvoiceJson } from '../domain/invoice-json.js';
import { isChannelError } from '../channels/channel-error.js';
import type { Clock } from '../runtime/clock.js';
import type { GatewayEvents } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Database } from '../store/schema/index.js';
import type { BackoffOptions } from './backoff.js';
import type { ChannelHealth } from './channel-health.js';
import { LeasedWorker } from './leased-worker.js';
import { inInvoiceTrace } from '../runtime/trace-context.js';
import { totalsDiffering } from './reported-totals.js';
import { decideFailure, decideOutcome, decideQuotaShort, decideResend, sendsAgainHere, type AttemptContext } from './decide-settlement.js';
import { quotaDemand, type QuotaGuard } from '../invoicing/quota-guard.js';
import { formatFen } from '../domain/money.js';
import { listIsolations } from '../store/channel-isolation.js';
import { leaseDue, reclaimExpired, releaseLeases, submitSettle, type Lease, type Settlement } from '../store/invoice-leases.js';

const ISOLATIONS_READ_EVERY_MS = 1000;

export interface DispatcherOptions {
  /** Attempts in flight at once in this process. @default 32 */
  readonly concurrency: number;
  /** How long a claim lasts, ms. @default 90000 */
  readonly leaseMs: number;
  /** How often to look for due work when nothing wakes the dispatcher, ms. @default 250 */
  readonly pollIntervalMs: number;
  /** Longest a single channel call may take, ms; well under leaseMs. */
  readonly callTimeoutMs: number;
  readonly backoff: BackoffOptions;
}

export interface DispatcherDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly commit: GroupCommit;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly health: ChannelHealth;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: GatewayEvents;
  /** The sellers' monthly quota: a first send waits when it cannot cover the invoice. */
  readonly quota?: QuotaGuard;
}

export class Dispatcher {
  readonly workerId = `w-${randomUUID().slice(0, 8)}`;
  private readonly worker: LeasedWorker<Lease>;
  private isolationsReadAt = -Infinity;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {
    this.worker = new LeasedWorker(
      {
        claim: (free) => this.claim(free),
        work: (lease, stopping) => this.attempt(lease, stopping),
        release: async (leases) => {
          await releaseLeases(deps.db, deps.capabilities, deps.clock.now(), leases);
        },
      },
      { concurrency: options.concurrency, pollIntervalMs: options.pollIntervalMs, name: 'dispatcher' },
      deps.log,
    );
  }

  start(): void {
    this.worker.start();
  }

  /**
   * Stops leasing and waits for the attempts in flight to settle, until `deadlineAt` at most: then
   * their calls are aborted (settled as outcome unknown) and any claim left is given back.
   */
  async stop(deadlineAt?: number): Promise<void> {
    await this.worker.stop(deadlineAt);
  }

  /** A hint that work may be due (after a commit or a settled attempt). */
  wake(): void {
    this.worker.wake();
  }

  get busy(): number {
    return this.worker.busy;
  }

  /** Reclaims expired leases, then claims what fits. */
  private async claim(free: number): Promise<readonly Lease[]> {
    const now = this.deps.clock.now();
    await this.readIsolations(now);
    await reclaimExpired(this.deps.db, this.deps.capabilities, now, 500);
    // No more than the channels can take within about a second: an invoice claimed beyond their
    // rate would only wait in this process holding its lease.
    return leaseDue(this.deps.db, this.deps.capabilities, now, {
      workerId: this.workerId,
      limit: Math.min(free, this.deps.health.budget()),
      leaseMs: this.options.leaseMs,
      usableChannels: this.deps.health.usable(),
      newWorkChannel: this.deps.health.acceptingNew()[0],
    });
  }

  /**
   * Which channels operators have isolated, from the store (any process may have done it): read
   * at most once a second, so an isolation takes effect everywhere within about a second.
   */
  private async readIsolations(now: number): Promise<void> {
    if (now - this.isolationsReadAt < ISOLATIONS_READ_EVERY_MS) return;
    this.isolationsReadAt = now;
    this.deps.health.setIsolated((await listIsolations(this.deps.db)).map((isolation) => isolation.channel));
  }

  /** Reads the isolations at the next claim (after this process changed them). */
  isolationsChanged(): void {
    this.isolationsReadAt = -Infinity;
    this.wake();
  }

  /**
   * One attempt, a span of the invoice's own trace (accepted under it, in any process): the call
   * (whose HTTP request carries the trace on to the upstream) and the settle.
   */
  private attempt(lease: Lease, stopping: AbortSignal): Promise<void> {
    const action = lease.stage === 'submitting' ? 'submit' : 'query';
    return inInvoiceTrace(`fapiao.attempt ${action}`, lease.traceParent, { 'fapiao.invoice.id': lease.invoiceId, 'fapiao.channel': lease.channel ?? '', 'fapiao.action': action, 'fapiao.attempts_before': lease.attempts }, (span) =>
      this.attemptTraced(lease, stopping, (outcome) => span.setAttribute('fapiao.outcome', outcome)),
    );
  }

  /** One attempt: call with no transaction open, then settle fenced by the lease. */
  private async attemptTraced(lease: Lease, stopping: AbortSignal, tell: (outcome: string) => void): Promise<void> {
    const { clock, log } = this.deps;
    const action = lease.stage === 'submitting' ? 'submit' : 'query';
    const channelName = lease.channel;
    const startedAt = clock.now();
    const context = (channel: string): AttemptContext => ({
      action,
      stage: lease.stage,
      channel,
      attempts: lease.attempts,
      giveUpAt: lease.giveUpAt,
      startedAt,
      now: clock.now(),
      backoff: this.options.backoff,
      random: Math.random(),
      lastSentAt: lease.lastSentAt,
      settleWindowMs: this.deps.channels.get(channel)?.settleWindowMs,
    });
    const channel = channelName ? this.deps.channels.get(channelName) : undefined;
    const short = action === 'submit' && channel ? this.quotaShort(lease) : undefined;
    const settlement = short !== undefined ? decideQuotaShort(context(channel!.name), short) : channel ? await this.call(lease, action, channel, context, stopping) : this.noChannel(lease, action, channelName ?? null);
    tell(settlement.attempt?.outcome ?? settlement.event);
    try {
      const result = await submitSettle(this.deps.commit, this.deps.capabilities, clock.now(), lease, settlement);
      if (result === 'lost') this.deps.events.leaseLost({ invoiceId: lease.invoiceId, channel: channelName });
      else if (settlement.attempt) {
        if (settlement.queried) this.deps.events.attemptFinished({ invoiceId: lease.invoiceId, ...settlement.queried });
        this.deps.events.attemptFinished({
          invoiceId: lease.invoiceId,
          channel: settlement.attempt.channel,
          action: settlement.attempt.action,
          outcome: settlement.attempt.outcome,
          durationMs: settlement.attempt.durationMs,
          ...(settlement.error && { error: settlement.error.code }),
        });
      }
    } catch (error) {
      // The lease will expire and the reclaimer will query: nothing is lost, nothing guessed.
      log.error({ err: error, invoiceId: lease.invoiceId }, 'could not record the attempt; the lease will expire and be resolved by query');
    }
  }

  private async call(lease: Lease, action: 'submit' | 'query', channel: Channel, context: (channel: string) => AttemptContext, stopping: AbortSignal): Promise<Settlement> {
    // The call's own time limit, or the process's stop deadline, whichever comes first.
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.callTimeoutMs), stopping]);
    try {
      if (action === 'query') {
        const outcome = await this.deps.health.execute(channel.name, () => channel.query(lease.sellerTaxId, lease.serialNo, { signal, red: lease.kind === 'red' }), signal);
        this.checkTotals(lease, channel.name, outcome);
        const queried = context(channel.name);
        if (sendsAgainHere(queried, outcome, channel.refusesRepeatedSerial === true)) return this.sendAgain(lease, channel, queried, signal);
        return decideOutcome(context(channel.name), outcome);
      }
      const outcome = await this.send(lease, channel, signal);
      return decideOutcome(context(channel.name), outcome);
    } catch (error) {
      const paused = isChannelError(error) && error.disposition === 'operator' ? this.deps.health.pause(channel.name, error.message) : undefined;
      return decideFailure(context(channel.name), error, paused);
    }
  }

  /**
   * Why a blue invoice about to be sent must wait for quota instead (the guard's figures), or
   * undefined when it may go. A red invoice only gives quota back.
   */
  private quotaShort(lease: Lease): string | undefined {
    // The invoice's JSON is read only for a seller the guard judges: no cost on the send path otherwise.
    if (!this.deps.quota || lease.kind !== 'blue' || !this.deps.quota.guards(lease.sellerTaxId)) return undefined;
    const { amountFen, priority } = quotaDemand(lease.computedJson);
    const verdict = this.deps.quota.admit(lease.sellerTaxId, lease.invoiceId, amountFen, priority);
    if (verdict.kind !== 'wait') return undefined;
    const reserve = verdict.reserveFen > 0n && priority !== 'high' ? `, ${formatFen(verdict.reserveFen)} of it kept for high-priority invoices` : '';
    return `the month's invoice quota cannot cover ${formatFen(amountFen)} yuan: ${formatFen(verdict.headroomFen)} left after the invoices on their way${reserve}; it waits for a raise or the month's turn`;
  }

  /** Sends the leased invoice to the channel, through its rate and breaker. */
  private async send(lease: Lease, channel: Channel, signal: AbortSignal): Promise<UpstreamOutcome> {
    const invoice = JSON.parse(lease.computedJson) as IssueRequest['invoice'] & { red?: RedOf };
    const red = invoice.red && { blueNumber: invoice.red.blueNumber, reason: invoice.red.reason, whole: invoice.red.whole === true };
    const outcome = await this.deps.health.execute(
      channel.name,
      () => channel.issue({ serialNo: lease.serialNo, sellerTaxId: lease.sellerTaxId, orderNo: lease.orderNo, invoice, ...(red && { red }) }, { signal }),
      signal,
    );
    this.checkTotals(lease, channel.name, outcome);
    return outcome;
  }

  /** An uncertain invoice its channel cannot find yet, sent again there at once (decideResend says why that is safe). */
  private async sendAgain(lease: Lease, channel: Channel, queried: AttemptContext, signal: AbortSignal): Promise<Settlement> {
    const resend = (): AttemptContext => ({ ...queried, startedAt: queried.now, now: this.deps.clock.now() });
    try {
      const outcome = await this.send(lease, channel, signal);
      return decideResend(queried, resend(), { outcome });
    } catch (error) {
      const paused = isChannelError(error) && error.disposition === 'operator' ? this.deps.health.pause(channel.name, error.message) : undefined;
      return decideResend(queried, resend(), { error }, paused);
    }
  }

  /** Reports an issued invoice whose totals the upstream gives otherwise than we computed them. */
  private checkTotals(lease: Lease, channel: string, outcome: UpstreamOutcome | QueryOutcome): void {
    if (outcome.kind !== 'issued' || !outcome.reportedTotals) return;
    const ours = (JSON.parse(lease.computedJson) as ComputedInvoiceJson).totals;
    const differences = totalsDiffering(outcome.reportedTotals, ours);
    if (differences.length > 0) this.deps.events.amountMismatch({ channel, serialNo: lease.serialNo, differences });
  }

  /**
   * Every channel is resting (breaker open or paused), or the invoice is bound to a channel that is
   * no longer configured: nothing is sent, no attempt is counted, and it is looked at again later.
   */
  private noChannel(lease: Lease, action: 'submit' | 'query', bound: string | null): Settlement {
    const now = this.deps.clock.now();
    const error = bound
      ? { code: 'channel_unknown', message: `bound to channel ${bound}, which is not configured; add it back to resolve this invoice` }
      : action === 'submit'
        ? { code: 'no_usable_channel', message: 'every channel is resting after failures or paused' }
        : { code: 'channel_unknown', message: 'no channel is recorded for this uncertain invoice; check every channel for its serial number' };
    return {
      event: action === 'query' ? 'query_failed' : now >= lease.giveUpAt ? 'gave_up' : 'not_sent',
      called: false,
      channel: action === 'submit' ? null : lease.channel,
      nextAttemptAt: now + this.options.backoff.baseMs,
      error,
    };
  }
}
