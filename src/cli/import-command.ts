/**
 * `fapiao import FILE --seller TAXID`: uploads the 电子税务局 batch template to a running gateway
 * (POST /v1/batches), follows the batch with a progress bar on a terminal, and saves the result
 * workbook beside the file. The key comes from FAPIAO_API_KEY (or --key), never from a config file.
 */
import { openAsBlob } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { environment } from '../runtime/env.js';
import { UsageError } from './usage-error.js';

interface ImportFlags {
  seller?: string;
  mode: string;
  gateway: string;
  key?: string;
  result?: string;
  wait: boolean;
}

interface BatchAnswer {
  id: string;
  status: string;
  total: number;
  counts: { accepted: number; refused: number; issued: number; pending: number; failed: number };
  problems?: Array<{ messageZh: string; message: string }>;
  rows: Array<{ row: number; serialNo: string; status: string; errors?: Array<{ sheet?: string; row?: number; column?: string; path?: string; messageZh: string }> }>;
}

const BAR = 30;

/** `[██████░░░░]  6000/10000 已开具 · 0 未通过 · 0 失败` */
export function progressLine(batch: Pick<BatchAnswer, 'total' | 'counts'>): string {
  const settled = batch.counts.issued + batch.counts.refused + batch.counts.failed;
  const filled = batch.total === 0 ? BAR : Math.round((settled / batch.total) * BAR);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ${String(settled).padStart(String(batch.total).length)}/${batch.total}  已开具 ${batch.counts.issued} · 未通过 ${batch.counts.refused} · 失败 ${batch.counts.failed} · 进行中 ${batch.counts.pending}`;
}

async function call(url: string, key: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new UsageError(`cannot reach the gateway at ${new URL(url).origin} (${(error as { cause?: { code?: string } }).cause?.code ?? String(error)}); is it running? (--gateway)`);
  }
}

async function problemOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { title?: string; detail?: string; problems?: Array<{ messageZh: string }>; errors?: Array<{ path: string; messageZh: string }> };
  const details = [...(body.problems ?? []).map((problem) => problem.messageZh), ...(body.errors ?? []).map((error) => `${error.path} ${error.messageZh}`)];
  return [`${response.status} ${body.title ?? ''}`.trim(), body.detail, ...details].filter(Boolean).join('\n  ');
}

function where(error: { sheet?: string; row?: number; column?: string; path?: string }): string {
  return [error.sheet, error.row ? `第 ${error.row} 行` : undefined, error.column ?? error.path].filter(Boolean).join(' · ');
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('issue the invoices of a 电子税务局 batch template (.xlsx) through a running gateway, with a progress bar')
    .argument('<file>', 'the template (批量开票-导入开票模板.xlsx)')
    .option('--seller <taxId>', 'the seller the invoices are issued for (needed when the key acts for several)')
    .option('--mode <each|all>', 'each: issue every valid row; all: nothing unless every row is valid', 'each')
    .option('--gateway <url>', 'where the gateway answers', environment.gatewayUrl ?? 'http://127.0.0.1:8080')
    .option('--key <key>', 'an API key with issue scope (default FAPIAO_API_KEY; prefer the variable: arguments show in ps)')
    .option('--result <file>', 'where to save the result workbook (default FILE.result.xlsx)')
    .option('--no-wait', 'upload and print the batch id without following it')
    .addHelpText('after', '\nExit codes: 0 every invoice issued, 1 rows refused or failed (the result workbook says which and why), 2 the command could not run.')
    .action(async (file: string, flags: ImportFlags) => {
      const key = flags.key ?? environment.apiKey;
      if (!key) throw new UsageError('give an API key with issue scope: FAPIAO_API_KEY=… (or --key)');
      if (flags.mode !== 'each' && flags.mode !== 'all') throw new UsageError(`--mode ${flags.mode}: use each or all`);
      let blob: Blob;
      try {
        if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        blob = await openAsBlob(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      const gateway = flags.gateway.replace(/\/+$/, '');
      // The key is checked before the file is sent: the gateway refuses a key from the headers alone
      // and closes the connection, which would break off a large upload half-way with no answer.
      const probe = await call(`${gateway}/v1/batches`, key, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (probe.status === 401 || probe.status === 403) throw new UsageError(await problemOf(probe));
      await probe.body?.cancel();
      const form = new FormData();
      form.set('mode', flags.mode);
      if (flags.seller) form.set('seller', flags.seller);
      form.set('file', blob, basename(file));
      const terminal = process.stderr.isTTY;
      if (terminal) process.stderr.write(`上传 ${basename(file)}…`);
      const answer = await call(`${gateway}/v1/batches`, key, { method: 'POST', body: form });
      if (terminal) process.stderr.write('\r\x1b[2K');
      if (answer.status === 401 || answer.status === 403) throw new UsageError(await problemOf(answer));
      if (answer.status !== 202) {
        process.stderr.write(`fapiao import: refused: ${await problemOf(answer)}\n`);
        process.exitCode = 1;
        return;
      }
      const { id } = (await answer.json()) as { id: string };
      process.stdout.write(`batch ${id}\n`);
      if (!flags.wait) return;

      let batch: BatchAnswer;
      for (;;) {
        const read = await call(`${gateway}/v1/batches/${id}`, key);
        if (read.status !== 200) throw new UsageError(await problemOf(read));
        batch = (await read.json()) as BatchAnswer;
        if (terminal) process.stderr.write(`\r\x1b[2K${progressLine(batch)}`);
        if (batch.status !== 'accepted') break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (terminal) process.stderr.write('\n');
      process.stdout.write(`${batch.status === 'refused' ? '整批未开具 (mode all: rows were refused)' : '完成'}: ${progressLine(batch)}\n`);
      for (const problem of batch.problems ?? []) process.stdout.write(`  ${problem.messageZh}\n`);
      const refused = batch.rows.filter((row) => row.status === 'refused' && !row.errors?.every((error) => (error as { code?: string }).code === 'batch_refused'));
      for (const row of refused.slice(0, 20)) {
        for (const error of row.errors ?? []) process.stdout.write(`  ${row.serialNo}: ${where(error)}：${error.messageZh}\n`);
      }
      if (refused.length > 20) process.stdout.write(`  … and ${refused.length - 20} more rows: see the result workbook\n`);
      const resultPath = flags.result ?? `${file.replace(/\.xlsx$/i, '')}.result.xlsx`;
      const result = await call(`${gateway}/v1/batches/${id}/result.xlsx`, key);
      if (result.status === 200) {
        await writeFile(resultPath, Buffer.from(await result.arrayBuffer()));
        process.stdout.write(`result: ${resultPath}\n`);
      }
      process.exitCode = batch.counts.issued === batch.total ? 0 : 1;
    });
}
