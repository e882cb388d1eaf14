// docs/api.md is the contract a user of a clone reads (there is no other): every route the
// gateway serves and every command it has must be in it, and nothing a user reads may point
// outside the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';

const ROOT = join(import.meta.dirname, '../..');
const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ channels: [{ name: 'sim', url: 'http://127.0.0.1:1' }] });
});

afterAll(async () => {
  await t.close();
});

describe('docs/api.md in step with the gateway', () => {
  it('names every route of the OpenAPI document, and the undocumented operational ones', async () => {
    const openapi = (await http(`${t.gateway.url}/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(openapi.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes.length).toBeGreaterThan(5);
    for (const route of [...routes, 'GET /openapi.json', 'GET /docs']) expect(api, route).toContain(`\`${route}\``);
  });

  it('names every command and subcommand of fapiao', () => {
    const names = (command: Command, prefix: string): string[] =>
      command.commands.flatMap((sub) => [`${prefix} ${sub.name()}`, ...names(sub, `${prefix} ${sub.name()}`)]);
    const commands = names(buildProgram(), 'fapiao');
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const [, first, second] = command.split(' ');
      // A subcommand may be written after its parent in the same cell: `keys list`.
      expect(api.includes(`\`${command}`) || (second !== undefined && api.includes(`\`fapiao ${first} `) && api.includes(`${second}`)), command).toBe(true);
    }
  });
});

describe('the OpenAPI document', () => {
  it('is readable at /docs, with the page\'s own scripts and styles served locally', async () => {
    const page = await http(`${t.gateway.url}/docs/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
      const answer = await http(`${t.gateway.url}/docs/static/${asset}`);
      expect(answer.status, asset).toBe(200);
      expect(answer.text.length, asset).toBeGreaterThan(1000);
    }
  });

  it('passes redocly lint with the recommended rules', async () => {
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const source = (await http(`${t.gateway.url}/openapi.json`)).text;
    const findings = await lintFromString({ source, absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }) });
    const found = findings.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? ''}`);
    // The only warnings: the probes and metrics have no 4xx answer to document (they never refuse).
    expect(found).toEqual(['/metrics', '/healthz', '/livez', '/startupz', '/readyz'].map((path) => `warn operation-4xx-response at #/paths/${path.replace('/', '~1')}/get/responses`));
  });

  it('names this gateway as its server, documents /metrics, and needs no key for health, readiness and metrics', async () => {
    const openapi = (await http(`${t.gateway.url}/openapi.json`)).body as {
      servers?: Array<{ url: string }>;
      paths: Record<string, Record<string, { security?: unknown[]; summary?: string }>>;
    };
    expect(openapi.servers?.length).toBeGreaterThan(0);
    for (const path of ['/healthz', '/livez', '/startupz', '/readyz', '/metrics']) expect(openapi.paths[path]?.get?.security, path).toEqual([]);
    for (const [path, methods] of Object.entries(openapi.paths)) for (const [method, operation] of Object.entries(methods)) expect(operation.summary, `${method} ${path}`).toBeTruthy();
  });
});

describe('nothing a user reads points outside the repository', () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

  it.each(pages)('%s links only to files in the repository', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8');
    expect(text).not.toMatch(/\bshared\/(api|design|domain|field-notes|style)\.md/);
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const file = resolve(dirname(join(ROOT, page)), target!);
      expect(relative(ROOT, file).startsWith('..'), `${page} → ${target}`).toBe(false);
      expect(existsSync(file), `${page} → ${target}`).toBe(true);
    }
  });
});
