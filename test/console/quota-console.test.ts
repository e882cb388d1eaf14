// The console's quota page in Chromium: this month so far played through a real gateway and the
// simulator on a clock that catches up with the real one (three hours a step, office-hours waves),
// then the seller's card read as a clerk sees it — remaining, committed, used elsewhere, the
// forecast with its range, the month's burn-down drawn — and the page passing axe-core.
// CONSOLE_SCREENSHOTS=DIR keeps the page.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotaMonth, monthSpan } from '../../src/domain/quota.js';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { addUser } from '../../src/store/console-users.js';
import { CHROMIUM, CHROMIUM_ARGS, consoleBrowser } from '../support/console-browser.js';
import { SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validLine, validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { hasFile } from '../support/tools.js';

const PASSWORD = 'correct horse battery';
const HOUR = 3_600_000;
const hasChromium = hasFile(CHROMIUM);
// The month so far, replayed: the clock starts at the month's first hour and catches up with the real one.
const clock = { live: false, at: monthSpan(Date.now()).start + 60_000, now() { return this.live ? Date.now() : this.at; } };
let simulator: RunningSimulator;
let t: TestGateway;
let browser: Browser;
const { signedIn, accessibilityViolations, shoot } = consoleBrowser(() => browser, () => t.gateway.url, PASSWORD);

beforeAll(async () => {
  if (!hasChromium) return;
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-quota-console-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, quotaFen: 3_000_000n, clock });
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], quota: { readIntervalMs: 3 * HOUR, refreshMs: 50, pollIntervalMs: 50 } }, { clock });
  await addUser(t.gateway.store.db, t.gateway.store.capabilities, { username: 'clerk-q', role: 'clerk', sellers: [SELLER], passwordHash: await hashPassword(PASSWORD), by: 'test', now: Date.now() });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  let orders = 0;
  for (let step = clock.at; step < Date.now() - 10 * 60_000; step += 3 * HOUR) {
    const hour = new Date(step + 8 * HOUR).getUTCHours();
    const count = hour >= 9 && hour < 18 ? 3 : hour >= 18 && hour < 21 ? 1 : 0;
    for (let i = 0; i < count && step + (i + 1) * 40 * 60_000 < Date.now() - 5 * 60_000; i++) {
      clock.at = step + (i + 1) * 40 * 60_000;
      const orderNo = `QC-${++orders}`;
      const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: orderNo, json: validRequest({ orderNo, priceIncludesTax: false, lines: [validLine({ quantity: undefined, unitPrice: undefined, amount: '800.00' })] }) });
      expect(answer.status).toBe(202);
      await eventually(async () => {
        clock.at += 1000;
        const body = (await http(`${t.gateway.url}/v1/invoices/${String(answer.body.id)}`, { key: t.key })).body;
        return body.status === 'issued' ? true : undefined;
      }, 10_000, () => `${orderNo} never issued`);
    }
  }
  clock.at = Math.max(clock.at, Date.now() - 60_000);
  // 2,000.00 issued by hand in the 电子税务局 this month; then the clock runs with the real one.
  await fetch(`${simulator.url}/_admin/quota`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sellerTaxId: SELLER, usedElsewhere: '2000.00' }) });
  clock.live = true;
  expect((await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota/read`, { method: 'POST', key: t.adminKey })).status).toBe(202);
  await eventually(async () => {
    const body = (await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { key: t.key })).body;
    return body.usedElsewhere === '2000.00' ? true : undefined;
  }, 20_000, async () => `the reading never showed what was used elsewhere: ${(await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { key: t.key })).text.slice(0, 600)}`);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await simulator?.close();
});

describe.runIf(hasChromium)('the quota page', () => {
  it('shows the seller’s month: remaining, used elsewhere, the forecast, and the burn-down', async () => {
    const quota = (await http(`${t.gateway.url}/v1/sellers/${SELLER}/quota`, { key: t.key })).body;
    expect(quota).toMatchObject({ known: true, month: quotaMonth(Date.now()), total: '30000.00', usedElsewhere: '2000.00' });
    const page = await signedIn('clerk-q');
    await page.getByRole('link', { name: '发票额度' }).click();
    const card = page.getByRole('article', { name: SELLER });
    await card.waitFor();
    const remaining = Number(quota.remaining).toLocaleString('en', { minimumFractionDigits: 2 });
    expect(await card.getByTestId('quota-remaining').textContent()).toContain(`¥${remaining} / ¥30,000.00`);
    expect(await card.textContent()).toContain('¥2,000.00');
    const forecast = await card.getByTestId('quota-forecast').textContent();
    expect(forecast === '按当前速度本月用不完' || /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(forecast ?? '')).toBe(true);
    // One point of the burn-down every three hours of the month so far, drawn as a line.
    const points = (await card.locator('svg[data-testid="burn-down"] polyline').getAttribute('points'))!.split(' ');
    expect(points.length).toBe((quota.burnDown as unknown[]).length);
    expect(points.length).toBeGreaterThan(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    await shoot(page, 'quota');
    // English as well.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Invoice quota' }).waitFor();
    expect(await card.textContent()).toContain('Used elsewhere');
  });
});
