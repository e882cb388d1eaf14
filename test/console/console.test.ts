// The web console end to end, in real headless Chromium (playwright-core driving Debian's
// chromium): sign-in refused and accepted, an invoice issued by hand with the gateway's own
// computation as you type, watched until issued, its PDF downloaded, red-flushed from its page;
// an outage of the channel raises the banner on every page and recovery clears it; a viewer cannot
// issue, a clerk of one seller cannot see another's invoices, a write without the CSRF token is
// refused, and repeated wrong passwords lock the user. CONSOLE_SCREENSHOTS=DIR saves the main pages.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { addUser } from '../../src/store/console-users.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

let simulator: RunningSimulator;
let t: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-console-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], renderThreads: 1, breaker: { failuresToOpen: 3, halfOpenAfterMs: 300, pauseMs: 1000 } });
  const hash = await hashPassword(PASSWORD);
  const add = (username: string, role: 'admin' | 'clerk' | 'viewer', sellers: string[]) =>
    addUser(t.gateway.store.db, t.gateway.store.capabilities, { username, role, sellers, passwordHash: hash, by: 'test', now: Date.now() });
  await add('clerk-a', 'clerk', [SELLER]);
  await add('viewer-a', 'viewer', [SELLER]);
  await add('clerk-b', 'clerk', [OTHER_SELLER]);
  await add('boss', 'admin', [SELLER, OTHER_SELLER]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await simulator?.close();
});

async function signedIn(username: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${t.gateway.url}/console`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('heading', { name: '发票', exact: true }).waitFor();
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe.runIf(existsSync(CHROMIUM))('the web console in Chromium', () => {
  it('refuses a wrong password, then signs in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.gateway.url}/console`);
    await shoot(page, 'console-login');
    await page.getByLabel('用户名').fill('clerk-a');
    await page.getByLabel('密码').fill('not the password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('用户名或密码错误');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('heading', { name: '发票', exact: true }).waitFor();
    // The session cookie is HttpOnly and SameSite=Strict: no script reads it, no other site sends it.
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'fapiao_session', httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });

  it('issues an invoice by hand, computed as typed, watches it become issued, downloads its PDF and red-flushes it', async () => {
    const page = await signedIn('clerk-a');
    await page.getByRole('link', { name: '开票' }).click();
    await page.getByLabel('订单号', { exact: true }).fill('HAND-0001');
    await page.getByLabel('购买方名称').fill('杭州某某科技有限公司');
    await page.getByLabel('购买方税号').fill('91330100716105852X');
    // A wrong check digit is refused as the person types, in Chinese.
    await expect.poll(() => page.locator('.field-error').allTextContents()).toContainEqual(expect.stringContaining('校验位不正确'));
    await page.getByLabel('购买方税号').fill('91330100716105852F');
    await page.getByLabel('项目名称').fill('*信息技术服务*软件开发服务');
    await page.getByLabel('税收分类编码').fill('3040201010000000000');
    await page.getByLabel('数量', { exact: true }).fill('2');
    await page.getByLabel('单价', { exact: true }).fill('530.00');
    await page.getByLabel('金额', { exact: true }).fill('1060.00');
    await page.locator('select[name="lines.0.taxRate"]').selectOption('0.06');
    // The 含税 split and the capitals, by the API's rules.
    await expect.poll(() => page.getByTestId('preview-in-words').textContent()).toBe('壹仟零陆拾圆整');
    await expect.poll(() => page.locator('.line-result').textContent()).toContain('¥1000.00');
    await shoot(page, 'console-issue');
    await page.getByRole('button', { name: '开具发票' }).click();
    await page.waitForURL(/\/console\/invoices\/inv_/);
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 15_000 }).toBe('已开具');
    const pdfLink = page.getByRole('link', { name: '下载 PDF' });
    await pdfLink.waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), pdfLink.click()]);
    expect(readFileSync(await download.path()).subarray(0, 5).toString()).toBe('%PDF-');
    await expect.poll(() => page.locator('.timeline li').count()).toBeGreaterThanOrEqual(4);
    await shoot(page, 'console-invoice');

    await page.getByRole('button', { name: '红冲' }).click();
    await page.getByLabel('冲红原因').selectOption('issued_in_error');
    await page.getByRole('button', { name: '确定' }).click();
    await expect.poll(() => page.locator('.sheet .red-mark').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator('h1 .badge').textContent(), { timeout: 15_000 }).toBe('已开具');
    await expect.poll(() => page.getByTestId('total-in-words').textContent()).toBe('（负数）壹仟零陆拾圆整');
    await page.context().close();
  });

  it('shows a banner on every page while the channel is down, and clears it on recovery', async () => {
    const page = await signedIn('boss');
    const banner = page.getByTestId('outage-banner');
    expect(await banner.count()).toBe(0);
    simulator.setFaults({ errorRate: 1 });
    await Promise.all(Array.from({ length: 4 }, (_, n) => http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: `outage-${n}`, json: validRequest({ orderNo: `OUTAGE-${n}` }) })));
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toMatch(/^sim通道连接异常，自 \d\d:\d\d 起；\d+ 张发票排队中，无一丢失$/);
    await page.getByRole('link', { name: '通道' }).click();
    await expect.poll(() => banner.count()).toBe(1);
    await expect.poll(() => page.locator('.last-error').textContent()).toContain('处理办法');
    await shoot(page, 'console-outage');
    await page.getByRole('button', { name: '运行诊断' }).click();
    await expect.poll(() => page.locator('table.doctor tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    simulator.setFaults({ errorRate: 0 });
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    // Every invoice queued through the outage is issued, none lost.
    await expect
      .poll(async () => ((await http(`${t.gateway.url}/v1/invoices?orderNo=OUTAGE-3`, { key: t.key })).body.data as Array<{ status: string }>)[0]?.status, { timeout: 20_000 })
      .toBe('issued');
    await page.context().close();
  });

  it('keeps a viewer from issuing and a clerk from another seller’s invoices, and refuses a write without the CSRF token', async () => {
    const issued = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'seller-a-1', json: validRequest({ orderNo: 'SELLER-A-ONLY' }) });
    const id = String(issued.body.id);

    const viewer = await signedIn('viewer-a');
    expect(await viewer.getByRole('link', { name: '开票' }).count()).toBe(0);
    await viewer.goto(`${t.gateway.url}/console/issue`);
    await viewer.getByRole('heading', { name: '发票', exact: true }).waitFor();
    expect(await viewer.getByRole('button', { name: '开具发票' }).count()).toBe(0);
    const csrf = await viewer.evaluate(async () => ((await (await fetch('/console/api/session')).json()) as { csrfToken: string }).csrfToken);
    const post = (headers: Record<string, string>) =>
      viewer.evaluate(async (extra) => {
        const response = await fetch('/v1/invoices', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'viewer-try', ...extra }, body: '{}' });
        return [response.status, ((await response.json()) as { code: string }).code];
      }, headers);
    expect(await post({ 'x-csrf-token': csrf })).toEqual([403, 'scope_missing']);
    expect(await post({})).toEqual([403, 'csrf_token_invalid']);
    await viewer.context().close();

    const other = await signedIn('clerk-b');
    await expect.poll(() => other.locator('table.invoices').count().then(async (n) => (n === 0 ? '' : await other.locator('table.invoices').textContent()))).not.toContain('SELLER-A-ONLY');
    await other.goto(`${t.gateway.url}/console/invoices/${id}`);
    await expect.poll(() => other.getByRole('alert').textContent()).toContain('未找到');
    await other.context().close();
  });

  it('switches to English and works on a phone-sized screen', async () => {
    const page = await signedIn('clerk-a', { width: 390, height: 844 });
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Invoices', exact: true }).waitFor();
    await page.getByLabel('Order number').fill('HAND-0001');
    await page.getByLabel('Total', { exact: true }).fill('1060.00');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('table.invoices tbody tr').count()).toBe(1);
    await shoot(page, 'console-phone');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '发票', exact: true }).waitFor();
    await page.context().close();
  });

  it('locks a user after five wrong passwords in a row, and puts every login in the audit chain', async () => {
    const tries = [];
    for (let n = 0; n < 6; n++) tries.push((await http(`${t.gateway.url}/console/api/session`, { json: { username: 'boss', password: `wrong-${n}` } })).body.code);
    expect(tries).toEqual(['login_failed', 'login_failed', 'login_failed', 'login_failed', 'user_locked', 'user_locked']);
    // Locked: even the right password is refused for now.
    expect((await http(`${t.gateway.url}/console/api/session`, { json: { username: 'boss', password: PASSWORD } })).body.code).toBe('user_locked');
    const audit = await t.gateway.store.db.selectFrom('audit_log').select(['invoice_id', 'event']).where('invoice_id', 'like', 'user:%').execute();
    expect(audit).toEqual(expect.arrayContaining([{ invoice_id: 'user:clerk-a', event: 'login' }, { invoice_id: 'user:clerk-a', event: 'login_failed' }, { invoice_id: 'user:boss', event: 'user_locked' }, { invoice_id: 'user:boss', event: 'user_added' }]));
  });
});
