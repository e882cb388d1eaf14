// `fapiao preview` run as a user runs it: the built bin in a child process, files and stdin.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validLine, validRequest } from '../support/invoice-request.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const workDir = mkdtempSync(join(tmpdir(), 'fapiao-preview-'));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function fapiao(args: string[], input?: string | Buffer): Run {
  const run = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function previewFile(content: string | Buffer): Run {
  const file = join(workDir, `request-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, content);
  return fapiao(['preview', file]);
}

interface ProblemOutput {
  status: number;
  code: string;
  errors: Array<{ path: string; code: string; message: string; messageZh: string }>;
}

/** An invalid run: exit 1, a problem document on stdout, nothing on stderr (no stack trace). */
function expectInvalid(run: Run): ProblemOutput {
  expect(run.stderr).toBe('');
  expect(run.status).toBe(1);
  const document = JSON.parse(run.stdout) as ProblemOutput;
  expect(document).toMatchObject({ status: 422, code: 'invoice_invalid' });
  return document;
}

describe('fapiao preview', () => {
  it('prints the computed invoice and exits 0', () => {
    const run = previewFile(JSON.stringify(validRequest()));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const invoice = JSON.parse(run.stdout) as { totals: unknown; lines: Array<Record<string, string>> };
    expect(invoice.totals).toEqual({ amount: '1000.00', tax: '60.00', total: '1060.00', totalInWords: '壹仟零陆拾圆整' });
    expect(invoice.lines[0]).toMatchObject({ amountExcludingTax: '1000.00', tax: '60.00' });
  });

  it('reads standard input for -, and a UTF-8 BOM is fine', () => {
    const run = fapiao(['preview', '-'], '\ufeff' + JSON.stringify(validRequest()));
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty('totals.total', '1060.00');
  });

  it('previews the example shipped with the repository', () => {
    const run = fapiao(['preview', join(import.meta.dirname, '../../examples/invoice.json')]);
    expect(run.status).toBe(0);
  });

  it.each(['{"orderNo": ', '', 'null x', "{'orderNo': 'single quotes'}", '{"a":1,}'])('malformed JSON %j', (text) => {
    const document = expectInvalid(previewFile(text));
    expect(document.errors).toEqual([expect.objectContaining({ path: '', code: 'json_malformed' })]);
  });

  it('a GBK-encoded file is refused, not turned into mojibake', () => {
    const gbkName = Buffer.from([0xba, 0xbc, 0xd6, 0xdd]); // 杭州 in GBK
    const body = Buffer.concat([Buffer.from('{"buyer":{"name":"'), gbkName, Buffer.from('"}}')]);
    expect(expectInvalid(previewFile(body)).errors[0]?.code).toBe('encoding_invalid');
  });

  it('a wrong type in every field is reported field by field', () => {
    const everyFieldWrong = {
      orderNo: 1,
      type: 1,
      seller: { taxId: 1 },
      buyer: { name: 1, taxId: 1, address: 1, phone: 1, bankName: 1, bankAccount: 1, email: 1 },
      priceIncludesTax: 'yes',
      lines: [{ name: 1, taxCode: 1, spec: 1, unit: 1, quantity: 1, unitPrice: 1, amount: 1, taxRate: 1, kind: 1 }],
      remarks: 1,
      drawer: 1,
    };
    const paths = expectInvalid(previewFile(JSON.stringify(everyFieldWrong))).errors.map((e) => `${e.path} ${e.code}`);
    expect(paths).toEqual([
      '/orderNo type_invalid',
      '/type type_invalid',
      '/seller/taxId type_invalid',
      '/buyer/name type_invalid',
      '/buyer/taxId type_invalid',
      '/buyer/address type_invalid',
      '/buyer/phone type_invalid',
      '/buyer/bankName type_invalid',
      '/buyer/bankAccount type_invalid',
      '/buyer/email type_invalid',
      '/priceIncludesTax type_invalid',
      '/lines/0/kind type_invalid',
      '/lines/0/name type_invalid',
      '/lines/0/taxCode type_invalid',
      '/lines/0/spec type_invalid',
      '/lines/0/unit type_invalid',
      '/lines/0/quantity decimal_format',
      '/lines/0/unitPrice decimal_format',
      '/lines/0/taxRate type_invalid',
      '/lines/0/amount decimal_format',
      '/remarks type_invalid',
      '/drawer type_invalid',
    ]);
  });

  it('whole sections of the wrong type', () => {
    const run = previewFile(JSON.stringify({ ...validRequest(), seller: 'x', buyer: 7, lines: 'many' }));
    expect(expectInvalid(run).errors.map((e) => `${e.path} ${e.code}`)).toEqual([
      '/seller type_invalid',
      '/buyer type_invalid',
      '/lines type_invalid',
    ]);
  });

  it('an unknown rate names the rates in use', () => {
    const run = previewFile(JSON.stringify(validRequest({ lines: [validLine({ taxRate: '0.17' })] })));
    const [only] = expectInvalid(run).errors;
    expect(only).toMatchObject({ path: '/lines/0/taxRate', code: 'tax_rate_unknown' });
    expect(only?.message).toContain('0.13, 0.09, 0.06');
  });

  it('10,001 lines are refused with one clear problem', () => {
    const lines = Array.from({ length: 10_001 }, () => validLine());
    const document = expectInvalid(previewFile(JSON.stringify(validRequest({ lines }))));
    expect(document.errors).toEqual([expect.objectContaining({ path: '/lines', code: 'lines_too_many' })]);
    expect(document.errors[0]?.message).toContain('10001');
  });

  it('an input over 16 MiB is refused without reading it all', () => {
    const run = fapiao(['preview', '-'], Buffer.alloc(17 * 1024 * 1024, 0x20));
    expect(expectInvalid(run).errors[0]?.code).toBe('body_too_large');
  });

  it('a missing file exits 2 with one line on stderr, no stack trace', () => {
    const run = fapiao(['preview', join(workDir, 'no-such-file.json')]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^fapiao preview: cannot read .*no-such-file\.json: ENOENT\n$/);
  });

  it('a missing argument or an unknown command exits 2 without a stack trace', () => {
    for (const args of [['preview'], ['no-such-command']]) {
      const run = fapiao(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--help lists the commands and exits 0', () => {
    const run = fapiao(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('preview');
  });
});
