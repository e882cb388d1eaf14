/**
 * Serves the web console at /console: the pages Vite built from src/console at install time
 * (dist/console), nothing from a CDN, with a strict Content-Security-Policy; every path under
 * /console that is not a file is the single page (it routes in the browser). Sign-in and the
 * session are /console/api (routes/console-session.ts); the pages call /v1 with the session.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

// From src/api (tests) and dist/api (built) alike, the built pages are <root>/dist/console.
const BUILT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

// worker-src blob: — the Excel export compresses a large workbook in a worker that its zip library
// (fflate, in write-excel-file) makes from a blob: URL; only script already running from 'self' can
// make one, so it lets nothing in that script-src keeps out. Without it a large export never ends
// (Chromium refuses the worker; the console test exports 3,000 rows under this policy).
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export const consolePlugin: FastifyPluginAsync = async (app) => {
  if (!existsSync(BUILT)) {
    app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build` (npm install does it) and restart.\n控制台尚未构建：请运行 npm run build 后重启。\n'),
    );
    return;
  }
  // The built files have hashed names: cached for good. The page itself is asked for again each time.
  await app.register(fastifyStatic, {
    root: join(BUILT, 'assets'),
    prefix: '/console/assets/',
    decorateReply: true,
    index: false,
    maxAge: '365d',
    immutable: true,
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    },
  });
  // The page names this release's scripts: a browser must ask again each time, or an upgrade's
  // fixed script never reaches it (sendFile would otherwise apply the assets' year-long caching).
  const page = async (_request: unknown, reply: FastifyReply) =>
    reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).type('text/html; charset=utf-8').sendFile('index.html', BUILT, { cacheControl: false });
  app.get('/console', { schema: { hide: true } }, page);
  // Every other path under /console is a page of the console (it routes in the browser).
  app.get('/console/*', { schema: { hide: true } }, page);
};
