// Console sessions over HTTP on this run's dialect: sign-in sets an HttpOnly, SameSite=Strict cookie
// (Secure behind HTTPS), the cookie acts for the user's sellers within the role's scopes, a write
// needs the CSRF token, sign-out ends it, wrong passwords lock, and the pages are served with a
// strict Content-Security-Policy.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { addUser, disableUser, findUser } from '../../src/store/console-users.js';
import { addConsoleUser } from '../../src/access/console-user-admin.js';
import { systemClock } from '../../src/runtime/clock.js';
import { SecretBox } from '../../src/runtime/secret-box.js';
import { DIALECT } from '../support/database.js';
import { OTHER_SELLER, SELLER } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';

let t: TestGateway;
const PASSWORD = 'a long enough secret';

beforeAll(async () => {
  t = await startTestGateway({ channels: [] });
  const passwordHash = await hashPassword(PASSWORD);
  for (const [username, role, sellers] of [['clerk', 'clerk', [SELLER]], ['viewer', 'viewer', [SELLER]], ['gone', 'clerk', [OTHER_SELLER]], ['boss', 'admin', [SELLER]], ['ops', 'operator', []]] as const) {
    await addUser(t.gateway.store.db, t.gateway.store.capabilities, { username, role, sellers: [...sellers], passwordHash, by: 'test', now: Date.now() });
  }
});

afterAll(async () => {
  await t.close();
});

async function call(method: string, path: string, options: { cookie?: string; csrf?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  const response = await request(`${t.gateway.url}${path}`, {
    method: method as 'GET',
    headers: {
      ...(options.cookie && { cookie: options.cookie }),
      ...(options.csrf && { 'x-csrf-token': options.csrf }),
      ...(options.json !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.json !== undefined && { body: JSON.stringify(options.json) }),
  });
  const text = await response.body.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a page
  }
  return { status: response.statusCode, headers: response.headers, body, text };
}

async function signIn(username: string, headers: Record<string, string> = {}) {
  const answer = await call('POST', '/console/api/session', { json: { username, password: PASSWORD }, headers });
  const setCookie = String(answer.headers['set-cookie']);
  return { answer, setCookie, cookie: setCookie.split(';')[0]!, csrf: String(answer.body.csrfToken) };
}

describe(`console sessions on ${DIALECT}`, () => {
  it('signs in with a strict cookie that acts for the user within the role, writes only with the CSRF token, and signs out', async () => {
    const { answer, setCookie, cookie, csrf } = await signIn('CLERK');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ username: 'clerk', role: 'clerk', sellers: [SELLER], scopes: ['issue', 'read'] });
    expect(setCookie).toMatch(/^fapiao_session=[\w-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    // Behind a proxy that terminated TLS, the cookie is Secure.
    expect((await signIn('clerk', { 'x-forwarded-proto': 'https' })).setCookie).toContain('; Secure');

    expect((await call('GET', '/console/api/session', { cookie })).body).toMatchObject({ username: 'clerk', csrfToken: csrf });
    expect((await call('GET', '/v1/invoices', { cookie })).status).toBe(200);
    const body = validRequest({ orderNo: 'CONSOLE-1' });
    expect((await call('POST', '/v1/invoices', { cookie, json: body, headers: { 'idempotency-key': 'console-1' } })).body.code).toBe('csrf_token_invalid');
    expect((await call('POST', '/v1/invoices', { cookie, csrf: 'not-it', json: body, headers: { 'idempotency-key': 'console-1' } })).body.code).toBe('csrf_token_invalid');
    const issued = await call('POST', '/v1/invoices', { cookie, csrf, json: body, headers: { 'idempotency-key': 'console-1' } });
    expect(issued.status).toBe(202);
    // Another seller's invoice is issued by nobody here; the clerk's role has no admin.
    expect((await call('POST', '/v1/invoices', { cookie, csrf, json: validRequest({ orderNo: 'X', seller: { taxId: OTHER_SELLER } }), headers: { 'idempotency-key': 'console-2' } })).status).toBe(403);
    expect((await call('POST', '/v1/webhooks', { cookie, csrf, json: { url: 'https://x.example/h', events: ['*'] } })).body.code).toBe('scope_missing');

    // Signing out is a write: without the CSRF token the session stays.
    expect((await call('DELETE', '/console/api/session', { cookie })).body.code).toBe('csrf_token_invalid');
    expect((await call('GET', '/v1/invoices', { cookie })).status).toBe(200);
    expect((await call('DELETE', '/console/api/session', { cookie, csrf })).status).toBe(204);
    expect((await call('GET', '/v1/invoices', { cookie })).body.code).toBe('session_invalid');
    expect((await call('GET', '/console/api/session', { cookie })).status).toBe(401);
  });

  it('gives a viewer read only, ends a disabled user’s session, and holds an address back after five wrong passwords', async () => {
    const viewer = await signIn('viewer');
    expect((await call('GET', '/v1/channels', { cookie: viewer.cookie })).status).toBe(200);
    expect((await call('POST', '/v1/invoices', { cookie: viewer.cookie, csrf: viewer.csrf, json: validRequest(), headers: { 'idempotency-key': 'v-1' } })).body.code).toBe('scope_missing');

    const gone = await signIn('gone');
    await disableUser(t.gateway.store.db, t.gateway.store.capabilities, { username: 'gone', by: 'test', now: Date.now() });
    expect((await call('GET', '/v1/invoices', { cookie: gone.cookie })).body.code).toBe('session_invalid');
    expect((await signIn('gone')).answer.body.code).toBe('login_failed');

    const codes = [];
    for (let n = 0; n < 5; n++) codes.push((await call('POST', '/console/api/session', { json: { username: 'viewer', password: `wrong ${n}` } })).body.code);
    expect(codes).toEqual(['login_failed', 'login_failed', 'login_failed', 'login_failed', 'login_failed']);
    const held = await signIn('viewer');
    expect([held.answer.status, held.answer.body.code, Number(held.answer.headers['retry-after'])]).toEqual([429, 'sign_in_throttled', 60]);
    // Unknown names are refused alike: nothing says which names exist.
    expect((await call('POST', '/console/api/session', { json: { username: 'nobody', password: PASSWORD } })).body.code).toBe('login_failed');
    expect((await call('POST', '/console/api/session', { json: { username: 'x' } })).status).toBe(400);
  });

  it('lets an operator, bound to no seller, run the shared channels, and a seller’s admin not', async () => {
    const ops = await signIn('ops');
    expect(ops.answer.body).toMatchObject({ role: 'operator', sellers: [], scopes: ['operator'] });
    expect((await call('GET', '/v1/channels', { cookie: ops.cookie })).status).toBe(200);
    expect((await call('GET', '/v1/invoices', { cookie: ops.cookie })).body.data).toEqual([]);
    // Past the scope check: this gateway has no channel of that name.
    expect((await call('POST', '/v1/channels/nowhere/isolate', { cookie: ops.cookie, csrf: ops.csrf, json: {} })).body.code).toBe('not_found');
    const boss = await signIn('boss');
    expect((await call('POST', '/v1/channels/nowhere/isolate', { cookie: boss.cookie, csrf: boss.csrf, json: {} })).body.code).toBe('scope_missing');
    const deps = { db: t.gateway.store.db, capabilities: t.gateway.store.capabilities, clock: systemClock, secrets: SecretBox.open({ key: null, dataDir: t.database.dataDir }) };
    const operatorWithSeller = await addConsoleUser(deps, { username: 'ops2', role: 'operator', sellers: [SELLER], password: 'a long enough pass phrase', secondFactor: false, by: 'test' });
    expect(operatorWithSeller).toEqual({ kind: 'operator_with_sellers' });
    expect(await findUser(t.gateway.store.db, 'ops2')).toBeUndefined();
  });

  it('serves the console pages with a strict Content-Security-Policy, the same page for every path', async () => {
    for (const path of ['/console', '/console/invoices', '/console/invoices/inv_x/nothing']) {
      const page = await call('GET', path);
      expect(page.status, path).toBe(200);
      expect(page.text).toContain('<div id="app">');
      expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'");
      // The page is asked for again each time, so an upgrade's scripts reach every browser.
      expect(page.headers['cache-control'], path).toBe('no-cache');
    }
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec((await call('GET', '/console')).text)![1]!;
    const asset = await call('GET', script);
    expect([asset.status, asset.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await call('GET', '/console/assets/missing.js')).status).toBe(404);
  });
});
