// The console in Chromium for tests: a signed-in page, axe-core's WCAG 2.1 AA findings, and
// screenshots kept when CONSOLE_SCREENSHOTS=DIR names where.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export interface ConsoleBrowser {
  signedIn: (username: string, viewport?: { width: number; height: number }, options?: { bypassCSP?: boolean }) => Promise<Page>;
  accessibilityViolations: (page: Page) => Promise<string[]>;
  shoot: (page: Page, name: string) => Promise<void>;
}

export function consoleBrowser(browser: () => Browser, url: () => string, password: string, screenshots = process.env.CONSOLE_SCREENSHOTS): ConsoleBrowser {
  return {
    signedIn: async (username, viewport = { width: 1280, height: 900 }, options = {}) => {
      const context = await browser().newContext({ viewport, acceptDownloads: true, ...options });
      const page = await context.newPage();
      await page.goto(`${url()}/console`);
      await page.getByLabel('用户名').fill(username);
      await page.getByLabel('密码').fill(password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('heading', { name: '发票', exact: true }).waitFor();
      return page;
    },
    accessibilityViolations: async (page) => {
      await page.evaluate(axe.source);
      const violations = await page.evaluate(async () => {
        const result = await (globalThis as unknown as { axe: typeof axe }).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        // A check that checked nothing would pass anything: the rules that passed are counted too.
        return { passed: result.passes.length, violations: result.violations.map((violation) => `${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`) };
      });
      expect(violations.passed).toBeGreaterThan(5);
      return violations.violations;
    },
    shoot: async (page, name) => {
      if (!screenshots) return;
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
    },
  };
}
