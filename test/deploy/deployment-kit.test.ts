// The deployment kit, checked as far as this machine allows (it has no container engine and no
// helm; README says what was and was not run): the container's command is run here exactly as the
// image runs it and stops cleanly on SIGTERM; the Dockerfile builds in two stages, runs node as a
// non-root user under an init; compose puts three gateways behind a balancer that follows /readyz;
// the Helm chart's values schema takes the defaults and refuses bad values, its templates name only
// values that exist, and its probes are routes the gateway answers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/fapiao-gateway');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The Dockerfile's exec-form instruction `name` of its last stage, as an array. */
function execForm(name: 'CMD' | 'ENTRYPOINT'): string[] {
  const lines = dockerfile.split('\n').filter((line) => line.startsWith(`${name} `));
  expect(lines.length, `${name} in the Dockerfile`).toBeGreaterThan(0);
  return JSON.parse(lines.at(-1)!.slice(name.length + 1)) as string[];
}

describe('the container image', () => {
  it('builds in two stages and runs node (not npm) as a non-root user under an init', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).not.toMatch(/^USER root$/m);
    expect(execForm('ENTRYPOINT')).toEqual(['/usr/bin/tini', '--']);
    expect(execForm('CMD')[0]).toBe('node');
    expect(execForm('CMD')).not.toContain('npm');
  });

  it("runs the image's command here: it serves, is live, started and ready, and stops with exit 0 on SIGTERM", async () => {
    // node's own flags come before the script, as in the image.
    const [, ...command] = execForm('CMD');
    const nodeFlags = command.filter((arg, index) => command.slice(0, index + 1).every((earlier) => earlier.startsWith('--')));
    const [script, ...args] = command.slice(nodeFlags.length);
    expect(nodeFlags).toContain('--max-semi-space-size=4');
    const data = mkdtempSync(join(tmpdir(), 'fapiao-image-'));
    // Only the container's paths differ: its /data is a directory here.
    const here = args.map((arg) => arg.replace(/^\/data\//, `${data}/`));
    const child = spawn(process.execPath, [...nodeFlags, script!, ...here], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', FAPIAO_DATA_DIR: data, FAPIAO_PORT: '0', FAPIAO_CHANNELS: 'sim=http://127.0.0.1:9', FAPIAO_DRAIN_SECONDS: '1', FAPIAO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!.replace('0.0.0.0', '127.0.0.1'));
        }
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/livez', '/startupz', '/readyz']) expect((await request(`${url}${path}`)).statusCode, path).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; stop_grace_period?: string }> };
  const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway-'));

  it('runs three gateways on PostgreSQL with the image command, each given longer to stop than it takes', () => {
    expect(gateways.map(([name]) => name)).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    for (const [name, gateway] of gateways) {
      expect(gateway.command, name).toBeUndefined();
      expect(gateway.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\//);
      expect(parseInt(gateway.stop_grace_period ?? '10s', 10), name).toBeGreaterThan(Number(gateway.environment?.FAPIAO_SHUTDOWN_SECONDS ?? 30));
    }
    expect(compose.services.postgres).toBeDefined();
  });

  it('balances over the gateways whose /readyz answers 200', () => {
    const haproxy = readFileSync(join(ROOT, 'deploy/compose/haproxy.cfg'), 'utf8');
    expect(haproxy).toMatch(/option httpchk GET \/readyz/);
    for (const [name] of gateways) expect(haproxy).toContain(`server ${name} ${name}:8080 check`);
  });
});

describe('the Helm chart', () => {
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const templates = readdirSync(join(CHART, 'templates')).map((name) => ({ name, text: readFileSync(join(CHART, 'templates', name), 'utf8') }));
  /** The defaults with one value set (or removed, for undefined) at a dotted path. */
  const changed = (path: string, value: unknown) => {
    const copy = structuredClone(values);
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, copy);
    if (value === undefined) delete parent[keys.at(-1)!];
    else parent[keys.at(-1)!] = value;
    return copy;
  };

  it('takes its defaults', () => {
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['no replicas', 'replicaCount', 0],
    ['a shutdown as text', 'shutdown.shutdownSeconds', 'thirty'],
    ['a grace period no longer than the shutdown', 'shutdown.graceMarginSeconds', 0],
    ['a secret in plain values', 'env', { FAPIAO_SECRETS_KEY: 'c2VjcmV0' }],
    ['a setting that is not the gateway’s', 'env', { NODE_OPTIONS: '--inspect' }],
    ['a misspelt key', 'replica', 3],
    ['a database secret without its key', 'database.urlSecret.key', undefined],
    ['a probe that never fails', 'probes.readiness.failureThreshold', 0],
  ])('refuses %s', (_what, path, value) => {
    expect(validate(changed(path, value))).toBe(false);
  });

  it('names in its templates only values that exist', () => {
    const has = (path: string[]) => path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), values) !== undefined;
    const missing = templates.flatMap(({ name, text }) => [...text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)].map((match) => match[1]!.slice(1).split('.')).filter((path) => !has(path)).map((path) => `${name}: .Values.${path.join('.')}`));
    expect(missing).toEqual([]);
  });

  it('carries the recommended labels, a disruption budget, probes on the gateway’s routes and a grace period above the stop', () => {
    const helpers = templates.find((template) => template.name === '_helpers.tpl')!.text;
    for (const label of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of', 'app.kubernetes.io/managed-by', 'helm.sh/chart']) expect(helpers).toContain(label);
    expect(templates.some((template) => /kind: PodDisruptionBudget/.test(template.text))).toBe(true);
    const deployment = templates.find((template) => template.name === 'deployment.yaml')!.text;
    expect(deployment).toMatch(/livenessProbe:\s+httpGet: \{ path: \/livez/);
    expect(deployment).toMatch(/readinessProbe:\s+httpGet: \{ path: \/readyz/);
    expect(deployment).toMatch(/startupProbe:\s+httpGet: \{ path: \/startupz/);
    expect(deployment).toContain('terminationGracePeriodSeconds: {{ add .Values.shutdown.shutdownSeconds .Values.shutdown.graceMarginSeconds }}');
    expect(deployment).toMatch(/secretKeyRef:/);
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
