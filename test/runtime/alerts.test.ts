// The alert rules: valid, behaving as their unit tests say (promtool), and each with a runbook.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool } from '../support/tools.js';

const ROOT = join(import.meta.dirname, '../..');
const hasPromtool = hasTool('promtool');

describe('alert rules', () => {
  it.runIf(hasPromtool)('pass promtool check rules and promtool test rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', join(ROOT, 'deploy/prometheus/alerts.yml')], { encoding: 'utf8' });
    expect(check.stdout).toContain('SUCCESS');
    expect(check.status).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', join(ROOT, 'deploy/prometheus/alerts.test.yml')], { encoding: 'utf8' });
    expect(test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
    expect(spawnSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml')]).status).toBe(0);
  });

  it('link every alert to its paragraph in docs/runbook.md, and test every alert', () => {
    const rules = readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
    const tests = readFileSync(join(ROOT, 'deploy/prometheus/alerts.test.yml'), 'utf8');
    const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    for (const alert of alerts) {
      expect(runbook).toContain(`## ${alert}\n`);
      expect(rules).toContain(`runbook: docs/runbook.md#${alert.toLowerCase()}`);
      expect(tests).toContain(`alertname: ${alert}`);
    }
  });
});
