/**
 * Issuing many invoices at once: a 电子税务局 template (.xlsx) or JSON rows is read, every row is
 * checked by the rules an invoice is checked by before anything is issued, and the batch is stored
 * with its rows for the `batch` job queue to issue (src/dispatch/batch-issuer.ts). Each row's 发票流水号
 * is its idempotency key and order number, so the same file uploaded twice issues nothing twice.
 */
import { rm } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import {
  BASIC_SHEET,
  cellOf,
  SHEET_NAMES,
  SHEET_NUMBERS,
  TEMPLATE_SHEETS,
  TemplateReader,
  type BatchError,
  type TemplateColumns,
  type TemplateInvoice,
  type TemplateProblem,
} from '../domain/batch-template.js';
import { fieldError, pointer, type FieldError } from '../domain/field-error.js';
import type { Refusal } from '../domain/refusal.js';
import { checkWorkbookFile, readSheetRows, SpreadsheetRefusal } from '../documents/spreadsheet.js';
import type { Clock } from '../runtime/clock.js';
import {
  addBatchRows,
  dropBatch,
  finishBatchCheck,
  insertBatch,
  stagedDuplicates,
  stagedInvoiceCount,
  stagedOrphans,
  stagedPage,
  stageRows,
  usedSerialNumbers,
  type BatchMode,
  type NewBatchRow,
  type StagedRow,
} from '../store/batch-store.js';
import { newBatchId } from '../store/ids.js';
import { requestHash } from '../store/request-hash.js';
import type { Database } from '../store/schema/index.js';
import type { Actor, Invoicing } from './invoicing.js';

export const BATCH_MODES = ['each', 'all'] as const;
export const BATCH_LIMITS = { maxInvoices: 20_000 } as const;

export type BatchSource =
  | { readonly kind: 'xlsx'; readonly path: string; readonly fileName: string | null; readonly sellerTaxId: string }
  | { readonly kind: 'json'; readonly invoices: unknown };

export type SubmitOutcome =
  | { readonly kind: 'stored'; readonly batchId: string; readonly status: 'accepted' | 'refused' }
  | Extract<Refusal, { kind: 'seller_forbidden' | 'invalid' | 'batch_file_refused' }>;

/** One invoice of a batch before its checks: where it came from and the request it makes. */
interface Candidate {
  readonly rowNo: number;
  readonly serialNo: string;
  readonly request: Record<string, unknown>;
  readonly errors: BatchError[];
  readonly locate: (path: string) => Omit<BatchError, 'code' | 'message' | 'messageZh'>;
}

const SERIAL_FORM = /^[\x21-\x7e]{1,20}$/;

function fromProblem(problem: TemplateProblem): BatchError {
  return { sheet: problem.sheet, row: problem.row, ...(problem.column !== undefined && { column: problem.column }), code: problem.code, message: problem.message, messageZh: problem.messageZh };
}

function fromFieldError(error: FieldError, at: Omit<BatchError, 'code' | 'message' | 'messageZh'>): BatchError {
  return { ...at, code: error.code, message: error.message, messageZh: error.messageZh };
}

const sameCell = (a: BatchError, b: BatchError) => a.sheet === b.sheet && a.row === b.row && a.column === b.column;

export class BatchImport {
  constructor(
    private readonly deps: {
      readonly db: Kysely<Database>;
      readonly reader: Kysely<Database>;
      readonly invoicing: Invoicing;
      readonly clock: Clock;
      /** A batch with rows to issue was stored: the issuer may start at once. */
      readonly onStored?: () => void;
    },
  ) {}

  /** Reads, checks and stores a batch; nothing is issued here, and nothing stored when it is refused as a whole. */
  async submit(actor: Actor, createdBy: string, mode: BatchMode, source: BatchSource): Promise<SubmitOutcome> {
    if (source.kind === 'xlsx') return this.submitWorkbook(actor, createdBy, mode, source);
    // JSON rows are bounded by the body's size: checked in memory, stored in one transaction.
    const read = readJsonRows(source.invoices);
    if (read.kind !== 'read') return read;
    const sellers = [...new Set(read.candidates.map((candidate) => sellerOf(candidate.request)).filter((taxId) => taxId !== undefined))];
    const seller = sellers[0] ?? actor.sellers[0] ?? '';
    const foreign = sellers.filter((taxId) => !actor.sellers.includes(taxId));
    if (!actor.sellers.includes(seller) || foreign.length > 0) return { kind: 'seller_forbidden', sellers: foreign.length > 0 ? foreign : [seller] };
    await this.check(read.candidates, seller, actor);
    const status = mode === 'all' && read.candidates.some((candidate) => candidate.errors.length > 0) ? 'refused' : 'accepted';
    const rows = read.candidates.map((candidate) => batchRow(candidate, status === 'refused'));
    const now = this.deps.clock.now();
    const id = newBatchId(now);
    await insertBatch(this.deps.db, { id, sellerTaxId: seller, mode, status, source: 'json', fileName: null, problems: undefined, createdBy, rows }, now);
    if (status === 'accepted') this.deps.onStored?.();
    return { kind: 'stored', batchId: id, status };
  }

  /**
   * A template: its rows are staged as the file streams in, then checked a page of invoices at a
   * time, so memory stays the same whatever the file's size. The batch is `checking` meanwhile,
   * and removed whole if the file turns out not to be the template or the check fails.
   */
  private async submitWorkbook(actor: Actor, createdBy: string, mode: BatchMode, source: Extract<BatchSource, { kind: 'xlsx' }>): Promise<SubmitOutcome> {
    // A file for a seller the key does not act for is not even opened.
    if (!actor.sellers.includes(source.sellerTaxId)) return { kind: 'seller_forbidden', sellers: [source.sellerTaxId] };
    const { db, clock } = this.deps;
    const id = newBatchId(clock.now());
    await insertBatch(db, { id, sellerTaxId: source.sellerTaxId, mode, status: 'checking', source: 'xlsx', fileName: source.fileName, problems: undefined, createdBy, rows: [] }, clock.now());
    try {
      const staged = await this.stageWorkbook(id, source);
      if (staged.kind === 'batch_file_refused') {
        await dropBatch(db, id);
        return staged;
      }
      const { problems, duplicates } = await this.batchProblems(id);
      let refused = problems.length > 0;
      let total = 0;
      for (let after = 0; ; ) {
        const page = await stagedPage(db, id, after, PAGE_INVOICES, duplicates);
        if (page.last === undefined) break;
        const reader = new TemplateReader(source.sellerTaxId, staged.columns);
        for (const row of [...page.basic, ...page.detail, ...page.specific]) reader.row(SHEET_NAMES[row.sheet]!, row.rowNo, row.cells);
        const { invoices, problems: pageProblems } = reader.finish(TEMPLATE_SHEETS);
        const candidates = candidatesOf(invoices, pageProblems, problems);
        await this.check(candidates, source.sellerTaxId, actor);
        const rows = candidates.map((candidate) => batchRow(candidate, false));
        refused ||= rows.some((row) => row.status === 'refused');
        await addBatchRows(db, id, rows, clock.now());
        total += rows.length;
        after = page.last;
      }
      const status = mode === 'all' && refused ? 'refused' : 'accepted';
      await finishBatchCheck(db, id, { status, total, problems: problems.length > 0 ? problems : undefined, heldBack: [HELD_BACK] }, clock.now());
      if (status === 'accepted') this.deps.onStored?.();
      return { kind: 'stored', batchId: id, status };
    } catch (error) {
      await dropBatch(db, id).catch(() => undefined);
      throw error;
    }
  }

  /** Streams the file's rows into the staging table; a file that is not the template is refused whole. */
  private async stageWorkbook(id: string, source: Extract<BatchSource, { kind: 'xlsx' }>): Promise<{ kind: 'staged'; columns: TemplateColumns } | Extract<SubmitOutcome, { kind: 'batch_file_refused' }>> {
    const headers = new TemplateReader(source.sellerTaxId);
    const seen: string[] = [];
    // The checked copy sits beside the upload, in the same private folder, and goes with it.
    const checked = `${source.path}.checked`;
    let buffer: StagedRow[] = [];
    try {
      await checkWorkbookFile(source.path, checked);
      for await (const item of readSheetRows(checked, TEMPLATE_SHEETS)) {
        if ('started' in item) seen.push(item.sheet);
        else if (!headers.hasHeader(item.sheet)) headers.row(item.sheet, item.row, item.cells);
        else if (item.cells.some((cell) => cell !== undefined)) {
          buffer.push({ sheet: SHEET_NUMBERS[item.sheet]!, rowNo: item.row, serialNo: headers.serialOf(item.sheet, item.cells) ?? null, cells: item.cells });
          if (buffer.length >= STAGE_ROWS) {
            await stageRows(this.deps.db, id, buffer);
            buffer = [];
          }
        }
      }
      await stageRows(this.deps.db, id, buffer);
    } catch (error) {
      if (!(error instanceof SpreadsheetRefusal)) throw error;
      return { kind: 'batch_file_refused', problems: [{ ...(error.at && { sheet: error.at.sheet, row: error.at.row, column: String(error.at.column) }), code: `file_${error.code}`, message: error.message, messageZh: error.zh }] };
    } finally {
      await rm(checked, { force: true });
    }
    // A file whose sheets or columns are not the template's cannot be read row by row at all.
    const fileWide = headers.finish(seen).problems.filter((problem) => problem.row === 0 || problem.code === 'template_column_missing');
    if (fileWide.length > 0) return { kind: 'batch_file_refused', problems: fileWide.map(fromProblem) };
    const count = await stagedInvoiceCount(this.deps.db, id);
    if (count > BATCH_LIMITS.maxInvoices) return { kind: 'batch_file_refused', problems: [tooMany(count)] };
    if (count === 0) return { kind: 'batch_file_refused', problems: [{ sheet: BASIC_SHEET, code: 'template_empty', message: `${BASIC_SHEET} has no invoice rows`, messageZh: `“${BASIC_SHEET}”中没有发票` }] };
    return { kind: 'staged', columns: headers.columns() };
  }

  /** What only the whole file shows: a 发票流水号 used twice, and lines or 特定业务 rows of no invoice. */
  private async batchProblems(id: string): Promise<{ problems: BatchError[]; duplicates: ReadonlySet<number> }> {
    const problems: BatchError[] = [];
    const duplicates = await stagedDuplicates(this.deps.db, id);
    for (const duplicate of duplicates) {
      problems.push({ sheet: BASIC_SHEET, row: duplicate.rowNo, column: '发票流水号', code: 'template_serial_duplicate', message: `the 发票流水号 ${duplicate.serialNo} appears twice`, messageZh: `发票流水号 ${duplicate.serialNo} 重复` });
    }
    for (const orphan of await stagedOrphans(this.deps.db, id)) {
      const at = { sheet: SHEET_NAMES[orphan.sheet]!, row: orphan.rowNo, column: '发票流水号' };
      problems.push(
        orphan.serialNo === null
          ? { ...at, code: 'template_serial_missing', message: 'the 发票流水号 is empty', messageZh: '发票流水号为空' }
          : { ...at, code: 'template_orphan_row', message: `no invoice in ${BASIC_SHEET} has the 发票流水号 ${orphan.serialNo}`, messageZh: `发票流水号 ${orphan.serialNo} 在“${BASIC_SHEET}”中没有对应的发票` },
      );
    }
    return { problems, duplicates: new Set(duplicates.map((duplicate) => duplicate.rowNo)) };
  }

  /** Every rule of an invoice, then what the seller already used each serial number for. */
  private async check(candidates: readonly Candidate[], seller: string, actor: Actor): Promise<void> {
    for (const candidate of candidates) {
      const computed = await this.deps.invoicing.compute(candidate.request, actor);
      if (computed.kind === 'invalid') {
        for (const error of computed.errors) {
          const located = fromFieldError(error, candidate.locate(error.path));
          // The template's own finding on a cell says it better than the rule it then breaks.
          if (!candidate.errors.some((known) => sameCell(known, located))) candidate.errors.push(located);
        }
      }
    }
    const used = await usedSerialNumbers(this.deps.reader, seller, candidates.map((candidate) => candidate.serialNo));
    for (const candidate of candidates) {
      const hash = used.keys.get(candidate.serialNo);
      const at = candidate.locate('/orderNo');
      if (hash !== undefined && hash !== requestHash(candidate.request)) {
        candidate.errors.push({ ...at, code: 'batch_serial_reused', message: `the serial number ${candidate.serialNo} was used before for a different invoice`, messageZh: `发票流水号 ${candidate.serialNo} 已用于内容不同的发票，请换一个流水号` });
      } else if (hash === undefined && used.orders.has(candidate.serialNo)) {
        candidate.errors.push({ ...at, code: 'order_no_taken', message: `the order number ${candidate.serialNo} belongs to invoice ${used.orders.get(candidate.serialNo)!} already`, messageZh: `订单号 ${candidate.serialNo} 已开过发票（${used.orders.get(candidate.serialNo)!}）` });
      }
    }
  }
}

/** Invoices checked per page of a template, and rows staged per statement: what a check holds in memory. */
const PAGE_INVOICES = 500;
const STAGE_ROWS = 1000;

const HELD_BACK: BatchError = { code: 'batch_refused', message: 'not issued: other rows of the batch were refused, and mode "all" issues all or nothing', messageZh: '未开具：本批其他行有错误，“全部或全不”模式下整批不开具' };

/** A checked candidate as the batch stores it: waiting to be issued, or refused (its own errors, or held back with the batch). */
function batchRow(candidate: Candidate, heldBack: boolean): NewBatchRow {
  if (candidate.errors.length > 0) return { rowNo: candidate.rowNo, serialNo: candidate.serialNo, status: 'refused', errors: candidate.errors };
  if (heldBack) return { rowNo: candidate.rowNo, serialNo: candidate.serialNo, status: 'refused', errors: [HELD_BACK] };
  return { rowNo: candidate.rowNo, serialNo: candidate.serialNo, status: 'waiting', request: candidate.request };
}

/** The invoices of a page as candidates, each with the problems of its own rows; the others go to the batch's. */
function candidatesOf(invoices: readonly TemplateInvoice[], problems: readonly TemplateProblem[], batchProblems: BatchError[]): Candidate[] {
  const owner = new Map<string, TemplateInvoice>();
  for (const invoice of invoices) for (const cell of [{ sheet: BASIC_SHEET, row: invoice.row }, ...invoice.cells.values()]) owner.set(`${cell.sheet}:${cell.row}`, invoice);
  const byInvoice = new Map<TemplateInvoice, BatchError[]>();
  for (const problem of problems) {
    const invoice = owner.get(`${problem.sheet}:${problem.row}`);
    if (invoice) byInvoice.set(invoice, [...(byInvoice.get(invoice) ?? []), fromProblem(problem)]);
    else batchProblems.push(fromProblem(problem));
  }
  return invoices.map((invoice) => ({ rowNo: invoice.row, serialNo: invoice.serialNo, request: invoice.request, errors: byInvoice.get(invoice) ?? [], locate: (path) => cellOf(invoice, path) }));
}

const tooMany = (count: number): BatchError => ({
  code: 'batch_too_many',
  message: `${count} invoices; a batch holds at most ${BATCH_LIMITS.maxInvoices}: split it`,
  messageZh: `共 ${count} 张发票，每批最多 ${BATCH_LIMITS.maxInvoices} 张，请拆分`,
});

function sellerOf(request: Record<string, unknown>): string | undefined {
  const taxId = (request.seller as { taxId?: unknown } | undefined)?.taxId;
  return typeof taxId === 'string' ? taxId : undefined;
}

/** JSON rows: `[{ serialNo, …invoice request }]`; the serial number is the order number unless one is given. */
function readJsonRows(value: unknown): { kind: 'read'; candidates: Candidate[]; problems: BatchError[] } | Extract<SubmitOutcome, { kind: 'invalid' }> {
  if (value === undefined || value === null) return { kind: 'invalid', of: 'batch', errors: [fieldError('/invoices', 'field_required')] };
  if (!Array.isArray(value)) return { kind: 'invalid', of: 'batch', errors: [fieldError('/invoices', 'type_invalid', { expected: 'array', example: '' })] };
  if (value.length === 0) return { kind: 'invalid', of: 'batch', errors: [fieldError('/invoices', 'lines_empty')] };
  if (value.length > BATCH_LIMITS.maxInvoices) return { kind: 'invalid', of: 'batch', errors: [fieldError('/invoices', 'lines_too_many', { max: BATCH_LIMITS.maxInvoices, actual: value.length })] };
  const seen = new Set<string>();
  const candidates = value.map((item: unknown, index): Candidate => {
    const base = pointer('/invoices', index);
    const locate = (path: string) => ({ path: `${base}${path}` });
    const errors: BatchError[] = [];
    const object = item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
    const { serialNo, ...request } = object ?? {};
    const serial = typeof serialNo === 'string' ? serialNo : '';
    if (!object) errors.push(fromFieldError(fieldError(base, 'type_invalid', { expected: 'object', example: '' }), { path: base }));
    else if (!SERIAL_FORM.test(serial)) errors.push({ path: `${base}/serialNo`, code: 'batch_serial_form', message: 'serialNo (发票流水号) is 1–20 printable ASCII characters', messageZh: '发票流水号须为 1–20 个字母、数字或符号' });
    else if (seen.has(serial)) errors.push({ path: `${base}/serialNo`, code: 'batch_serial_duplicate', message: `serialNo ${serial} appears twice in the batch`, messageZh: `发票流水号 ${serial} 在本批中重复` });
    seen.add(serial);
    if (object && request.orderNo === undefined && serial !== '') request.orderNo = serial;
    return { rowNo: index + 1, serialNo: serial || `#${index + 1}`, request, errors, locate };
  });
  return { kind: 'read', candidates, problems: [] };
}
