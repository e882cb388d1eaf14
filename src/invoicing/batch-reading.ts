/**
 * A batch as its submitter reads it: counts by status and one result per row (the invoice it
 * became, or why it was refused), for the seller's own keys only; and the result workbook rows.
 */
import type { Kysely } from 'kysely';
import type { BatchError } from '../domain/batch-template.js';
import { batchRows, findBatch, listBatches, type BatchRecord, type BatchRowRecord } from '../store/batch-store.js';
import type { Database } from '../store/schema/index.js';
import type { Actor } from './invoicing.js';

export type BatchStatus = 'checking' | 'refused' | 'accepted' | 'done';

export interface BatchRowView {
  readonly row: number;
  readonly serialNo: string;
  /** refused, waiting (not issued yet), or the status of the invoice it became. */
  readonly status: string;
  readonly invoiceId?: string;
  readonly number?: string;
  readonly total?: string;
  readonly errors?: BatchError[];
}

export interface BatchView {
  readonly id: string;
  readonly status: BatchStatus;
  readonly mode: string;
  readonly source: string;
  readonly fileName: string | null;
  readonly sellerTaxId: string;
  readonly createdAt: string;
  readonly total: number;
  readonly counts: { readonly accepted: number; readonly refused: number; readonly issued: number; readonly pending: number; readonly failed: number };
  readonly problems?: BatchError[];
  readonly rows: BatchRowView[];
}

function rowView(row: BatchRowRecord): BatchRowView {
  const status = row.status === 'accepted' ? (row.invoiceStatus ?? 'pending') : row.status;
  return {
    row: row.row,
    serialNo: row.serialNo,
    status,
    ...(row.invoiceId !== null && { invoiceId: row.invoiceId }),
    ...(row.number !== null && { number: row.number }),
    ...(row.total !== null && { total: row.total }),
    ...(row.errors !== undefined && { errors: row.errors as BatchError[] }),
  };
}

/** The view of a batch from its record and rows: counts, and done once no row waits and no invoice is pending. */
export function batchView(batch: BatchRecord, rows: readonly BatchRowRecord[]): BatchView {
  const views = rows.map(rowView);
  const count = (test: (row: BatchRowView) => boolean) => views.filter(test).length;
  const counts = {
    accepted: count((row) => row.invoiceId !== undefined),
    refused: count((row) => row.status === 'refused'),
    issued: count((row) => row.status === 'issued'),
    pending: count((row) => row.status === 'pending' || row.status === 'waiting'),
    failed: count((row) => row.status === 'failed' || row.status === 'rejected'),
  };
  const status: BatchStatus = batch.status === 'refused' || batch.status === 'checking' ? batch.status : counts.pending === 0 ? 'done' : 'accepted';
  return {
    id: batch.id,
    status,
    mode: batch.mode,
    source: batch.source,
    fileName: batch.fileName,
    sellerTaxId: batch.sellerTaxId,
    createdAt: new Date(batch.createdAt).toISOString(),
    total: batch.total,
    counts,
    ...(batch.problems !== undefined && { problems: batch.problems as BatchError[] }),
    rows: views,
  };
}

export class BatchReading {
  constructor(private readonly reader: Kysely<Database>) {}

  /** One batch of the actor's sellers; another seller's is not found, as if it did not exist. */
  async view(id: string, actor: Actor): Promise<BatchView | undefined> {
    const batch = /^bat_[0-9A-Z]{26}$/.test(id) ? await findBatch(this.reader, id) : undefined;
    if (!batch || !actor.sellers.includes(batch.sellerTaxId)) return undefined;
    return batchView(batch, await batchRows(this.reader, id));
  }

  /** The actor's latest batches, without their rows. */
  async list(actor: Actor, limit: number): Promise<Array<Omit<BatchView, 'rows'>>> {
    const batches = await listBatches(this.reader, actor.sellers, limit);
    const views = await Promise.all(batches.map(async (batch) => batchView(batch, await batchRows(this.reader, batch.id))));
    return views.map(({ rows: _rows, ...summary }) => summary);
  }
}

/** The result workbook's columns and rows: each row of the batch with its invoice number or its errors. */
export const RESULT_COLUMNS = [
  { header: '行号', width: 8 },
  { header: '发票流水号', width: 22 },
  { header: '状态', width: 10 },
  { header: '发票号码', width: 24 },
  { header: '价税合计', width: 14 },
  { header: '网关发票ID', width: 32 },
  { header: '错误说明', width: 80 },
] as const;

const STATUS_WORDS: Readonly<Record<string, string>> = { refused: '未通过', waiting: '待开具', pending: '开具中', issued: '已开具', failed: '失败', rejected: '被拒绝' };

/** Where an error is, as a person finds it in the file: 工作表 · 第 N 行 · 列. */
function errorText(error: BatchError): string {
  const where = [error.sheet, error.row !== undefined && error.row > 0 ? `第 ${error.row} 行` : undefined, error.column ?? error.path].filter(Boolean).join(' · ');
  return where ? `${where}：${error.messageZh}` : error.messageZh;
}

export function resultRows(view: BatchView): Array<Array<string | number | undefined>> {
  return view.rows.map((row) => [row.row, row.serialNo, STATUS_WORDS[row.status] ?? row.status, row.number, row.total, row.invoiceId, row.errors?.map(errorText).join('\n')]);
}
