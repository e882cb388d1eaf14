// POST /v1/batches and its readings, on both databases: the 电子税务局 template uploaded as a
// finance clerk fills it (and twice: nothing issued twice), the bureau's FAQ mistakes refused with
// sheet, row and column, "all" refusing the whole batch, hostile files, JSON rows, and each tenant
// seeing only its own batches.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { plainInvoice, templateWorkbook, type TemplateFile } from '../support/batch-template.js';
import { DIALECT } from '../support/database.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(mkdtempSync(join(tmpdir(), 'fapiao-batch-')), 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

const url = (path: string) => `${t.gateway.url}${path}`;

async function upload(file: TemplateFile | Buffer, fields: Record<string, string> = {}, key = t.key): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const bytes = Buffer.isBuffer(file) ? file : await templateWorkbook(file);
  form.set('file', new Blob([bytes], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), '批量开票.xlsx');
  const response = await fetch(url('/v1/batches'), { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function batch(id: unknown, key = t.key) {
  return (await http(url(`/v1/batches/${String(id)}`), { key })).body;
}

async function done(id: unknown) {
  return eventually(
    async () => {
      const view = await batch(id);
      return view.status === 'done' ? view : undefined;
    },
    20_000,
    async () => JSON.stringify((await batch(id)).counts),
  );
}

async function invoiceCount(): Promise<number> {
  const row = await t.gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const ledgerSerials = () => simulator.ledger.issued(Date.now() + 60_000).map((record) => record.serialNo);

/** Three invoices as a clerk fills them: a plain one, one with a discount and an exempt line, a freight invoice of two trucks. */
function clerkFile(prefix: string): TemplateFile {
  const plain = plainInvoice(`${prefix}-1`);
  return {
    basic: [
      plain.basic,
      { 发票流水号: `${prefix}-2`, 发票类型: '普通发票', 是否含税: '否', 受票方自然人标识: '是', 购买方名称: '张三', 收款人: '李出纳', 复核人: '赵复核' },
      { 发票流水号: `${prefix}-3`, 发票类型: '普通发票', 特定业务类型: '货物运输服务', 是否含税: '是', 购买方名称: '上海某某物流有限公司', 购买方纳税人识别号: '91330100716105852F' },
    ],
    detail: [
      plain.detail,
      // 600.00 less a 60.00 discount at 13 %: 540.00 + 70.20 tax; 100 kg of cabbage exempt: 500.00.
      { 发票流水号: `${prefix}-2`, 项目名称: '*电子计算机*笔记本电脑', 商品和服务税收编码: '1090511030000000000', 单位: '台', 数量: 1, 单价: 600, 金额: 600, 税率: '13%', 折扣金额: 60 },
      { 发票流水号: `${prefix}-2`, 项目名称: '*蔬菜*有机白菜', 商品和服务税收编码: '1010112010000000000', 单位: '千克', 数量: 100, 单价: 5, 金额: 500, 税率: 0, 是否使用优惠政策: '是', 优惠政策类型: '免税' },
      { 发票流水号: `${prefix}-3`, 项目名称: '*运输服务*国内道路货物运输服务', 商品和服务税收编码: '3010102020100000000', 金额: '2180.00', 税率: '0.09' },
    ],
    specific: [
      { 发票流水号: `${prefix}-3`, 运输工具种类: '公路运输', 运输工具牌号: '浙A12345', 起运地: '杭州', 到达地: '上海', 运输货物名称: '电子元件' },
      { 发票流水号: `${prefix}-3`, 运输工具种类: '公路运输', 运输工具牌号: '沪B67890', 起运地: '上海', 到达地: '苏州', 运输货物名称: '电子元件' },
    ],
  };
}

describe(`batches on ${DIALECT}`, () => {
  it('issues a clerk’s template, each invoice once, and the same file again issues nothing more', async () => {
    const first = await upload(clerkFile('BT'));
    expect(first).toMatchObject({ status: 202, body: { status: 'accepted' } });
    const view = await done(first.body.id);
    expect(view).toMatchObject({ status: 'done', total: 3, fileName: '批量开票.xlsx', counts: { accepted: 3, refused: 0, issued: 3, pending: 0, failed: 0 } });
    const rows = view.rows as Array<Record<string, unknown>>;
    expect(rows.map((row) => [row.row, row.serialNo, row.status])).toEqual([[4, 'BT-1', 'issued'], [5, 'BT-2', 'issued'], [6, 'BT-3', 'issued']]);
    for (const row of rows) expect(row.number).toMatch(/^\d{20}$/);
    // By hand: BT-2 = 540.00 + 70.20 (13 % of 540.00) + 500.00 exempt = 1110.20; BT-3 2180.00 including 9 %.
    expect(rows.map((row) => row.total)).toEqual(['1060.00', '1110.20', '2180.00']);
    const person = (await http(url(`/v1/invoices/${String(rows[1]!.invoiceId)}`), { key: t.key })).body;
    expect(person).toMatchObject({ buyer: { name: '张三（个人）' }, payee: '李出纳', reviewer: '赵复核', lines: [{ nature: 'discounted' }, { kind: 'discount', amount: '-60.00' }, { policy: 'exempt' }] });
    const freight = (await http(url(`/v1/invoices/${String(rows[2]!.invoiceId)}`), { key: t.key })).body;
    expect(freight).toMatchObject({ specific: { kind: 'freight', shipments: [{ vehicleType: 'road', vehicleNo: '浙A12345' }, { vehicleNo: '沪B67890' }] }, totals: { tax: '180.00' } });

    const invoices = await invoiceCount();
    const ledger = ledgerSerials().length;
    const again = await upload(clerkFile('BT'));
    const second = await done(again.body.id);
    expect((second.rows as Array<Record<string, unknown>>).map((row) => row.invoiceId)).toEqual(rows.map((row) => row.invoiceId));
    expect(await invoiceCount()).toBe(invoices);
    expect(ledgerSerials()).toHaveLength(ledger);
    expect(new Set(ledgerSerials()).size).toBe(ledger);

    // The result workbook: each row with its invoice number.
    const result = await fetch(url(`/v1/batches/${String(first.body.id)}/result.xlsx`), { headers: { authorization: `Bearer ${t.key}` } });
    expect(result.headers.get('content-type')).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await result.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('开票结果')!;
    expect(sheet.getRow(1).values).toEqual([undefined, '行号', '发票流水号', '状态', '发票号码', '价税合计', '网关发票ID', '错误说明']);
    expect(sheet.getRow(3).getCell(2).value).toBe('BT-2');
    expect(sheet.getRow(3).getCell(3).value).toBe('已开具');
    expect(sheet.getRow(3).getCell(4).value).toBe(rows[1]!.number);
  });

  it('refuses the FAQ’s mistakes by sheet, row and column; "all" issues nothing, "each" the rest', async () => {
    const good = plainInvoice('FAQ-1');
    const file: TemplateFile = {
      basic: [good.basic, plainInvoice('FAQ-2').basic, plainInvoice('FAQ-3').basic],
      detail: [
        good.detail,
        // 免税 needs rate 0, 是 and 免税 together: here the rate is 13 %.
        { ...plainInvoice('FAQ-2').detail, 税率: '0.13', 是否使用优惠政策: '是', 优惠政策类型: '免税' },
        // Zero quantity.
        { ...plainInvoice('FAQ-3').detail, 数量: 0 },
        // A line whose 流水号 has no invoice.
        plainInvoice('FAQ-9').detail,
      ],
    };
    const before = await invoiceCount();
    const all = await upload(file, { mode: 'all' });
    expect(all).toMatchObject({ status: 202, body: { status: 'refused' } });
    const refused = await batch(all.body.id);
    expect(refused).toMatchObject({ status: 'refused', counts: { accepted: 0, refused: 3 } });
    expect(refused.problems).toMatchObject([{ sheet: '2-发票明细信息', row: 7, column: '发票流水号', code: 'template_orphan_row' }]);
    const rows = refused.rows as Array<{ serialNo: string; errors: Array<Record<string, unknown>> }>;
    expect(rows[0]!.errors).toMatchObject([{ code: 'batch_refused' }]);
    expect(rows[1]!.errors).toMatchObject([{ sheet: '2-发票明细信息', row: 5, column: '优惠政策类型', code: 'template_exempt_row' }]);
    expect(rows[1]!.errors[0]!.messageZh).toContain('税率填 0');
    expect(rows[2]!.errors).toMatchObject([{ sheet: '2-发票明细信息', row: 6, column: '数量', code: 'template_zero' }]);
    expect(await invoiceCount()).toBe(before);

    const each = await upload(file, { mode: 'each' });
    const view = await done(each.body.id);
    expect(view).toMatchObject({ counts: { accepted: 1, refused: 2, issued: 1 } });
    expect(await invoiceCount()).toBe(before + 1);
  });

  it('names the cell of a rule an invoice breaks, and refuses what is no template', async () => {
    const bad = plainInvoice('CELL-1');
    const answer = await upload({ basic: [{ ...bad.basic, 购买方纳税人识别号: '91330100716105852X' }], detail: [{ ...bad.detail, 税率: '0.07' }] }, { mode: 'all' });
    const rows = (await batch(answer.body.id)).rows as Array<{ errors: Array<Record<string, unknown>> }>;
    expect(rows[0]!.errors.map((error) => [error.sheet, error.row, error.column, error.code])).toEqual([
      ['1-发票基本信息', 4, '购买方纳税人识别号', 'tax_id_checksum'],
      ['2-发票明细信息', 4, '税率', 'tax_rate_unknown'],
    ]);

    const before = await invoiceCount();
    const text = await upload(Buffer.from('发票流水号,金额\nS1,100\n'));
    expect(text).toMatchObject({ status: 422, body: { code: 'batch_file_invalid', problems: [{ code: 'file_not_xlsx' }] } });
    const wrongSheets = await upload({ ...clerkFile('WS'), sheetNames: ['Sheet1', 'Sheet2'] });
    expect(wrongSheets).toMatchObject({ status: 422, body: { code: 'batch_file_invalid', problems: [{ code: 'template_sheet_missing' }, { code: 'template_sheet_missing' }] } });
    const formula = new ExcelJS.Workbook();
    const sheet = formula.addWorksheet('1-发票基本信息');
    sheet.addRow(['发票流水号', '发票类型', '是否含税', '购买方名称']);
    sheet.addRow(['F-1', '普通发票', '是', { formula: '"杭州"&"某某"', result: '杭州某某' }]);
    formula.addWorksheet('2-发票明细信息').addRow(['发票流水号']);
    const formulaAnswer = await upload(Buffer.from(await formula.xlsx.writeBuffer()));
    expect(formulaAnswer).toMatchObject({ status: 422, body: { code: 'batch_file_invalid', problems: [{ code: 'file_formula', sheet: '1-发票基本信息', row: 2, column: '4' }] } });
    // Past the upload limit (32 MiB): refused as it arrives, nothing stored.
    const huge = await upload(Buffer.alloc(33 * 1024 * 1024, 0x50));
    expect(huge).toMatchObject({ status: 413, body: { code: 'body_too_large' } });
    const stored = await t.gateway.store.db.selectFrom('batches').select('id').where('status', '=', 'checking').execute();
    expect(stored).toEqual([]);
    expect(await invoiceCount()).toBe(before);
  });

  it('takes JSON rows, each serial number once, and refuses a bad row by its path', async () => {
    const invoices = [1, 2, 3].map((n) => ({ serialNo: `JS-${n}`, ...validRequest({ orderNo: undefined }) }));
    invoices[2] = { ...invoices[2]!, type: 'gift' } as (typeof invoices)[number];
    // Five clients send the same batch at once: every invoice still exists once.
    const answers = await Promise.all(Array.from({ length: 5 }, () => http(url('/v1/batches'), { key: t.key, json: { mode: 'each', invoices } })));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    const views = await Promise.all(answers.map((answer) => done(answer.body.id)));
    const ids = views.map((view) => (view.rows as Array<{ invoiceId?: string }>).map((row) => row.invoiceId));
    for (const seen of ids) expect(seen).toEqual(ids[0]);
    expect((views[0]!.rows as Array<Record<string, unknown>>)[2]).toMatchObject({ status: 'refused', errors: [{ path: '/invoices/2/type', code: 'value_not_allowed' }] });
    const count = await t.gateway.store.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('order_no', 'in', ['JS-1', 'JS-2', 'JS-3']).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);

    expect((await http(url('/v1/batches'), { key: t.key, json: { mode: 'some', invoices } })).body).toMatchObject({ code: 'batch_invalid', errors: [{ path: '/mode' }] });
    expect((await http(url('/v1/batches'), { key: t.key, json: { invoices: 'all of them' } })).body).toMatchObject({ code: 'batch_invalid', errors: [{ path: '/invoices', code: 'type_invalid' }] });
  });

  it('lets each key see and submit only its own sellers’ batches', async () => {
    const own = await upload(clerkFile('TEN'));
    expect((await http(url(`/v1/batches/${String(own.body.id)}`), { key: t.otherKey })).status).toBe(404);
    expect((await http(url(`/v1/batches/${String(own.body.id)}/result.xlsx`), { key: t.otherKey })).status).toBe(404);
    expect((await http(url('/v1/batches'), { key: t.otherKey })).body.data).toEqual([]);
    expect((await http(url(`/v1/batches/${String(own.body.id)}`))).status).toBe(401);
    expect((await upload(clerkFile('RO'), {}, t.readOnlyKey)).status).toBe(403);
    const before = await invoiceCount();
    expect(await upload(clerkFile('FOREIGN'), { seller: OTHER_SELLER })).toMatchObject({ status: 403, body: { code: 'seller_forbidden' } });
    expect(await upload(clerkFile('MINE'), { seller: SELLER }, t.otherKey)).toMatchObject({ status: 403, body: { code: 'seller_forbidden' } });
    expect(await invoiceCount()).toBe(before);
    expect((await http(url('/v1/batches/bat_nope'), { key: t.key })).status).toBe(404);
  });
});
