/**
 * The jobs table: background work that is not an invoice's own state, one queue per kind of work.
 * Every queue follows the one leased-work pattern (docs/architecture.md): claim due rows in a short
 * transaction (raising each row's lease version), work with no transaction open, and settle only
 * while the claim still holds — a settle whose version no longer matches lost its claim to another
 * worker after the lease ran out, and writes nothing.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { StoreCapabilities } from './capabilities.js';
import type { Database } from './schema/index.js';

/**
 * documents: render an issued invoice's PDF and XML; reconcile: one channel's day (subject
 * `CHANNEL@YYYY-MM-DD`); webhook: one event to one subscription (subject: the delivery id);
 * email: one invoice mailed to one address (subject: the delivery id); batch: the waiting rows of
 * one batch issued (subject: the batch id).
 */
export type JobQueue = 'documents' | 'reconcile' | 'webhook' | 'email' | 'batch';

/** A claim on one job: which one, the version that fences its settle, and how often it failed before. */
export interface JobLease {
  readonly queue: JobQueue;
  readonly subjectId: string;
  readonly leaseVersion: number;
  readonly attempts: number;
}

/** Adds jobs due at `now`, in the caller's transaction; a job already queued for a subject stays as it is. */
export async function enqueueJobs(tx: Transaction<Database>, queue: JobQueue, subjectIds: readonly string[], now: number): Promise<void> {
  if (subjectIds.length === 0) return;
  await tx
    .insertInto('jobs')
    .values(subjectIds.map((subjectId) => ({ queue, subject_id: subjectId, status: 'pending', next_at: now, lease_until: null, last_error: null, created_at: now, updated_at: now })))
    .onConflict((conflict) => conflict.columns(['queue', 'subject_id']).doNothing())
    .execute();
}

/** Claims up to `limit` due jobs of one queue; never waits on rows another process holds. */
export async function leaseDueJobs(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  queue: JobQueue,
  now: number,
  options: {
    readonly limit: number;
    readonly leaseMs: number;
    /** A queue's own condition for a due job to be taken now (webhooks: no earlier event of its subject still pending). */
    readonly ready?: (eb: ExpressionBuilder<Database, 'jobs'>) => Expression<SqlBool>;
  },
): Promise<JobLease[]> {
  if (options.limit <= 0) return [];
  return db.transaction().execute(async (tx) => {
    let due = tx
      .selectFrom('jobs')
      .select('subject_id')
      .where('queue', '=', queue)
      .where('status', '=', 'pending')
      .where('next_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_at')
      .limit(options.limit);
    if (options.ready) due = due.where(options.ready);
    if (capabilities.skipLocked) due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((row) => row.subject_id);
    if (ids.length === 0) return [];
    const rows = await tx
      .updateTable('jobs')
      .set({ lease_until: now + options.leaseMs, lease_version: sql<number>`lease_version + 1`, updated_at: now })
      .where('queue', '=', queue)
      .where('subject_id', 'in', ids)
      .returning(['subject_id', 'lease_version', 'attempts'])
      .execute();
    return rows.map((row) => ({ queue, subjectId: row.subject_id, leaseVersion: row.lease_version, attempts: row.attempts }));
  });
}

/**
 * Claims due jobs and loads what each is about in one more query: the claim-then-load every queue
 * does. `load` reads the subjects' rows, `idOf` names a row's subject, `lease` builds the claim the
 * worker gets; a job whose subject is gone is skipped (its claim runs out).
 */
export async function leaseJobs<Row, L>(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  queue: JobQueue,
  now: number,
  options: Parameters<typeof leaseDueJobs>[4],
  subjects: { readonly load: (ids: string[]) => Promise<readonly Row[]>; readonly idOf: (row: Row) => string; readonly lease: (job: JobLease, row: Row) => L },
): Promise<L[]> {
  const jobs = await leaseDueJobs(db, capabilities, queue, now, options);
  if (jobs.length === 0) return [];
  const rows = new Map((await subjects.load(jobs.map((job) => job.subjectId))).map((row) => [subjects.idOf(row), row]));
  return jobs.flatMap((job) => {
    const row = rows.get(job.subjectId);
    return row ? [subjects.lease(job, row)] : [];
  });
}

/** The fence of every settle: the job is still pending and no claim has come after this one. */
function stillHeld(eb: ExpressionBuilder<Database, 'jobs'>, lease: JobLease) {
  return eb.and([eb('queue', '=', lease.queue), eb('subject_id', '=', lease.subjectId), eb('lease_version', '=', lease.leaseVersion), eb('status', '=', 'pending')]);
}

/** Marks a job done, if its claim still holds; 'lost' wrote nothing and the caller must write nothing else. */
export async function completeJob(tx: Transaction<Database>, lease: JobLease, now: number): Promise<'done' | 'lost'> {
  const held = await tx
    .updateTable('jobs')
    .set({ status: 'done', last_error: null, lease_until: null, updated_at: now })
    .where((eb) => stillHeld(eb, lease))
    .executeTakeFirst();
  return held.numUpdatedRows === 0n ? 'lost' : 'done';
}

/** Records a failed try and when to try again, if the claim still holds. */
export async function recordJobFailure(
  db: Kysely<Database>,
  lease: JobLease,
  failure: { readonly message: string; readonly nextAt: number; readonly now: number },
): Promise<'recorded' | 'lost'> {
  const held = await db
    .updateTable('jobs')
    .set({ attempts: lease.attempts + 1, last_error: failure.message, next_at: failure.nextAt, lease_until: null, updated_at: failure.now })
    .where((eb) => stillHeld(eb, lease))
    .executeTakeFirst();
  return held.numUpdatedRows === 0n ? 'lost' : 'recorded';
}

/** Marks a job given up (its retries ran out), if the claim still holds. */
export async function giveUpJob(tx: Transaction<Database>, lease: JobLease, failure: { readonly message: string; readonly now: number }): Promise<'failed' | 'lost'> {
  const held = await tx
    .updateTable('jobs')
    .set({ status: 'failed', attempts: lease.attempts + 1, last_error: failure.message, lease_until: null, updated_at: failure.now })
    .where((eb) => stillHeld(eb, lease))
    .executeTakeFirst();
  return held.numUpdatedRows === 0n ? 'lost' : 'failed';
}

/**
 * Gives claims back before they run out (a process stopping): each job still held under its claim
 * is due again at once, and its version moves on, so the work that was abandoned cannot settle it.
 */
export async function releaseJobs(db: Kysely<Database>, leases: readonly JobLease[], now: number): Promise<void> {
  for (const lease of leases) {
    await db
      .updateTable('jobs')
      .set({ lease_until: null, next_at: now, lease_version: sql<number>`lease_version + 1`, updated_at: now })
      .where((eb) => stillHeld(eb, lease))
      .execute();
  }
}

/** Makes a job due again from its first try, whatever it was (a redelivery asked for by a person). */
export async function requeueJob(tx: Transaction<Database>, queue: JobQueue, subjectId: string, now: number): Promise<void> {
  await tx
    .insertInto('jobs')
    .values({ queue, subject_id: subjectId, status: 'pending', attempts: 0, next_at: now, lease_until: null, last_error: null, created_at: now, updated_at: now })
    .onConflict((conflict) =>
      conflict.columns(['queue', 'subject_id']).doUpdateSet({ status: 'pending', attempts: 0, next_at: now, lease_until: null, last_error: null, lease_version: sql<number>`jobs.lease_version + 1`, updated_at: now }),
    )
    .execute();
}

/** Gives a job back unfinished but not failed (work done in slices): due again at `nextAt`, if the claim still holds. */
export async function deferJob(db: Kysely<Database>, lease: JobLease, nextAt: number, now: number): Promise<'deferred' | 'lost'> {
  const held = await db
    .updateTable('jobs')
    .set({ next_at: nextAt, lease_until: null, lease_version: sql<number>`lease_version + 1`, updated_at: now })
    .where((eb) => stillHeld(eb, lease))
    .executeTakeFirst();
  return held.numUpdatedRows === 0n ? 'lost' : 'deferred';
}
