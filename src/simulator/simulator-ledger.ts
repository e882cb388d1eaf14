/**
 * The simulator's own durable ledger (SQLite in its data directory): every invoice it accepted,
 * with the number it assigned. It is the ground truth the chaos test compares the gateway with,
 * so it must survive the simulator's own restarts.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

export interface LedgerRecord {
  readonly id: number;
  readonly serialNo: string;
  readonly sellerTaxId: string;
  readonly orderNo: string;
  readonly total: string;
  /** The final outcome, decided on acceptance; shown as `processing` until `readyAt`. */
  readonly outcome: 'issued' | 'rejected';
  readonly number: string;
  readonly reason: string | null;
  readonly acceptedAt: number;
  readonly readyAt: number;
  /** `blue`, or `red` with the number of the blue invoice it flushes. */
  readonly kind: 'blue' | 'red';
  readonly blueNumber: string | null;
  /** A red invoice's 红字确认单 and its state: 02 waiting for the counterparty, 04 confirmed, 05 refused. */
  readonly billNo: string | null;
  readonly confirmation: string | null;
}

/** A 红字确认单 filed through 诺诺's saveInvoiceRedConfirm. */
export interface RedForm {
  readonly billId: string;
  readonly billNo: string;
  readonly billUuid: string;
  readonly sellerTaxId: string;
  readonly blueNumber: string;
  /** The blue invoice's kind in 诺诺's words (pc 普票, bs 专票). */
  readonly blueLine: string;
  /** 诺诺's redReason (1–4). */
  readonly reason: string;
  /** 价税合计 of the red invoice, negative two-decimal text. */
  readonly total: string;
  readonly orderNo: string | null;
  /** As decided or answered: 01, 02, 04, 05 or 16 (15 until `readyAt`, 07 once 02 lapses: see formStatus). */
  readonly status: string;
  readonly message: string | null;
  readonly createdAt: number;
  readonly readyAt: number;
  readonly answeredAt: number | null;
  readonly payload: string;
}

interface FormRow {
  bill_id: string;
  bill_no: string;
  bill_uuid: string;
  seller_tax_id: string;
  blue_number: string;
  blue_line: string;
  reason: string;
  total: string;
  order_no: string | null;
  status: string;
  message: string | null;
  created_at: number;
  ready_at: number;
  answered_at: number | null;
  payload: string;
}

const toForm = (row: FormRow): RedForm => ({
  billId: row.bill_id,
  billNo: row.bill_no,
  billUuid: row.bill_uuid,
  sellerTaxId: row.seller_tax_id,
  blueNumber: row.blue_number,
  blueLine: row.blue_line,
  reason: row.reason,
  total: row.total,
  orderNo: row.order_no,
  status: row.status,
  message: row.message,
  createdAt: row.created_at,
  readyAt: row.ready_at,
  answeredAt: row.answered_at,
  payload: row.payload,
});

/** A form's state at `now`: 15 (申请中) until the bureau has looked at it, 07 once a wait for the counterparty lapses. */
export function formStatus(form: RedForm, now: number): string {
  if (now < form.readyAt) return '15';
  if (form.status === '02' && now - form.createdAt > CONFIRMATION_WINDOW_MS) return '07';
  return form.status;
}

/** How long a 红字确认单 waits for the counterparty before it lapses (state 07). */
export const CONFIRMATION_WINDOW_MS = 72 * 3_600_000;

interface Row {
  id: number;
  serial_no: string;
  seller_tax_id: string;
  order_no: string;
  total: string;
  outcome: 'issued' | 'rejected';
  number: string;
  reason: string | null;
  accepted_at: number;
  ready_at: number;
  kind: 'blue' | 'red';
  blue_number: string | null;
  bill_no: string | null;
  confirmation: string | null;
}

const toRecord = (row: Row): LedgerRecord => ({
  id: row.id,
  serialNo: row.serial_no,
  sellerTaxId: row.seller_tax_id,
  orderNo: row.order_no,
  total: row.total,
  outcome: row.outcome,
  number: row.number,
  reason: row.reason,
  acceptedAt: row.accepted_at,
  readyAt: row.ready_at,
  kind: row.kind,
  blueNumber: row.blue_number,
  billNo: row.bill_no,
  confirmation: row.confirmation,
});

// Issued and visible: no confirmation involved, or the counterparty confirmed it.
const VISIBLE = `outcome = 'issued' and (confirmation is null or confirmation in ('01', '04'))`;

const BEIJING_OFFSET_MS = 8 * 3600_000;

/**
 * A realistic 20-digit 数电 number (domain.md decision 6): 2-digit year, the seller's province
 * (digits 3–4 of its USCC), `2`, and a 15-digit sequence — here the ledger's own 4-digit issuer
 * code and its 11-digit count, so that two simulators (two ledgers) do not hand out the same number.
 */
export function invoiceNumber(sellerTaxId: string, at: number, sequence: number, issuer = 0): string {
  const year = new Date(at + BEIJING_OFFSET_MS).getUTCFullYear() % 100;
  const province = /^\d{2}$/.test(sellerTaxId.slice(2, 4)) ? sellerTaxId.slice(2, 4) : '00';
  return `${String(year).padStart(2, '0')}${province}2${String(issuer).padStart(4, '0')}${String(sequence).padStart(11, '0')}`;
}

export class SimulatorLedger {
  private readonly db: SqliteDatabase.Database;
  /** This ledger's issuer code in its invoice numbers: drawn once when the ledger is made, kept with it. */
  readonly issuer: number;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new SqliteDatabase(join(dataDir, 'ledger.db'));
    this.db.pragma('journal_mode = WAL');
    // The simulator is a development tool: durable across its own crashes is enough.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`create table if not exists records (
      id integer primary key, serial_no text not null, seller_tax_id text not null, order_no text not null,
      total text not null, outcome text not null, number text not null, reason text,
      accepted_at integer not null, ready_at integer not null, payload text not null)`);
    this.db.exec('create index if not exists records_serial on records (serial_no)');
    // Ledgers written before red invoices existed gain their columns (every record there is blue).
    const columns = (this.db.prepare('pragma table_info(records)').all() as Array<{ name: string }>).map((column) => column.name);
    if (!columns.includes('kind')) this.db.exec(`alter table records add column kind text not null default 'blue'`);
    if (!columns.includes('blue_number')) this.db.exec('alter table records add column blue_number text');
    if (!columns.includes('bill_no')) this.db.exec('alter table records add column bill_no text');
    if (!columns.includes('confirmation')) this.db.exec('alter table records add column confirmation text');
    this.db.exec('create index if not exists records_number on records (number)');
    // 诺诺's 红字确认单, filed before the red invoice exists (the reference protocol keeps its forms on the record).
    this.db.exec(`create table if not exists red_forms (
      bill_id text primary key, bill_no text not null unique, bill_uuid text not null, seller_tax_id text not null,
      blue_number text not null, blue_line text not null, reason text not null, total text not null,
      order_no text, status text not null, message text, created_at integer not null, ready_at integer not null,
      answered_at integer, payload text not null)`);
    this.db.exec('create index if not exists red_forms_blue on red_forms (blue_number)');
    this.db.exec('create table if not exists ledger (issuer integer not null)');
    const kept = this.db.prepare('select issuer from ledger').get() as { issuer: number } | undefined;
    this.issuer = kept?.issuer ?? randomInt(1, 10_000);
    if (!kept) this.db.prepare('insert into ledger (issuer) values (?)').run(this.issuer);
  }

  /** Files a 红字确认单: `status` is what it becomes once the bureau has looked at it (01, 02 or 16). */
  addForm(input: Omit<RedForm, 'billNo' | 'billUuid' | 'answeredAt'>): RedForm {
    const sequence = (this.db.prepare('select count(*) as n from red_forms').get() as { n: number }).n + 1;
    const billNo = `${new Date(input.createdAt).toISOString().slice(0, 10).replaceAll('-', '')}${String(sequence).padStart(12, '0')}`;
    this.db
      .prepare(
        `insert into red_forms (bill_id, bill_no, bill_uuid, seller_tax_id, blue_number, blue_line, reason, total, order_no, status, message, created_at, ready_at, payload)
         values (?, ?, lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(input.billId, billNo, input.sellerTaxId, input.blueNumber, input.blueLine, input.reason, input.total, input.orderNo, input.status, input.message, input.createdAt, input.readyAt, input.payload);
    return this.findForm({ billId: input.billId })!;
  }

  /** A 红字确认单 by any of its three names. */
  findForm(by: { billId?: string; billNo?: string; billUuid?: string }): RedForm | undefined {
    const [column, value] = by.billUuid ? ['bill_uuid', by.billUuid] : by.billNo ? ['bill_no', by.billNo] : ['bill_id', by.billId ?? ''];
    const row = this.db.prepare(`select * from red_forms where ${column} = ?`).get(value) as FormRow | undefined;
    return row && toForm(row);
  }

  /** The forms of one blue invoice. */
  formsOf(blueNumber: string): RedForm[] {
    return (this.db.prepare('select * from red_forms where blue_number = ? order by created_at').all(blueNumber) as FormRow[]).map(toForm);
  }

  /** The form whose red invoice is to carry this order number. */
  formOfOrder(orderNo: string): RedForm | undefined {
    const row = this.db.prepare('select * from red_forms where order_no = ?').get(orderNo) as FormRow | undefined;
    return row && toForm(row);
  }

  /** The counterparty's answer to a form waiting for it (02): 04 confirmed, 05 refused. */
  answerForm(billNo: string, agree: boolean, now: number): RedForm | undefined {
    this.db.prepare(`update red_forms set status = ?, answered_at = ?, message = ? where bill_no = ? and status = '02'`).run(agree ? '04' : '05', now, agree ? null : '购方否认，红字确认单已作废', billNo);
    return this.findForm({ billNo });
  }

  /** A form waiting for the counterparty (02), withdrawn by whoever filed it: 08, and its red invoice never issued. */
  revokeForm(billNo: string, now: number): RedForm | undefined {
    this.db.prepare(`update red_forms set status = '08', answered_at = ?, message = ? where bill_no = ? and status = '02'`).run(now, '发起方已撤销红字确认单', billNo);
    return this.findForm({ billNo });
  }

  /** The issued invoice with this number, if any. */
  findByNumber(number: string): LedgerRecord | undefined {
    const row = this.db.prepare(`select * from records where number = ? and ${VISIBLE} limit 1`).get(number) as Row | undefined;
    return row && toRecord(row);
  }

  /** The red invoices that hold part of a blue number: issued, or waiting for their confirmation (refused ones hold nothing). */
  redsOf(blueNumber: string): LedgerRecord[] {
    return (this.db.prepare(`select * from records where blue_number = ? and outcome = 'issued' order by id`).all(blueNumber) as Row[]).map(toRecord);
  }

  /** The red invoice of a 红字确认单. */
  findByBill(billNo: string): LedgerRecord | undefined {
    const row = this.db.prepare('select * from records where bill_no = ? limit 1').get(billNo) as Row | undefined;
    return row && toRecord(row);
  }

  /** The counterparty's answer to a waiting 红字确认单: confirmed (04, issued now) or refused (05). */
  answerConfirmation(billNo: string, agree: boolean, now: number): LedgerRecord | undefined {
    if (agree) this.db.prepare(`update records set confirmation = '04', ready_at = ? where bill_no = ? and confirmation = '02'`).run(now, billNo);
    else this.db.prepare(`update records set confirmation = '05', outcome = 'rejected', reason = '购方否认，红字确认单已作废' where bill_no = ? and confirmation = '02'`).run(billNo);
    return this.findByBill(billNo);
  }

  /** A waiting 红字确认单 withdrawn by whoever filed it (state 08): its red invoice is never issued. */
  revokeConfirmation(billNo: string): LedgerRecord | undefined {
    this.db.prepare(`update records set confirmation = '08', outcome = 'rejected', reason = '发起方已撤销红字确认单' where bill_no = ? and confirmation = '02'`).run(billNo);
    return this.findByBill(billNo);
  }

  /** The red invoices (with their forms) accepted in [start, end), oldest first. */
  redsAcceptedBetween(sellerTaxId: string, start: number, end: number): LedgerRecord[] {
    const rows = this.db.prepare(`select * from records where kind = 'red' and seller_tax_id = ? and accepted_at >= ? and accepted_at < ? order by id`).all(sellerTaxId, start, end) as Row[];
    return rows.map(toRecord);
  }

  /** The first record for a serial number. */
  find(serialNo: string): LedgerRecord | undefined {
    const row = this.db.prepare('select * from records where serial_no = ? order by id limit 1').get(serialNo) as Row | undefined;
    return row && toRecord(row);
  }

  /** The record with this id (the simulator's own serial for it); undefined when there is none. */
  findById(id: number): LedgerRecord | undefined {
    const row = this.db.prepare('select * from records where id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** The request a record was made from, as it arrived (JSON). */
  payloadOf(id: number): string {
    return (this.db.prepare('select payload from records where id = ?').get(id) as { payload: string }).payload;
  }

  /** Records a new invoice and gives it the next number. */
  add(input: {
    serialNo: string;
    sellerTaxId: string;
    orderNo: string;
    total: string;
    outcome: 'issued' | 'rejected';
    reason: string | null;
    acceptedAt: number;
    readyAt: number;
    payload: string;
    blueNumber?: string;
    /** A red invoice that waits for the counterparty's confirmation (state 02) under a new form. */
    needsConfirmation?: boolean;
    /** A red invoice issued under a form filed before (诺诺): its number and state. */
    form?: { readonly billNo: string; readonly status: string };
  }): LedgerRecord {
    const insert = this.db.transaction(() => {
      const { id } = this.db
        .prepare(
          `insert into records (serial_no, seller_tax_id, order_no, total, outcome, number, reason, accepted_at, ready_at, payload, kind, blue_number)
           values (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?) returning id`,
        )
        .get(input.serialNo, input.sellerTaxId, input.orderNo, input.total, input.outcome, input.reason, input.acceptedAt, input.readyAt, input.payload, input.blueNumber ? 'red' : 'blue', input.blueNumber ?? null) as { id: number };
      const number = input.outcome === 'issued' ? invoiceNumber(input.sellerTaxId, input.readyAt, id, this.issuer) : '';
      this.db.prepare('update records set number = ? where id = ?').run(number, id);
      // 确认单编号: 20 digits, the day and the record.
      if (input.form) this.db.prepare('update records set bill_no = ?, confirmation = ? where id = ?').run(input.form.billNo, input.form.status, id);
      if (input.needsConfirmation) this.db.prepare(`update records set bill_no = ?, confirmation = '02' where id = ?`).run(`${new Date(input.acceptedAt).toISOString().slice(0, 10).replaceAll('-', '')}${String(id).padStart(12, '0')}`, id);
      return this.db.prepare('select * from records where id = ?').get(id) as Row;
    });
    return toRecord(insert());
  }

  /** Every invoice issued by `now` (rejected ones and those still processing are left out). */
  issued(now: number): LedgerRecord[] {
    const rows = this.db.prepare(`select * from records where ${VISIBLE} and ready_at <= ? order by id`).all(now) as Row[];
    return rows.map(toRecord);
  }

  /** Invoices issued on one Beijing-time day (YYYY-MM-DD), for reconciliation. */
  issuedOn(day: string, now: number): LedgerRecord[] {
    const start = Date.parse(`${day}T00:00:00+08:00`);
    return this.issuedBetween(start, start + 86_400_000, now);
  }

  /** Invoices issued in [start, end) and by `now`. */
  issuedBetween(start: number, end: number, now: number): LedgerRecord[] {
    const rows = this.db
      .prepare(`select * from records where ${VISIBLE} and ready_at >= ? and ready_at < ? and ready_at <= ? order by id`)
      .all(start, end, now) as Row[];
    return rows.map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}
