/**
 * Issues the waiting rows of batches on the leased-work pattern: claim a batch, issue a slice of
 * its rows through the same use case as POST /v1/invoices (each row's 发票流水号 its idempotency key,
 * so a row issued twice — by a worker that lost its claim, or after a crash — is one invoice),
 * settle the rows, and give the batch back due at once until none wait.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchError } from '../domain/batch-template.js';
import { errorMessage } from '../domain/error-message.js';
import type { Invoicing, IssueOutcome } from '../invoicing/invoicing.js';
import type { Clock } from '../runtime/clock.js';
import { leaseDueBatches, settleRows, waitingRows, type BatchLease, type RowOutcome } from '../store/batch-store.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import { OverloadedError } from '../store/group-commit.js';
import { completeJob, deferJob, recordJobFailure } from '../store/job-queue.js';
import type { Database } from '../store/schema/index.js';
import { LeasedJobWorker } from './leased-worker.js';

/** The row's outcome as its answer would be over HTTP. */
function rowOutcome(rowNo: number, outcome: IssueOutcome): RowOutcome {
  if (outcome.kind === 'created' || outcome.kind === 'replayed') return { rowNo, invoiceId: outcome.invoice.id };
  const error = (code: string, message: string, messageZh: string): BatchError[] => [{ path: '', code, message, messageZh }];
  switch (outcome.kind) {
    case 'invalid':
      return { rowNo, errors: outcome.errors.map((item) => ({ path: item.path, code: item.code, message: item.message, messageZh: item.messageZh })) };
    case 'seller_forbidden':
      return { rowNo, errors: error('seller_forbidden', 'the batch may not issue for this seller', '无权为该销售方开票') };
    case 'key_reused':
      return { rowNo, errors: error('batch_serial_reused', `the serial number was used before for invoice ${outcome.invoiceId} with different content`, `发票流水号已用于内容不同的发票（${outcome.invoiceId}）`) };
    case 'order_no_taken':
      return { rowNo, errors: error('order_no_taken', `the order number belongs to invoice ${outcome.invoiceId} already`, `订单号已开过发票（${outcome.invoiceId}）`) };
    case 'quota_exceeded':
      return { rowNo, errors: error('quota_exceeded', `the month's invoice quota cannot cover it: ${outcome.available} yuan can be spent now`, `当月发票额度不足：当前可用${outcome.available}元`) };
  }
}

export class BatchIssuer extends LeasedJobWorker<BatchLease> {
  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly capabilities: StoreCapabilities;
      readonly invoicing: Invoicing;
      readonly clock: Clock;
      readonly log: Logger;
    },
    private readonly options: { readonly leaseMs: number; readonly pollIntervalMs: number; readonly sliceRows: number; readonly rowsInFlight: number; readonly retryMs: number },
  ) {
    super((free) => leaseDueBatches(deps.db, deps.capabilities, deps.clock.now(), { limit: free, leaseMs: options.leaseMs }), { concurrency: 1, pollIntervalMs: options.pollIntervalMs, name: 'batch issuer' }, deps);
  }

  protected async work(lease: BatchLease): Promise<void> {
    const { db, clock, log } = this.deps;
    try {
      const rows = await waitingRows(db, lease.batchId, this.options.sliceRows);
      const outcomes: RowOutcome[] = [];
      let overloaded = false;
      for (let start = 0; start < rows.length && !overloaded; start += this.options.rowsInFlight) {
        const slice = rows.slice(start, start + this.options.rowsInFlight);
        const settled = await Promise.allSettled(slice.map((row) => this.deps.invoicing.issue(row.request, row.serialNo, { sellers: [lease.sellerTaxId] })));
        settled.forEach((result, index) => {
          if (result.status === 'fulfilled') outcomes.push(rowOutcome(slice[index]!.rowNo, result.value));
          else if (result.reason instanceof OverloadedError) overloaded = true;
          else throw result.reason;
        });
      }
      await settleRows(db, lease.batchId, outcomes, clock.now());
      const now = clock.now();
      // Interactive requests come first: a full commit queue makes the batch wait a moment.
      if (overloaded || rows.length === this.options.sliceRows) await deferJob(db, lease.job, overloaded ? now + this.options.retryMs : now, now);
      else if (rows.length === 0 || (await waitingRows(db, lease.batchId, 1)).length === 0) await db.transaction().execute((tx) => completeJob(tx, lease.job, now));
      else await deferJob(db, lease.job, now, now);
      if (!overloaded && rows.length > 0) this.wake();
    } catch (error) {
      log.warn({ batch: lease.batchId, err: error }, 'batch issuing failed; it is tried again');
      await recordJobFailure(db, lease.job, { message: errorMessage(error), nextAt: clock.now() + this.options.retryMs, now: clock.now() }).catch(() => undefined);
    }
  }
}
