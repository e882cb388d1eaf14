/**
 * Leasing due invoices for the dispatcher.
 *
 * The invoice row is its own job (design.md). A worker claims due rows in one short transaction,
 * calls the channel with no transaction open, and settles each row in another short transaction
 * that lands only while it still holds the lease (fenced by `lease_version`). A lease that expires
 * is never simply run again: reclaimExpired() moves a row caught mid-submit to stage `uncertain`,
 * so the next attempt starts with a query (invariant 3).
 *
 * One shape, two dialects, chosen once from StoreCapabilities.skipLocked: PostgreSQL claims with
 * `for update skip locked` so concurrent workers skip each other's rows instead of queueing behind
 * them; SQLite has one writer at a time and needs no lock clause.
 * Relies on two partial indexes (migration 001): invoices_due_idx (next_attempt_at) where status =
 * 'pending' and lease_expires_at is null, for the claim; invoices_lease_idx (lease_expires_at) where
 * lease_expires_at is not null, for the reclaim.
 * @NOTE Measured by `npm run bench` (bench/RESULTS.md): the drain rate of a 11,000-invoice backlog.
 */
import { CompiledQuery, sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { stateKey, transition, type InvoiceEvent, type InvoiceState, type PendingStage } from '../domain/invoice-state.js';
import { appendAudit, type AuditEntry } from './audit-log.js';
import { invoiceEventOf } from '../domain/webhook-events.js';
import { recordInvoiceEvents } from './webhook-outbox.js';
import type { StoreCapabilities } from './capabilities.js';
import { enqueueJobs } from './job-queue.js';
import type { Batched, GroupCommit } from './group-commit.js';
import type { AttemptTable, Database } from './schema/index.js';

export interface LeaseOptions {
  /** This process's identity, stored in `lease_owner`. */
  readonly workerId: string;
  /** Most rows claimed at once. */
  readonly limit: number;
  /** How long a claim lasts, ms; must exceed the longest channel call (see config). */
  readonly leaseMs: number;
  /** Channels that may take a call now; invoices bound to others are left alone. */
  readonly usableChannels: readonly string[];
  /**
   * The channel new submits go to (the first usable one that is not isolated), or undefined when
   * none may take new work. A claimed submit is bound to it in the claim itself, before any request
   * leaves: if this worker dies mid-call, whoever reclaims the invoice knows which upstream to ask.
   */
  readonly newWorkChannel: string | undefined;
}

/** A claim on one invoice: what is needed to attempt it and to settle it. */
export interface Lease {
  readonly invoiceId: string;
  readonly leaseVersion: number;
  readonly workerId: string;
  /** The stage after claiming: `submitting` (send it) or `uncertain`/`awaiting_result` (query it). */
  readonly stage: PendingStage;
  readonly serialNo: string;
  /** The channel to send to or ask; bound by the claim for a submit. */
  readonly channel: string | null;
  readonly sellerTaxId: string;
  readonly orderNo: string;
  readonly attempts: number;
  readonly giveUpAt: number;
  readonly computedJson: string;
  /** When a claim last bound it for sending; null when never (or before migration 008). */
  readonly lastSentAt: number | null;
  /** A red invoice is pinned to its channel (the blue invoice's): settles never unbind it. */
  readonly kind: 'blue' | 'red';
  /** The trace the invoice belongs to (W3C traceparent); null while tracing was off when it was accepted. */
  readonly traceParent: string | null;
}

/** Claims due invoices; [] when none are due. Never waits on rows another worker holds. */
export async function leaseDue(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, options: LeaseOptions): Promise<Lease[]> {
  if (options.limit <= 0 || options.usableChannels.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    let due = tx
      .selectFrom('invoices')
      .select(['id', 'stage'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where('lease_expires_at', 'is', null)
      .where((eb) =>
        eb.or([
          ...(options.newWorkChannel === undefined ? [] : [eb('channel', 'is', null)]),
          eb('channel', 'in', [...options.usableChannels]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(options.limit);
    if (capabilities.skipLocked) due = due.forUpdate().skipLocked();
    const dueRows = await due.execute();
    if (dueRows.length === 0) return [];
    const ids = dueRows.map((row) => row.id);
    // What each was before this claim: the audit entry names it (waiting its turn, or for quota).
    const before = new Map(dueRows.map((row) => [row.id, row.stage]));
    const rows = await tx
      .updateTable('invoices')
      .set({
        lease_owner: options.workerId,
        lease_expires_at: now + options.leaseMs,
        lease_version: sql<number>`lease_version + 1`,
        stage: sql<string>`case when stage in ('queued', 'awaiting_quota') then 'submitting' else stage end`,
        // A red invoice keeps the blue invoice's channel: no other upstream can flush it.
        channel: sql<string>`case when stage in ('queued', 'awaiting_quota') and kind = 'blue' then coalesce(${options.newWorkChannel ?? null}, channel) else channel end`,
        last_sent_at: sql<number>`case when stage in ('queued', 'awaiting_quota') then ${now} else last_sent_at end`,
        updated_at: now,
      })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('lease_expires_at', 'is', null)
      .returning([
        'id',
        'lease_version',
        'stage',
        'serial_no',
        'channel',
        'seller_tax_id',
        'order_no',
        'attempts',
        'give_up_at',
        'computed_json',
        'last_sent_at',
        'kind',
        'trace_parent',
      ])
      .execute();
    const submits = rows.filter((row) => row.stage === 'submitting');
    await appendAudit(
      tx,
      capabilities,
      now,
      submits.map((row) => ({ invoiceId: row.id, event: 'lease_for_submit', from: `pending/${before.get(row.id) === 'awaiting_quota' ? 'awaiting_quota' : 'queued'}`, to: 'pending/submitting', detail: { channel: row.channel } })),
    );
    return rows.map((row) => ({
      invoiceId: row.id,
      leaseVersion: row.lease_version,
      workerId: options.workerId,
      stage: row.stage as PendingStage,
      serialNo: row.serial_no,
      channel: row.channel,
      sellerTaxId: row.seller_tax_id,
      orderNo: row.order_no,
      attempts: row.attempts,
      giveUpAt: row.give_up_at,
      computedJson: row.computed_json,
      lastSentAt: row.last_sent_at === null ? null : Number(row.last_sent_at),
      kind: row.kind === 'red' ? 'red' : 'blue',
      traceParent: row.trace_parent,
    }));
  });
}

/** What one attempt did, as the dispatcher decided it: the event and what to write. */
export interface Settlement {
  readonly event: InvoiceEvent;
  /** When to look at the invoice again (pending states only), ms. */
  readonly nextAttemptAt: number;
  /** The channel the invoice is now bound to; null unbinds it (provably not issued anywhere). */
  readonly channel: string | null;
  readonly number?: string;
  readonly issuedAt?: number;
  readonly simulated?: boolean;
  /** Whether an upstream call was made (counts as an attempt). */
  readonly called: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  /** A red invoice's 红字确认单 as the upstream reported it. */
  readonly confirmation?: { readonly billNo: string; readonly status: string };
  /** When the invoice was sent again (a resend to the same channel): restarts the settle window. */
  readonly sentAt?: number;
  /** The attempt row, when a call was made. */
  readonly attempt?: AttemptRecord;
  /** The query that found nothing just before a resend to the same channel (sentAt): its own row. */
  readonly queried?: AttemptRecord;
}

/** One call to an upstream, as the timeline shows it. */
export interface AttemptRecord {
  readonly action: 'submit' | 'query';
  readonly channel: string;
  readonly outcome: string;
  readonly startedAt: number;
  readonly durationMs: number;
}

/**
 * Records the outcome of one attempt and releases the lease, fenced by id and lease version.
 * Returns 'lost' when the fence fails: the row moved on (the lease expired and was reclaimed), and
 * the caller must report nothing; whoever holds it now will settle it.
 */
export async function settleLease(
  tx: Transaction<Database>,
  capabilities: StoreCapabilities,
  now: number,
  lease: Lease,
  settlement: Settlement,
): Promise<'settled' | 'lost'> {
  const plan = planSettle(now, lease, settlement);
  const result = await tx
    .updateTable('invoices')
    .set({
      status: plan.status,
      stage: plan.stage,
      channel: plan.channel,
      next_attempt_at: plan.nextAttemptAt,
      lease_owner: null,
      lease_expires_at: null,
      attempts: settlement.called ? sql<number>`attempts + 1` : sql<number>`attempts`,
      updated_at: now,
      ...(plan.sentAt !== undefined && { last_sent_at: plan.sentAt }),
      ...(plan.number && { number: plan.number.number, issued_at: plan.number.issuedAt }),
      ...(plan.simulated !== undefined && { simulated: plan.simulated }),
      ...(plan.error && { last_error_code: plan.error.code, last_error_message: plan.error.message, last_error_at: now }),
      ...(plan.confirmation && { confirmation_bill_no: plan.confirmation.billNo, confirmation_status: plan.confirmation.status }),
    })
    .where('id', '=', lease.invoiceId)
    .where('lease_version', '=', lease.leaseVersion)
    .where('lease_owner', '=', lease.workerId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return 'lost';
  await writeAfterSettle(tx, capabilities, now, [plan]);
  return 'settled';
}

/** What one settle writes, decided from the lease and the settlement before any SQL. */
interface SettlePlan {
  readonly lease: Lease;
  readonly now: number;
  readonly called: boolean;
  readonly status: string;
  readonly stage: string | null;
  readonly channel: string | null;
  readonly nextAttemptAt: number;
  readonly number?: { readonly number: string; readonly issuedAt: number };
  readonly simulated?: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly confirmation?: { readonly billNo: string; readonly status: string };
  readonly sentAt?: number;
  /** Issued: its documents are due (the document renderer makes them off this path). */
  readonly documentsDue: boolean;
  readonly attempts: readonly Insertable<AttemptTable>[];
  readonly audit?: AuditEntry;
}

function planSettle(now: number, lease: Lease, settlement: Settlement): SettlePlan {
  const from: InvoiceState = { status: 'pending', stage: lease.stage };
  const to = transition(from, settlement.event);
  const pending = to.status === 'pending';
  const fromKey = stateKey(from);
  const toKey = stateKey(to);
  const detail: Record<string, unknown> = {};
  if (settlement.channel) detail.channel = settlement.channel;
  if (settlement.number) detail.number = settlement.number;
  if (settlement.error) detail.error = settlement.error.code;
  if (settlement.confirmation) detail.confirmation = settlement.confirmation;
  return {
    lease,
    now,
    called: settlement.called,
    status: to.status,
    stage: pending ? to.stage : null,
    channel: lease.kind === 'red' ? lease.channel : settlement.channel,
    nextAttemptAt: pending ? settlement.nextAttemptAt : now,
    ...(settlement.number !== undefined && { number: { number: settlement.number, issuedAt: settlement.issuedAt ?? now } }),
    ...(to.status === 'issued' && { simulated: settlement.simulated ? 1 : 0 }),
    ...(settlement.error && { error: settlement.error }),
    ...(settlement.confirmation && { confirmation: settlement.confirmation }),
    ...(settlement.sentAt !== undefined && { sentAt: settlement.sentAt }),
    documentsDue: to.status === 'issued',
    attempts: [settlement.queried, settlement.attempt].flatMap((attempt) => (attempt ? [attemptRowOf(lease, attempt, attempt === settlement.attempt ? settlement.error : undefined)] : [])),
    ...(fromKey !== toKey && { audit: { invoiceId: lease.invoiceId, event: settlement.event, from: fromKey, to: toKey, detail, at: now } }),
  };
}

function attemptRowOf(lease: Lease, attempt: AttemptRecord, error: Settlement['error']): Insertable<AttemptTable> {
  return {
    invoice_id: lease.invoiceId,
    kind: attempt.action,
    channel: attempt.channel,
    serial_no: lease.serialNo,
    outcome: attempt.outcome,
    error_code: error?.code ?? null,
    error_message: error?.message ?? null,
    started_at: attempt.startedAt,
    duration_ms: attempt.durationMs,
  };
}

/** The rows that follow settles that landed: documents jobs, attempts, audit entries; a statement each for all of them. */
async function writeAfterSettle(tx: Transaction<Database>, capabilities: StoreCapabilities, now: number, plans: readonly SettlePlan[]): Promise<void> {
  await enqueueJobs(tx, 'documents', plans.filter((plan) => plan.documentsDue).map((plan) => plan.lease.invoiceId), now);
  const attempts = plans.flatMap((plan) => plan.attempts);
  if (attempts.length > 0) await tx.insertInto('attempts').values(attempts).execute();
  await appendAudit(tx, capabilities, now, plans.flatMap((plan) => (plan.audit ? [plan.audit] : [])));
  const changes = plans.flatMap((plan) => {
    const type = plan.audit ? invoiceEventOf(plan.audit.to) : undefined;
    return type ? [{ invoiceId: plan.lease.invoiceId, type }] : [];
  });
  await recordInvoiceEvents(tx, capabilities, now, changes);
}

interface SettleRequest {
  readonly capabilities: StoreCapabilities;
  readonly now: number;
  readonly lease: Lease;
  readonly settlement: Settlement;
}

/**
 * The settles of one transaction on PostgreSQL: one UPDATE … FROM (VALUES …) fenced row by row by
 * id, lease version and owner exactly as a single settle is, then the rows that follow for those
 * that landed — a handful of statements for the lot instead of four for each.
 */
const SETTLE_BATCH: Batched<SettleRequest, 'settled' | 'lost'> = {
  async run(tx, requests) {
    const plans = requests.map((request) => planSettle(request.now, request.lease, request.settlement));
    const text = (value: string | null) => sql`cast(${value} as text)`;
    const big = (value: number | null) => sql`cast(${value} as bigint)`;
    const rows = plans.map(
      (plan) => sql`(${sql.join([
        text(plan.lease.invoiceId),
        sql`cast(${plan.lease.leaseVersion} as integer)`,
        text(plan.lease.workerId),
        text(plan.status),
        text(plan.stage),
        text(plan.channel),
        big(plan.nextAttemptAt),
        sql`cast(${plan.called ? 1 : 0} as integer)`,
        big(plan.now),
        sql`cast(${plan.number !== undefined} as boolean)`,
        text(plan.number?.number ?? null),
        big(plan.number?.issuedAt ?? null),
        sql`cast(${plan.simulated !== undefined} as boolean)`,
        sql`cast(${plan.simulated ?? null} as integer)`,
        sql`cast(${plan.error !== undefined} as boolean)`,
        text(plan.error?.code ?? null),
        text(plan.error?.message ?? null),
        sql`cast(${plan.confirmation !== undefined} as boolean)`,
        text(plan.confirmation?.billNo ?? null),
        text(plan.confirmation?.status ?? null),
        big(plan.sentAt ?? null),
      ])})`,
    );
    const { rows: landed } = await sql<{ id: string; version: number }>`
      update invoices as i set
        status = v.status, stage = v.stage, channel = v.channel, next_attempt_at = v.next_at,
        lease_owner = null, lease_expires_at = null, attempts = i.attempts + v.called, updated_at = v.now,
        "number" = case when v.set_number then v.num else i."number" end,
        issued_at = case when v.set_number then v.issued else i.issued_at end,
        simulated = case when v.set_simulated then v.sim else i.simulated end,
        last_error_code = case when v.set_error then v.error_code else i.last_error_code end,
        last_error_message = case when v.set_error then v.error_message else i.last_error_message end,
        last_error_at = case when v.set_error then v.now else i.last_error_at end,
        confirmation_bill_no = case when v.set_confirmation then v.bill_no else i.confirmation_bill_no end,
        confirmation_status = case when v.set_confirmation then v.bill_status else i.confirmation_status end,
        last_sent_at = coalesce(v.sent_at, i.last_sent_at)
      from (values ${sql.join(rows)}) as v (id, version, owner, status, stage, channel, next_at, called, now, set_number, num, issued, set_simulated, sim, set_error, error_code, error_message, set_confirmation, bill_no, bill_status, sent_at)
      where i.id = v.id and i.lease_version = v.version and i.lease_owner = v.owner
      returning v.id, v.version`.execute(tx);
    const held = new Set(landed.map((row) => `${row.id}/${Number(row.version)}`));
    const settled = plans.map((plan) => held.has(`${plan.lease.invoiceId}/${plan.lease.leaseVersion}`));
    await writeAfterSettle(tx, requests[0]!.capabilities, requests[0]!.now, plans.filter((_plan, n) => settled[n]));
    return settled.map((landedHere) => (landedHere ? 'settled' : 'lost'));
  },
};

/**
 * One settle's fenced update as SQL text written once: every column it may set is in it, each set
 * or kept by a flag (as in the PostgreSQL batch), so the text never changes and no query is built.
 */
const SETTLE_ROW_TEXT = `update invoices set
  status = ?, stage = ?, channel = ?, next_attempt_at = ?, lease_owner = null, lease_expires_at = null,
  attempts = attempts + ?, updated_at = ?,
  "number" = case when ? then ? else "number" end,
  issued_at = case when ? then ? else issued_at end,
  simulated = case when ? then ? else simulated end,
  last_error_code = case when ? then ? else last_error_code end,
  last_error_message = case when ? then ? else last_error_message end,
  last_error_at = case when ? then ? else last_error_at end,
  confirmation_bill_no = case when ? then ? else confirmation_bill_no end,
  confirmation_status = case when ? then ? else confirmation_status end,
  last_sent_at = coalesce(?, last_sent_at)
  where id = ? and lease_version = ? and lease_owner = ?`;

const flag = (set: boolean) => (set ? 1 : 0);

/**
 * The settles of one transaction on SQLite: each fenced update in turn (in the process, a
 * statement per settle costs microseconds), then the rows that follow for those that landed in one
 * go, as on PostgreSQL.
 */
const SETTLE_EACH: Batched<SettleRequest, 'settled' | 'lost'> = {
  async run(tx, requests) {
    const capabilities = requests[0]!.capabilities;
    const plans = requests.map((request) => planSettle(request.now, request.lease, request.settlement));
    const settled: boolean[] = [];
    for (const plan of plans) {
      const { lease } = plan;
      const result = await tx.executeQuery(
        CompiledQuery.raw(SETTLE_ROW_TEXT, [
          plan.status, plan.stage, plan.channel, plan.nextAttemptAt, flag(plan.called), plan.now,
          flag(plan.number !== undefined), plan.number?.number ?? null,
          flag(plan.number !== undefined), plan.number?.issuedAt ?? null,
          flag(plan.simulated !== undefined), plan.simulated ?? null,
          flag(plan.error !== undefined), plan.error?.code ?? null,
          flag(plan.error !== undefined), plan.error?.message ?? null,
          flag(plan.error !== undefined), plan.now,
          flag(plan.confirmation !== undefined), plan.confirmation?.billNo ?? null,
          flag(plan.confirmation !== undefined), plan.confirmation?.status ?? null,
          plan.sentAt ?? null,
          lease.invoiceId, lease.leaseVersion, lease.workerId,
        ]),
      );
      settled.push(result.numAffectedRows === 1n);
    }
    await writeAfterSettle(tx, capabilities, requests[0]!.now, plans.filter((_plan, n) => settled[n]));
    return settled.map((landed) => (landed ? 'settled' : 'lost'));
  },
};

/** A settle through the group committer, together with the other settles of its transaction. */
export function submitSettle(commit: GroupCommit, capabilities: StoreCapabilities, now: number, lease: Lease, settlement: Settlement): Promise<'settled' | 'lost'> {
  return commit.submitBatched(capabilities.batchedWrites ? SETTLE_BATCH : SETTLE_EACH, { capabilities, now, lease, settlement });
}

/**
 * A lease given up, however (expired, or handed back by a stopping process): a row caught
 * mid-submit becomes `uncertain` (the request may have reached the upstream), the claim is cleared,
 * its version moves on (so the old holder's settle writes nothing), and the row is due at once.
 */
function releasedLease(now: number) {
  return {
    stage: sql<string>`case when stage = 'submitting' then 'uncertain' else stage end`,
    lease_owner: null,
    lease_expires_at: null,
    lease_version: sql<number>`lease_version + 1`,
    next_attempt_at: now,
    updated_at: now,
  };
}

/**
 * Gives back this process's claims whose attempts did not end as it stopped (a graceful shutdown
 * past its deadline): each row still held under its claim is released at once, a row caught
 * mid-submit to `uncertain` (the request may have reached the upstream) exactly as an expired lease
 * would be, so another process resolves it in seconds instead of after the lease runs out. Fenced
 * by version and owner; the version moves on, so the abandoned attempt's settle writes nothing.
 */
export async function releaseLeases(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, leases: readonly Lease[]): Promise<number> {
  if (leases.length === 0) return 0;
  return db.transaction().execute(async (tx) => {
    const released: { id: string; stage: string | null }[] = [];
    for (const lease of leases) {
      const row = await tx
        .updateTable('invoices')
        .set(releasedLease(now))
        .where('id', '=', lease.invoiceId)
        .where('lease_version', '=', lease.leaseVersion)
        .where('lease_owner', '=', lease.workerId)
        .where('status', '=', 'pending')
        .returning(['id'])
        .executeTakeFirst();
      if (row) released.push({ id: row.id, stage: lease.stage });
    }
    await appendAudit(
      tx,
      capabilities,
      now,
      released.filter((row) => row.stage === 'submitting').map((row) => ({ invoiceId: row.id, event: 'lease_released', from: 'pending/submitting', to: 'pending/uncertain' })),
    );
    return released.length;
  });
}

/**
 * Releases leases that expired before `now`: a row caught mid-submit becomes `uncertain` (the
 * request may have reached the upstream), and every released row is due at once. Returns how many.
 */
export async function reclaimExpired(db: Kysely<Database>, capabilities: StoreCapabilities, now: number, limit: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    let expired = tx
      .selectFrom('invoices')
      .select(['id', 'stage'])
      .where('status', '=', 'pending')
      .where('lease_expires_at', '<', now)
      .limit(limit);
    if (capabilities.skipLocked) expired = expired.forUpdate().skipLocked();
    const rows = await expired.execute();
    if (rows.length === 0) return 0;
    await tx
      .updateTable('invoices')
      .set(releasedLease(now))
      .where('id', 'in', rows.map((row) => row.id))
      .where('lease_expires_at', '<', now)
      .execute();
    const entries: AuditEntry[] = rows
      .filter((row) => row.stage === 'submitting')
      .map((row) => ({ invoiceId: row.id, event: 'lease_expired', from: 'pending/submitting', to: 'pending/uncertain' }));
    await appendAudit(tx, capabilities, now, entries);
    return rows.length;
  });
}
