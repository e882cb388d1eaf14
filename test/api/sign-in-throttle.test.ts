// Console sign-in as an attacker tries it, on this run's dialect: sixty guesses at once reach the
// password hash at most five times and the right password is then refused too; a stranger cannot
// lock anyone out; no answer tells which names exist; every failure is audited; checks in flight
// are bounded; and X-Forwarded-For is believed only from a trusted proxy.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/runtime/password-hash.js';
import { addUser } from '../../src/store/console-users.js';
import { DIALECT } from '../support/database.js';
import { SELLER } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const PASSWORD = 'correct horse battery staple';
let t: TestGateway;
let untrusting: TestGateway;

beforeAll(async () => {
  [t, untrusting] = await Promise.all([startTestGateway({ channels: [], http: { trustProxy: 1 } }), startTestGateway({ channels: [] })]);
  const passwordHash = await hashPassword(PASSWORD);
  for (const gateway of [t, untrusting]) {
    for (const username of ['alice', 'bob', 'carol', 'dave']) {
      await addUser(gateway.gateway.store.db, gateway.gateway.store.capabilities, { username, role: 'clerk', sellers: [SELLER], passwordHash, by: 'test', now: Date.now() });
    }
  }
});

afterAll(async () => {
  await Promise.all([t.close(), untrusting.close()]);
});

async function attempt(gateway: TestGateway, username: string, password: string, from?: string) {
  const response = await request(`${gateway.gateway.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from && { 'x-forwarded-for': from }) },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.body.json()) as { code?: string };
  return { status: response.statusCode, code: body.code ?? 'signed_in', retryAfter: response.headers['retry-after'] };
}

async function failuresAudited(gateway: TestGateway, username: string): Promise<number> {
  const rows = await gateway.gateway.store.db.selectFrom('audit_log').select('event').where('invoice_id', '=', `user:${username}`).where('event', '=', 'login_failed').execute();
  return rows.length;
}

async function passwordChecks(gateway: TestGateway): Promise<number> {
  const text = await (await request(`${gateway.gateway.url}/metrics`)).body.text();
  return ['signed_in', 'refused'].reduce((sum, outcome) => sum + Number(new RegExp(`fapiao_console_sign_ins_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0), 0);
}

describe(`console sign-in throttle on ${DIALECT}`, () => {
  it('checks at most five of sixty guesses sent at once, and then refuses the right password too', async () => {
    const before = await passwordChecks(t);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => attempt(t, 'alice', `guess number ${n}`, '203.0.113.7')));
    const checked = answers.filter((answer) => answer.code === 'login_failed').length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(5);
    // The rest are held back (429), or refused because checks are in flight already (503): never checked.
    expect(answers.map((answer) => answer.code).filter((code) => !['login_failed', 'sign_in_throttled', 'overloaded'].includes(code))).toEqual([]);
    expect(answers.filter((answer) => answer.status >= 429).every((answer) => Number(answer.retryAfter) >= 1)).toBe(true);
    expect(await passwordChecks(t)).toBe(before + checked);
    expect(await failuresAudited(t, 'alice')).toBe(checked);

    const right = await attempt(t, 'alice', PASSWORD, '203.0.113.7');
    expect([right.status, right.code]).toEqual([429, 'sign_in_throttled']);
    expect(Number(right.retryAfter)).toBeGreaterThanOrEqual(50);
    expect(await passwordChecks(t)).toBe(before + checked);
  });

  it('lets the real user in from elsewhere while a stranger is held back', async () => {
    for (let n = 0; n < 7; n++) await attempt(t, 'bob', `stranger ${n}`, '198.51.100.1');
    expect((await attempt(t, 'bob', PASSWORD, '198.51.100.1')).code).toBe('sign_in_throttled');
    expect((await attempt(t, 'bob', PASSWORD, '192.0.2.44')).code).toBe('signed_in');
  });

  it('answers an unknown name exactly as a known one, and audits both', async () => {
    const sequence = async (username: string, from: string) => {
      const codes = [];
      for (let n = 0; n < 7; n++) {
        const answer = await attempt(t, username, `wrong ${n}`, from);
        codes.push(`${answer.status} ${answer.code} ${String(answer.retryAfter ?? '')}`);
      }
      return codes;
    };
    const known = await sequence('carol', '192.0.2.10');
    const unknown = await sequence('nobody-here', '192.0.2.11');
    expect(unknown).toEqual(known);
    expect(known.slice(0, 5)).toEqual(Array(5).fill('401 login_failed '));
    expect(known.slice(5)).toEqual(['429 sign_in_throttled 60', '429 sign_in_throttled 60']);
    expect(await failuresAudited(t, 'nobody-here')).toBe(5);
    expect(await failuresAudited(t, 'carol')).toBe(5);
  });

  it('holds back one address guessing at many names', async () => {
    const codes = [];
    for (let n = 0; n < 22; n++) codes.push((await attempt(t, `name-${n}`, 'whatever it is', '192.0.2.99')).code);
    expect(codes.slice(0, 20)).toEqual(Array(20).fill('login_failed'));
    expect(codes.slice(20)).toEqual(['sign_in_throttled', 'sign_in_throttled']);
    // Another address is not affected.
    expect((await attempt(t, 'dave', PASSWORD, '192.0.2.100')).code).toBe('signed_in');
  });

  it('takes IPv6 clients by their /64', async () => {
    for (let n = 0; n < 5; n++) await attempt(t, 'dave', `wrong ${n}`, `2001:db8:1:2::${n + 1}`);
    expect((await attempt(t, 'dave', PASSWORD, '2001:db8:1:2:ffff::9')).code).toBe('sign_in_throttled');
    expect((await attempt(t, 'dave', PASSWORD, '2001:db8:1:3::1')).code).toBe('signed_in');
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    // Without FAPIAO_TRUST_PROXY a guesser cannot pose as a new address with each guess.
    const codes = [];
    for (let n = 0; n < 6; n++) codes.push((await attempt(untrusting, 'alice', `spoofed ${n}`, `198.51.100.${n + 1}`)).code);
    expect(codes).toEqual([...Array<string>(5).fill('login_failed'), 'sign_in_throttled']);
  });
});
