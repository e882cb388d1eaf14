// `fapiao import`, run as a user runs it against a gateway: the template issued with the result
// workbook saved beside it, a progress bar on a terminal (under script(1)), the refused rows
// printed with where they are, and the mistakes of calling it answered in one line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/import-command.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { plainInvoice, templateWorkbook } from '../support/batch-template.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { hasTool } from '../support/tools.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const work = mkdtempSync(join(tmpdir(), 'fapiao-import-'));
let simulator: RunningSimulator;
let t: TestGateway;

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
});

/** Runs the command to its end without blocking the gateway in this process. */
function fapiao(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FAPIAO_API_KEY: t.key, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function template(name: string, rows: Array<ReturnType<typeof plainInvoice>>): Promise<string> {
  const file = join(work, name);
  writeFileSync(file, await templateWorkbook({ basic: rows.map((row) => row.basic), detail: rows.map((row) => row.detail) }));
  return file;
}

describe('fapiao import', () => {
  it('issues a template, prints the batch, and saves the result workbook', async () => {
    const file = await template('十二月.xlsx', [plainInvoice('CLI-1'), plainInvoice('CLI-2', '212.00')]);
    const run = await fapiao(['import', file, '--gateway', t.gateway.url]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^batch bat_[0-9A-Z]{26}\n/);
    expect(run.stdout).toContain('完成: [██████████████████████████████] 2/2  已开具 2 · 未通过 0 · 失败 0 · 进行中 0');
    const result = join(work, '十二月.result.xlsx');
    expect(run.stdout).toContain(`result: ${result}`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(result);
    expect(book.getWorksheet('开票结果')!.getRow(2).getCell(4).text).toMatch(/^\d{20}$/);
  });

  it('prints each refused row with where it is, and exits 1', async () => {
    const bad = plainInvoice('CLI-BAD');
    const file = await template('bad.xlsx', [plainInvoice('CLI-3'), { basic: bad.basic, detail: { ...bad.detail, 税率: '0.07' } }]);
    const run = await fapiao(['import', file, '--gateway', t.gateway.url, '--mode', 'all']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('整批未开具');
    expect(run.stdout).toContain('CLI-BAD: 2-发票明细信息 · 第 5 行 · 税率：');
  });

  it('draws a progress bar on a terminal', async (ctx) => {
    if (!hasTool('script', ['--version'])) return ctx.skip();
    const file = await template('tty.xlsx', [plainInvoice('CLI-TTY')]);
    // script(1) gives the command a terminal, as a clerk's shell does.
    const command = `${process.execPath} ${BIN} import ${file} --gateway ${t.gateway.url}`;
    const run = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, FAPIAO_API_KEY: t.key } });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (status) => resolve({ status, out }));
    });
    expect(run.status).toBe(0);
    expect(run.out).toContain('\r\x1b[2K[');
    expect(run.out).toContain('已开具 1');
  });

  it('answers the mistakes of calling it in one line, with exit code 2', async () => {
    const file = await template('ok.xlsx', [plainInvoice('CLI-4')]);
    const noKey = await fapiao(['import', file, '--gateway', t.gateway.url], { FAPIAO_API_KEY: '' });
    expect(noKey).toMatchObject({ status: 2, stderr: 'fapiao: give an API key with issue scope: FAPIAO_API_KEY=… (or --key)\n' });
    const missing = await fapiao(['import', join(work, 'nope.xlsx'), '--gateway', t.gateway.url]);
    expect(missing).toMatchObject({ status: 2, stderr: `fapiao: cannot read ${join(work, 'nope.xlsx')}: ENOENT\n` });
    const down = await fapiao(['import', file, '--gateway', 'http://127.0.0.1:9']);
    expect(down.status).toBe(2);
    expect(down.stderr).toContain('cannot reach the gateway at http://127.0.0.1:9');
    const wrongKey = await fapiao(['import', file, '--gateway', t.gateway.url], { FAPIAO_API_KEY: t.readOnlyKey });
    expect(wrongKey.status).toBe(2);
    expect(wrongKey.stderr).toContain('403');
    const notXlsx = join(work, 'notes.xlsx');
    writeFileSync(notXlsx, 'not a workbook');
    const refused = await fapiao(['import', notXlsx, '--gateway', t.gateway.url]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('文件不是有效的 .xlsx 工作簿');
    expect(existsSync(join(work, 'notes.result.xlsx'))).toBe(false);
    expect(spawnSync(process.execPath, [BIN, 'import', file, '--mode', 'some'], { encoding: 'utf8', env: { ...process.env, FAPIAO_API_KEY: 'x' } }).stderr).toBe('fapiao: --mode some: use each or all\n');
  });

  it('draws the bar from the counts', () => {
    expect(progressLine({ total: 4, counts: { accepted: 4, refused: 1, issued: 1, pending: 2, failed: 0 } })).toBe(
      '[███████████████░░░░░░░░░░░░░░░] 2/4  已开具 1 · 未通过 1 · 失败 0 · 进行中 2',
    );
  });
});
