// The console's invoice page in Chromium for a red invoice through 百望 whose 红字确认单 waits for the
// buyer: the clerk sees it waiting, withdraws the form with one button, and the page shows the red
// invoice ended — the form withdrawn (08) — while the blue invoice can be flushed again; axe-core
// passes. CONSOLE_SCREENSHOTS=DIR keeps the page.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { addUser } from '../../src/store/console-users.js';
import { CHROMIUM, CHROMIUM_ARGS, consoleBrowser } from '../support/console-browser.js';
import { SELLER } from '../support/fixtures.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validSpecialRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { hasFile } from '../support/tools.js';

const PASSWORD = 'correct horse battery';
const APP = { appKey: 'BWCONSOLE', appSecret: 'bw-console-secret', username: 'bw', password: 'bw-pass', salt: 'salt' };
const hasChromium = hasFile(CHROMIUM);
let simulator: RunningSimulator;
let t: TestGateway;
let browser: Browser;
const { signedIn, accessibilityViolations, shoot } = consoleBrowser(() => browser, () => t.gateway.url, PASSWORD);

beforeAll(async () => {
  if (!hasChromium) return;
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-withdraw-console-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, confirmation: 'required', protocol: { kind: 'baiwang', credentials: APP } });
  t = await startTestGateway({ channels: [{ name: 'baiwang', protocol: 'baiwang', url: `${simulator.url}/router/rest`, ...APP }] });
  await addUser(t.gateway.store.db, t.gateway.store.capabilities, { username: 'clerk-w', role: 'clerk', sellers: [SELLER], passwordHash: await hashPassword(PASSWORD), by: 'test', now: Date.now() });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await simulator?.close();
});

const read = async (id: string) => (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;
const settled = (id: string, done: (invoice: Record<string, unknown>) => boolean) =>
  eventually(async () => {
    const invoice = await read(id);
    return done(invoice) ? invoice : undefined;
  }, 15_000, async () => JSON.stringify(await read(id)));

describe.runIf(hasChromium)('withdrawing a 红字确认单 in the console', () => {
  it('withdraws the waiting form with one button, and shows the red invoice ended', async () => {
    const issued = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'w-blue', json: { ...validSpecialRequest(), orderNo: 'W-BLUE' } });
    const blue = await settled(String(issued.body.id), (invoice) => invoice.status === 'issued');
    const flushed = await http(`${t.gateway.url}/v1/invoices/${String(blue.id)}/red-flush`, { key: t.key, idempotencyKey: 'w-red', json: { reason: 'issued_in_error' } });
    const redId = String(flushed.body.id);
    await settled(redId, (invoice) => invoice.stage === 'awaiting_confirmation');

    const page = await signedIn('clerk-w');
    await page.goto(`${t.gateway.url}/console/invoices/${redId}`);
    const button = page.getByRole('button', { name: '撤销红字确认单' });
    await button.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await shoot(page, 'withdraw-waiting');
    await button.click();
    await settled(redId, (invoice) => invoice.status === 'rejected');
    await page.reload();
    await page.getByText('upstream_confirmation_08').waitFor();
    expect(await page.getByRole('button', { name: '撤销红字确认单' }).count()).toBe(0);
    await shoot(page, 'withdraw-done');
    expect((await read(String(blue.id))).redFlushableTotal).toBe('1060.00');
  });
});
