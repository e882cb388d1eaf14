/**
 * The quota guard: each seller's month of 发票额度 as this process sees it between readings — the
 * last reading, less what was issued here since, less what is on its way — and whether one more
 * invoice may be sent against it. Snapshots are refreshed from the store on a timer (every process
 * keeps its own; the store is the truth), and what this process sent since its last snapshot is
 * counted on top, so concurrent attempts here cannot overspend. Another process's sends show at the
 * next refresh; an upstream refusal for quota is the backstop (the invoice then waits too).
 */
import type { Kysely } from 'kysely';
import { formatFen, type Fen } from '../domain/money.js';
import { monthSpan, quotaAdmits, quotaMonth, quotaPosition, quotaUse, remainingShare, usedElsewhere, type InvoicePriority, type QuotaPosition, type QuotaReading } from '../domain/quota.js';
import { forecastQuota, PROFILE_DAYS, type BurnHour, type QuotaForecast } from '../domain/quota-forecast.js';
import type { Clock } from '../runtime/clock.js';
import type { QuotaMetricReading } from '../runtime/metrics.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { fenOf, quotaBooks, readingOf, sellerQuotaRows, type QuotaInvoice, type SellerQuotaRow } from '../store/quota-store.js';
import type { Database } from '../store/schema/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long a send no snapshot has seen is still counted, ms. */
const FORGET_SENT_MS = 120_000;
/** Stages of an invoice that has been sent (or is being sent) and not settled: it holds quota now. */
const SENT_STAGES = new Set(['submitting', 'uncertain', 'awaiting_result', 'awaiting_confirmation']);

/** One seller's month as last computed. */
export interface QuotaSnapshot {
  readonly sellerTaxId: string;
  readonly row: SellerQuotaRow;
  /** This month's reading; undefined before the first of the month (nothing is guarded then). */
  readonly reading: QuotaReading | undefined;
  readonly position: QuotaPosition | undefined;
  /** Sent and not settled, fen: already spoken for. */
  readonly inFlightFen: Fen;
  /** The same by invoice: an invoice judged again (leased for its send) is not counted against itself. */
  readonly inFlight: ReadonlyMap<string, Fen>;
  /** Waiting for quota (stage awaiting_quota): how many, and how much. */
  readonly waiting: { readonly count: number; readonly fen: Fen };
  readonly reserveFen: Fen;
  /** What was issued here each hour, this month and PROFILE_DAYS before it. */
  readonly burn: readonly BurnHour[];
  readonly forecast: QuotaForecast | undefined;
  readonly takenAt: number;
}

export type QuotaVerdict =
  /** No reading this month: the guard cannot tell, and the invoice goes (the upstream decides). */
  | { readonly kind: 'unguarded' }
  | { readonly kind: 'send' }
  | { readonly kind: 'wait'; readonly remainingFen: Fen; readonly headroomFen: Fen; readonly reserveFen: Fen };

export interface QuotaGuardDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly clock: Clock;
}

/** What an invoice's computed JSON says of its amount and priority, as the guard needs it. */
export function quotaDemand(computedJson: string): { readonly amountFen: Fen; readonly priority: InvoicePriority } {
  const invoice = JSON.parse(computedJson) as { totals?: { amount?: string }; priority?: string };
  return { amountFen: invoice.totals?.amount === undefined ? 0n : fenOf(invoice.totals.amount), priority: invoice.priority === 'high' ? 'high' : 'normal' };
}

export class QuotaGuard {
  private readonly snapshots = new Map<string, QuotaSnapshot>();
  /**
   * Sent by this process and not yet seen by a snapshot, by seller and invoice: each is counted
   * once — here until a snapshot shows it (on its way, or issued), then there. One never seen (it
   * was refused) is forgotten after a while; by then any snapshot would show it if it were in flight.
   */
  private readonly sentSince = new Map<string, Map<string, { readonly fen: Fen; readonly at: number }>>();
  /**
   * Held here ("wait") and not yet seen waiting by a snapshot, by seller and invoice: the room each
   * was held on. A hold is judged on the snapshot before it is stored, so a refresh in between can
   * see the room the hold did not (the invoice before it settled) and no invoice waiting yet, and
   * the next one the invoice waiting but no growth: it would wait for the next reading. Measured
   * against the room it was held on, it goes at once.
   */
  private readonly heldOn = new Map<string, Map<string, { readonly room: Fen; readonly at: number }>>();

  constructor(private readonly deps: QuotaGuardDeps) {}

  snapshot(sellerTaxId: string): QuotaSnapshot | undefined {
    return this.snapshots.get(sellerTaxId);
  }

  all(): readonly QuotaSnapshot[] {
    return [...this.snapshots.values()];
  }

  /** Whether the seller's sends are judged at all (this month's reading known): the caller need not work out an amount otherwise. */
  guards(sellerTaxId: string): boolean {
    const position = this.snapshots.get(sellerTaxId)?.position;
    return position !== undefined && position.month === quotaMonth(this.deps.clock.now());
  }

  /** Whether an invoice of `amountFen` could go now, without counting it (an acceptance's question). */
  covers(sellerTaxId: string, amountFen: Fen, priority: InvoicePriority): QuotaVerdict {
    return this.judge(sellerTaxId, amountFen, priority, undefined);
  }

  /**
   * Whether an invoice of `amountFen` may go now. A "send" is counted against the seller at once
   * (until the next snapshot sees it in the store).
   */
  admit(sellerTaxId: string, invoiceId: string, amountFen: Fen, priority: InvoicePriority): QuotaVerdict {
    return this.judge(sellerTaxId, amountFen, priority, invoiceId);
  }

  private judge(sellerTaxId: string, amountFen: Fen, priority: InvoicePriority, counted: string | undefined): QuotaVerdict {
    const snapshot = this.snapshots.get(sellerTaxId);
    if (!snapshot?.position || snapshot.position.month !== quotaMonth(this.deps.clock.now())) return { kind: 'unguarded' };
    // The invoice judged may be on its way in the snapshot (taken after its lease) or sent before: not against itself.
    const sent = [...(this.sentSince.get(sellerTaxId) ?? [])].reduce((sum, [invoiceId, item]) => (invoiceId === counted ? sum : sum + item.fen), 0n);
    const ownInFlight = counted === undefined ? 0n : (snapshot.inFlight.get(counted) ?? 0n);
    const headroomFen = snapshot.position.remainingFen - (snapshot.inFlightFen - ownInFlight) - sent;
    if (!quotaAdmits(headroomFen, amountFen, priority, snapshot.reserveFen)) {
      if (counted !== undefined) {
        const held = this.heldOn.get(sellerTaxId) ?? new Map<string, { room: Fen; at: number }>();
        held.set(counted, { room: roomOf(snapshot)! + ownInFlight, at: this.deps.clock.now() });
        this.heldOn.set(sellerTaxId, held);
      }
      return { kind: 'wait', remainingFen: snapshot.position.remainingFen, headroomFen, reserveFen: snapshot.reserveFen };
    }
    // Counted here until a snapshot shows it; one the snapshot shows on its way is counted there already.
    if (counted !== undefined && amountFen > 0n && !snapshot.inFlight.has(counted)) {
      const sent = this.sentSince.get(sellerTaxId) ?? new Map<string, { fen: Fen; at: number }>();
      sent.set(counted, { fen: amountFen, at: this.deps.clock.now() });
      this.sentSince.set(sellerTaxId, sent);
    }
    return { kind: 'send' };
  }

  /**
   * Takes a fresh snapshot of every seller with a quota row (or the ones named); resolves with the
   * sellers whose room grew (a new reading, a raise, the month's turn), whose waiting invoices may go.
   */
  async refresh(sellers?: readonly string[]): Promise<string[]> {
    const rows = await sellerQuotaRows(this.deps.db, sellers);
    const grew: string[] = [];
    for (const row of rows) {
      const before = this.snapshots.get(row.seller_tax_id);
      const started = this.deps.clock.now();
      const { snapshot, seen, waitingIds } = await this.take(row, started, 'guarding');
      this.snapshots.set(row.seller_tax_id, snapshot);
      const sent = this.sentSince.get(row.seller_tax_id);
      for (const [invoiceId, item] of sent ?? []) if (seen.has(invoiceId) || started - item.at > FORGET_SENT_MS) sent!.delete(invoiceId);
      // The room before, as the waiting invoices see it: one on its way then and waiting now did not grow the room.
      let was = roomOf(before);
      if (was !== undefined) for (const invoiceId of waitingIds) was += before?.inFlight.get(invoiceId) ?? 0n;
      const held = this.heldOn.get(row.seller_tax_id);
      for (const [invoiceId, hold] of held ?? []) {
        if (waitingIds.has(invoiceId) && was !== undefined && hold.room < was) was = hold.room;
        if (waitingIds.has(invoiceId) || started - hold.at > FORGET_SENT_MS) held!.delete(invoiceId);
      }
      const now = roomOf(snapshot);
      if (snapshot.waiting.count > 0 && (now === undefined || was === undefined || now > was || before?.position?.month !== snapshot.position?.month)) grew.push(row.seller_tax_id);
    }
    return grew;
  }

  /**
   * The seller's quota as it stands, taken afresh for someone to look at (all it has on its way,
   * guarded or not); the guard's own snapshots are left as they are, so their growth is still seen.
   */
  async look(sellerTaxId: string): Promise<QuotaSnapshot | undefined> {
    const [row] = await sellerQuotaRows(this.deps.db, [sellerTaxId]);
    return row && (await this.take(row, this.deps.clock.now(), 'looking')).snapshot;
  }

  /**
   * One seller's snapshot. Without this month's reading nothing is guarded or forecast: for the
   * guard's own rounds only its waiting invoices are read (every few seconds in every process).
   */
  private async take(row: SellerQuotaRow, now: number, purpose: 'guarding' | 'looking'): Promise<{ snapshot: QuotaSnapshot; seen: ReadonlySet<string>; waitingIds: ReadonlySet<string> }> {
    const { db, capabilities } = this.deps;
    const month = monthSpan(now);
    const stored = readingOf(row);
    const reading = stored && quotaMonth(stored.asOf) === quotaMonth(now) ? stored : undefined;
    const historyFrom = Math.min(month.start, now - PROFILE_DAYS * DAY);
    const { issued, pending } = await quotaBooks(db, capabilities, row.seller_tax_id, {
      issuedSince: reading ? Math.min(historyFrom, reading.asOf) : null,
      pending: reading || purpose === 'looking' ? 'all' : 'waiting',
    });
    const burn = burnByHour(issued);
    const usedHereSince = reading ? sumUse(issued.filter((invoice) => invoice.issuedAt !== null && invoice.issuedAt > reading.asOf)) : 0n;
    const committed = pending.reduce((sum, invoice) => sum + invoice.amountFen, 0n);
    const waitingInvoices = pending.filter((invoice) => invoice.stage === 'awaiting_quota');
    const waiting = { count: waitingInvoices.length, fen: waitingInvoices.reduce((sum, invoice) => sum + invoice.amountFen, 0n) };
    const inFlight = new Map(pending.filter((invoice) => invoice.stage !== null && SENT_STAGES.has(invoice.stage)).map((invoice) => [invoice.id, invoice.amountFen]));
    const inFlightFen = [...inFlight.values()].reduce((sum, fen) => sum + fen, 0n);
    // Used elsewhere again at each snapshot: an invoice the upstream counted before the reading but
    // whose answer landed here after the read is ours, not someone else's, once it has settled.
    const usedHereByReading = reading ? sumUse(issued.filter((invoice) => invoice.issuedAt !== null && invoice.issuedAt >= month.start && invoice.issuedAt <= reading.asOf)) : 0n;
    const position = reading && quotaPosition(reading, usedHereSince, committed, usedElsewhere(reading, usedHereByReading));
    const forecast = position && forecastQuota({ now, headroomFen: position.remainingFen - position.committedFen, burn, monthEnd: month.end });
    const seen = new Set([...issued, ...pending].map((invoice) => invoice.id));
    return { snapshot: { sellerTaxId: row.seller_tax_id, row, reading, position, inFlightFen, inFlight, waiting, reserveFen: fenOf(row.reserve), burn, forecast, takenAt: now }, seen, waitingIds: new Set(waitingInvoices.map((invoice) => invoice.id)) };
  }
}

/** The room a snapshot leaves: the reading less what was issued here since and what is on its way. */
function roomOf(snapshot: QuotaSnapshot | undefined): Fen | undefined {
  return snapshot?.position ? snapshot.position.remainingFen - snapshot.inFlightFen : undefined;
}

/** What the invoices take from the quota together (same-month reds give back). */
function sumUse(invoices: readonly QuotaInvoice[]): Fen {
  return invoices.reduce((sum, invoice) => sum + quotaUse({ ...invoice, issuedAt: invoice.issuedAt ?? 0 }), 0n);
}

/** The quota each hour's issuing took, by the hour's start. */
export function burnByHour(invoices: readonly QuotaInvoice[]): BurnHour[] {
  const hours = new Map<number, Fen>();
  for (const invoice of invoices) {
    if (invoice.issuedAt === null) continue;
    const start = Math.floor(invoice.issuedAt / HOUR) * HOUR;
    hours.set(start, (hours.get(start) ?? 0n) + quotaUse({ ...invoice, issuedAt: invoice.issuedAt }));
  }
  return [...hours].map(([hourStart, fen]) => ({ hourStart, fen })).sort((a, b) => a.hourStart - b.hourStart);
}

/** The quota as the API and the console show it: yuan as text, times as ISO-8601. */
export interface QuotaView {
  readonly sellerTaxId: string;
  /** False until a channel has told this seller's quota this month: nothing is guarded then. */
  readonly known: boolean;
  readonly month: string;
  readonly total: string | null;
  readonly remaining: string | null;
  readonly committed: string;
  readonly usedElsewhere: string;
  readonly reserve: string;
  readonly asOf: string | null;
  readonly exhaustsAt: string | null;
  readonly exhaustsAtRange: [string, string] | null;
  /** The central pace now, yuan an hour. */
  readonly pacePerHour: string | null;
  /** Share of the total left once what is committed is issued, 0…1; null when unknown. */
  readonly remainingShare: number | null;
  readonly waiting: { readonly count: number; readonly amount: string };
  /** The read: which channel, when last asked, what failed. */
  readonly read: { readonly channel: string | null; readonly at: string | null; readonly error: string | null; readonly today: number };
  /** The month's remaining quota every three hours (the total less what was issued here), and now the reading's. */
  readonly burnDown: Array<{ readonly at: string; readonly remaining: string }>;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function quotaView(snapshot: QuotaSnapshot, now: number): QuotaView {
  const { position, forecast, row } = snapshot;
  const committed = position?.committedFen ?? snapshot.inFlightFen;
  return {
    sellerTaxId: snapshot.sellerTaxId,
    known: position !== undefined,
    month: quotaMonth(now),
    total: position ? formatFen(position.totalFen) : null,
    remaining: position ? formatFen(position.remainingFen) : null,
    committed: formatFen(committed),
    usedElsewhere: position ? formatFen(position.usedElsewhereFen) : '0.00',
    reserve: formatFen(snapshot.reserveFen),
    asOf: iso(position?.asOf),
    exhaustsAt: iso(forecast?.exhaustsAt),
    exhaustsAtRange: forecast?.range ? [iso(forecast.range[0])!, iso(forecast.range[1])!] : null,
    pacePerHour: forecast ? formatFen(BigInt(Math.round(forecast.fenPerHour))) : null,
    remainingShare: position ? remainingShare(position) : null,
    waiting: { count: snapshot.waiting.count, amount: formatFen(snapshot.waiting.fen) },
    read: { channel: row.channel, at: iso(row.read_at === null ? null : Number(row.read_at)), error: row.read_error, today: Number(row.reads_count) },
    burnDown: position ? burnDown(snapshot.burn, position.totalFen, position.remainingFen, monthSpan(now).start, now) : [],
  };
}

/**
 * The month's remaining every three hours until now: the total less what was issued here by then
 * (same-month reds given back), and now the reading's remaining — so what was used elsewhere, whose
 * time is not known, shows as the last step.
 */
function burnDown(burn: readonly BurnHour[], totalFen: Fen, remainingNow: Fen, monthStart: number, now: number): Array<{ at: string; remaining: string }> {
  const points: Array<{ at: string; remaining: string }> = [];
  const step = 3 * HOUR;
  for (let at = monthStart; at < now; at += step) {
    const before = burn.filter((hour) => hour.hourStart >= monthStart && hour.hourStart < at).reduce((sum, hour) => sum + hour.fen, 0n);
    points.push({ at: new Date(at).toISOString(), remaining: formatFen(totalFen - before) });
  }
  points.push({ at: new Date(now).toISOString(), remaining: formatFen(remainingNow) });
  return points;
}

/** The snapshots as metrics read them (sellers with this month's reading only). */
export function quotaReadings(snapshots: readonly QuotaSnapshot[], now: number): QuotaMetricReading[] {
  return snapshots.flatMap((snapshot) => {
    if (!snapshot.position) return [];
    const at = snapshot.forecast?.exhaustsAt ?? null;
    return [{ seller: snapshot.sellerTaxId, remainingYuan: Number(snapshot.position.remainingFen) / 100, remainingRatio: remainingShare(snapshot.position), exhaustionSeconds: at === null ? null : Math.max(0, (at - now) / 1000) }];
  });
}
