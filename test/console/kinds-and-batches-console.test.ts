// The console for the kinds of invoice and for batches, in Chromium: the kind of business chosen
// first and only its fields shown, a property lease issued and its 特定业务 block on the invoice
// page; the 电子税务局 template uploaded, its progress bar run to the end, a refused file's problems
// shown, and every page passing axe-core. CONSOLE_SCREENSHOTS=DIR keeps the pages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { addUser } from '../../src/store/console-users.js';
import { plainInvoice, templateWorkbook } from '../support/batch-template.js';
import { CHROMIUM, CHROMIUM_ARGS, consoleBrowser } from '../support/console-browser.js';
import { SELLER } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { hasFile } from '../support/tools.js';

const PASSWORD = 'correct horse battery';
const hasChromium = hasFile(CHROMIUM);
const work = mkdtempSync(join(tmpdir(), 'fapiao-console-kinds-'));
let simulator: RunningSimulator;
let t: TestGateway;
let browser: Browser;
const { signedIn, accessibilityViolations, shoot } = consoleBrowser(() => browser, () => t.gateway.url, PASSWORD);

beforeAll(async () => {
  if (!hasChromium) return;
  simulator = await startSimulator({ dataDir: join(work, 'sim'), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }] });
  await addUser(t.gateway.store.db, t.gateway.store.capabilities, { username: 'clerk-k', role: 'clerk', sellers: [SELLER], passwordHash: await hashPassword(PASSWORD), by: 'test', now: Date.now() });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await simulator?.close();
});

describe.runIf(hasChromium)('kinds of invoice and batches in the console', () => {
  it('asks for the kind of business first, shows only its fields, and prints its block on the invoice', async () => {
    const page = await signedIn('clerk-k');
    await page.getByRole('link', { name: '开票', exact: true }).click();
    expect(await page.getByTestId('specific-fields').count()).toBe(0);
    await page.locator('select[name="business"]').selectOption('property_lease');
    const lease = page.getByTestId('specific-fields');
    await expect.poll(() => lease.getByLabel('租赁期起').count()).toBe(1);
    expect(await lease.getByLabel('建筑项目名称').count()).toBe(0);
    await page.getByLabel('订单号').fill('CONSOLE-LEASE-1');
    await page.getByLabel('购买方名称').fill('杭州某某科技有限公司');
    await lease.getByLabel('省（自治区、直辖市）').fill('浙江省');
    await lease.getByLabel('市', { exact: true }).fill('杭州市');
    await lease.getByLabel('不动产详细地址').fill('西湖区文三路 90 号 3 楼');
    await lease.getByLabel('租赁期起').fill('2026-12-01');
    await lease.getByLabel('租赁期止').fill('2026-12-31');
    await lease.getByLabel('产权证书/不动产权证号（无则填“无”）').fill('浙(2020)杭州市不动产权第0012345号');
    const line = page.getByRole('group', { name: '行 1' });
    await line.getByLabel('项目名称').fill('*经营租赁*商铺租金');
    await line.getByLabel('税收分类编码').fill('3040502020400000000');
    await line.getByLabel('单位').fill('平方米');
    await line.getByLabel('数量').fill('120');
    await line.getByLabel('单价').fill('50.00');
    await line.getByLabel('金额').fill('6000.00');
    await line.getByLabel('税率').selectOption('0.09');
    await page.getByLabel('收款人').fill('李出纳');
    // 6000.00 ÷ 1.09 × 0.09 = 495.41, computed as the clerk types.
    await expect.poll(() => page.getByRole('region', { name: '预览' }).textContent()).toContain('495.41');
    await shoot(page, 'console-issue-lease');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: '开具发票' }).click();
    const block = page.getByTestId('specific-block');
    await block.waitFor();
    expect(await block.textContent()).toContain('特定业务：不动产经营租赁服务');
    expect(await block.textContent()).toContain('2026-12-01 至 2026-12-31');
    expect(await page.getByTestId('face-remarks').textContent()).toContain('收款人:李出纳;');
    await shoot(page, 'console-invoice-lease');
    await page.context().close();
  });

  it('uploads the template, runs the progress bar to the end, and shows a refused file’s problems', async () => {
    const rows = Array.from({ length: 30 }, (_, n) => plainInvoice(`UI-${n + 1}`));
    const file = join(work, '十二月批量.xlsx');
    writeFileSync(file, await templateWorkbook({ basic: rows.map((row) => row.basic), detail: rows.map((row) => row.detail) }));
    const page = await signedIn('clerk-k');
    await page.getByRole('link', { name: '批量开票' }).click();
    await page.getByLabel('模板文件（.xlsx）').setInputFiles(file);
    await page.getByRole('button', { name: '上传并开具' }).click();
    const progress = page.getByTestId('batch-progress');
    await progress.waitFor();
    await expect.poll(async () => page.getByTestId('batch-counts').textContent(), { timeout: 30_000 }).toContain('已开具 30');
    expect(await progress.getAttribute('value')).toBe('30');
    await shoot(page, 'console-batch-done');
    expect(await accessibilityViolations(page)).toEqual([]);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: '下载结果（Excel）' }).click();
    expect((await download).suggestedFilename()).toMatch(/^bat_.*-result\.xlsx$/);

    const text = join(work, 'notes.xlsx');
    writeFileSync(text, 'not a workbook');
    await page.getByLabel('模板文件（.xlsx）').setInputFiles(text);
    await page.getByRole('button', { name: '上传并开具' }).click();
    await expect.poll(() => page.getByTestId('file-problems').textContent()).toContain('文件不是有效的 .xlsx 工作簿');
    await shoot(page, 'console-batch-refused-file');
    await page.context().close();
  });
});
