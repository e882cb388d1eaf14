// The console's second factor over HTTP on this run's dialect: enrolled by QR code and a first
// code, sealed at rest; then a sign-in needs the code, a code is good once, a recovery code once;
// and FAPIAO_CONSOLE_REQUIRE_2FA=admin keeps an admin without one to enrolment only.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { totpCode } from '../../src/runtime/totp.js';
import { addUser } from '../../src/store/console-users.js';
import { DIALECT } from '../support/database.js';
import { SELLER } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const PASSWORD = 'correct horse battery staple';
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ channels: [], signIn: { require2fa: 'admin' } });
  const passwordHash = await hashPassword(PASSWORD);
  for (const [username, role] of [['boss', 'admin'], ['clerk', 'clerk']] as const) {
    await addUser(t.gateway.store.db, t.gateway.store.capabilities, { username, role, sellers: [SELLER], passwordHash, by: 'test', now: Date.now() });
  }
});

afterAll(async () => {
  await t.close();
});

async function call(method: string, path: string, options: { cookie?: string; csrf?: string; json?: unknown } = {}) {
  const response = await request(`${t.gateway.url}${path}`, {
    method: method as 'POST',
    headers: { ...(options.cookie && { cookie: options.cookie }), ...(options.csrf && { 'x-csrf-token': options.csrf }), ...(options.json !== undefined && { 'content-type': 'application/json' }) },
    ...(options.json !== undefined && { body: JSON.stringify(options.json) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, cookie: String(response.headers['set-cookie'] ?? '').split(';')[0]! };
}

const signIn = (username: string, totp?: string) => call('POST', '/console/api/session', { json: { username, password: PASSWORD, ...(totp !== undefined && { totp }) } });

describe(`console second factor on ${DIALECT}`, () => {
  it('keeps an admin without a second factor to enrolment, enrols by a first code, then asks for a code good once', async () => {
    const first = await signIn('boss');
    expect(first.body).toMatchObject({ secondFactor: { enrolled: false, required: true } });
    const session = { cookie: first.cookie, csrf: String(first.body.csrfToken) };
    expect((await call('GET', '/v1/invoices', session)).body.code).toBe('second_factor_enrolment_required');
    // A clerk is not asked (the policy is admin).
    const clerk = await signIn('clerk');
    expect(clerk.body).toMatchObject({ secondFactor: { enrolled: false, required: false } });
    expect((await call('GET', '/v1/invoices', { cookie: clerk.cookie })).status).toBe(200);

    expect((await call('POST', '/console/api/second-factor/confirm', { ...session, json: { code: '123456' } })).body.code).toBe('second_factor_not_offered');
    expect((await call('POST', '/console/api/second-factor/setup', { cookie: session.cookie })).body.code).toBe('csrf_token_invalid');
    const offer = await call('POST', '/console/api/second-factor/setup', session);
    const secret = String(offer.body.secret);
    expect(offer.body.uri).toBe(`otpauth://totp/%E5%8F%91%E7%A5%A8%E7%BD%91%E5%85%B3:boss?issuer=%E5%8F%91%E7%A5%A8%E7%BD%91%E5%85%B3&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    expect(String(offer.body.qrSvg)).toMatch(/^<svg /);
    expect((await call('POST', '/console/api/second-factor/confirm', { ...session, json: { code: '000000' } })).body.code).toBe('second_factor_invalid');
    const now = Date.now();
    const confirmed = await call('POST', '/console/api/second-factor/confirm', { ...session, json: { code: totpCode(secret, now) } });
    const recoveryCodes = confirmed.body.recoveryCodes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.every((code) => /^[a-z2-9]{4}-[a-z2-9]{4}$/.test(code))).toBe(true);
    expect((await call('GET', '/v1/invoices', session)).status).toBe(200);
    // Sealed at rest, the recovery codes as hashes.
    const row = await t.gateway.store.db.selectFrom('console_users').selectAll().where('username', '=', 'boss').executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(recoveryCodes[0]!);

    expect((await signIn('boss')).body.code).toBe('second_factor_required');
    expect((await signIn('boss', '999999')).body.code).toBe('second_factor_invalid');
    // The code that confirmed enrolment was used: the next step's code signs in, once.
    const next = totpCode(secret, now + 30_000);
    expect((await signIn('boss', next)).status).toBe(200);
    expect((await signIn('boss', next)).body.code).toBe('second_factor_invalid');
    // A recovery code, once.
    expect((await signIn('boss', recoveryCodes[3]!.toUpperCase())).status).toBe(200);
    expect((await signIn('boss', recoveryCodes[3])).body.code).toBe('second_factor_invalid');
    const audit = await t.gateway.store.db.selectFrom('audit_log').select('event').where('invoice_id', '=', 'user:boss').execute();
    expect(audit.map((entry) => entry.event)).toEqual(expect.arrayContaining(['second_factor_enrolled', 'recovery_code_used', 'login_failed', 'login']));
  });

  it('answers a second-factor guess only after the password, and counts wrong codes against the throttle', async () => {
    // A wrong password with any code is a plain login_failed: the code is not looked at.
    expect((await call('POST', '/console/api/session', { json: { username: 'boss', password: 'not the password at all', totp: '123456' } })).body.code).toBe('login_failed');
    const codes = [];
    for (let n = 0; n < 4; n++) codes.push((await signIn('boss', String(100000 + n))).body.code);
    expect(codes).toContain('sign_in_throttled');
  });
});
