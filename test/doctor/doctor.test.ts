// `fapiao doctor` names each fault for what it is: every fault here is built for real on loopback
// (certificates made by openssl, a DNS server that answers as asked, the simulator's own faults),
// and the test checks the finding code, the status and that the layers below are skipped.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, LAYERS, type DoctorReport } from '../../src/doctor/check.js';
import { CheckList } from '../../src/doctor/check-list.js';
import { runDoctor, type DoctorOptions } from '../../src/doctor/doctor.js';
import { KNOWLEDGE, remedyFor } from '../../src/doctor/knowledge-base.js';
import { dataDirFinding, diskFinding } from '../../src/doctor/local-check.js';
import { renderReport } from '../../src/doctor/report-table.js';
import { NO_FAULTS, type Faults } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { createSelfSigned, createTestCa, days, type KeyPair, type TestCa } from '../support/certificates.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { freePort } from '../support/ports.js';

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((thing) => thing.close()));
});

async function simulator(faults: Partial<Faults> = {}, tls?: KeyPair): Promise<RunningSimulator> {
  const started = await startSimulator({
    dataDir: mkdtempSync(join(tmpdir(), 'fapiao-doctor-sim-')),
    port: 0,
    host: '127.0.0.1',
    dedup: true,
    faults: { ...NO_FAULTS, ...faults },
    ...(tls && { tls }),
  });
  running.push(started);
  return started;
}

function options(extra: Partial<DoctorOptions> = {}): DoctorOptions {
  const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-doctor-data-'));
  return { timeoutMs: 3000, dataDir, store: { kind: 'sqlite', file: join(dataDir, 'fapiao.db') }, gatewayUrl: 'http://127.0.0.1:9', concurrency: 32, ...extra };
}

const doctor = (url: string, extra: Partial<DoctorOptions> = {}) => runDoctor({ kind: 'url', url }, options(extra));

function only(report: DoctorReport, code: string) {
  const found = report.checks.filter((check) => check.code === code);
  expect(found, JSON.stringify(report, null, 2)).toHaveLength(1);
  return found[0]!;
}

/** Every layer after `layer` is present and skipped. */
function skippedAfter(report: DoctorReport, layer: string) {
  const after = report.checks.filter((check) => LAYERS.indexOf(check.layer) > LAYERS.indexOf(layer as (typeof LAYERS)[number]));
  expect(after.length).toBeGreaterThan(0);
  for (const check of after) expect(check, JSON.stringify(check)).toMatchObject({ status: 'skip', code: null });
}

describe('a healthy upstream', () => {
  it('over HTTP: every layer ok, exit 0', async () => {
    const sim = await simulator();
    const report = await doctor(sim.url);
    expect(report.status).toBe('ok');
    expect(exitCodeOf(report)).toBe(0);
    expect(report.checks.map((c) => c.layer)).toEqual(['dns', 'tcp', 'http', 'clock', 'upstream']);
    for (const check of report.checks) expect(check, JSON.stringify(check)).toMatchObject({ status: 'ok', code: null, remedy: null });
    expect(report.checks.find((c) => c.layer === 'upstream')?.detail).toContain('credentials accepted');
  });

  it('over HTTPS with a certificate from a CA it is told to trust: the tls layer is ok too', async () => {
    const ca = createTestCa();
    const sim = await simulator({}, ca.issue(['localhost', '127.0.0.1'], { from: Date.now() - days(1), to: Date.now() + days(200) }));
    const report = await doctor(sim.url.replace('127.0.0.1', 'localhost'), { ca: ca.cert });
    expect(report.status, JSON.stringify(report, null, 2)).toBe('ok');
    const tls = report.checks.filter((c) => c.layer === 'tls');
    expect(tls.map((c) => c.name)).toEqual(['handshake', 'certificate validity', 'chain trust', 'hostname', 'OCSP stapling']);
    expect(tls[0]?.detail).toMatch(/^TLSv1\.[23], /);
    expect(tls[1]?.detail).toMatch(/^valid until \d{4}-\d\d-\d\d \((199|200) days\)$/);
    expect(tls[2]?.detail).toContain('Fapiao Test CA');
    expect(report.checks.map((c) => c.layer)).toEqual(['dns', 'tcp', ...tls.map(() => 'tls'), 'http', 'clock', 'upstream']);
  });
});

describe('TLS faults', () => {
  let ca: TestCa;
  beforeAll(() => {
    ca = createTestCa();
  });
  const names = ['localhost', '127.0.0.1'];

  it('an expired certificate: tls.cert_expired with the date, and nothing below is tried', async () => {
    const now = Date.now();
    const sim = await simulator({}, ca.issue(names, { from: now - days(400), to: now - days(2) - 3_600_000 }));
    const report = await doctor(sim.url, { ca: ca.cert });
    const expired = only(report, 'tls.cert_expired');
    expect(expired.status).toBe('fail');
    expect(expired.detail).toBe(`expired ${new Date(now - days(2) - 3_600_000).toISOString().slice(0, 10)} (2 days ago)`);
    expect(expired.remedy?.en).toContain('ACME');
    // Trusted apart from the date: a renewal away from working, and reported as such.
    expect(report.checks.find((c) => c.name === 'chain trust')).toMatchObject({ status: 'ok', detail: expect.stringContaining('apart from its dates') as unknown });
    expect(report.status).toBe('fail');
    expect(exitCodeOf(report)).toBe(2);
    skippedAfter(report, 'tls');
  });

  it('a certificate expiring in 10 days: tls.cert_expiring, a warning, and the rest still runs', async () => {
    const now = Date.now();
    const sim = await simulator({}, ca.issue(names, { from: now - days(80), to: now + days(10) + 3_600_000 }));
    const report = await doctor(sim.url, { ca: ca.cert });
    expect(only(report, 'tls.cert_expiring')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/\(in 10 days\)$/) as unknown });
    expect(report.status).toBe('warn');
    expect(exitCodeOf(report)).toBe(1);
    expect(report.checks.find((c) => c.layer === 'upstream')?.status).toBe('ok');
  });

  it('a certificate for another hostname: tls.hostname_mismatch naming what it is for', async () => {
    const now = Date.now();
    const sim = await simulator({}, ca.issue(['invoice.other.example'], { from: now - days(1), to: now + days(300) }));
    const report = await doctor(sim.url.replace('127.0.0.1', 'localhost'), { ca: ca.cert });
    expect(only(report, 'tls.hostname_mismatch')).toMatchObject({ status: 'fail', detail: 'the certificate is for DNS:invoice.other.example, not localhost' });
    expect(report.checks.find((c) => c.name === 'chain trust')?.status).toBe('ok');
    skippedAfter(report, 'tls');
  });

  it('a self-signed certificate: tls.untrusted', async () => {
    const sim = await simulator({}, createSelfSigned(names));
    const report = await doctor(sim.url);
    expect(only(report, 'tls.untrusted')).toMatchObject({ status: 'fail', detail: expect.stringContaining('self-signed') as unknown });
    expect(report.checks.find((c) => c.name === 'certificate validity')?.status).toBe('ok');
    skippedAfter(report, 'tls');
  });

  it('a certificate from a CA nobody was told about: tls.untrusted, even when it has also expired', async () => {
    const other = createTestCa();
    const now = Date.now();
    const sim = await simulator({}, other.issue(names, { from: now - days(100), to: now - days(5) }));
    const report = await doctor(sim.url, { ca: ca.cert });
    expect(only(report, 'tls.untrusted').status).toBe('fail');
    expect(only(report, 'tls.cert_expired').status).toBe('fail');
  });

  it('a stapled OCSP response is read and its status reported', async () => {
    const now = Date.now();
    const pair = ca.issue(names, { from: now - days(1), to: now + days(300) });
    const server = createHttpsServer({ ...pair }, (_request, response) => response.writeHead(200).end('{"ok":true}'));
    // An OCSPResponse whose responseStatus is tryLater (RFC 6960 §4.2.1): SEQUENCE { ENUMERATED 3 }.
    server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, reply: (error: null, response: Buffer) => void) => reply(null, Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03])));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    running.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    const report = await doctor(`https://127.0.0.1:${(server.address() as { port: number }).port}`, { ca: ca.cert });
    expect(report.checks.find((c) => c.name === 'OCSP stapling')).toMatchObject({ status: 'ok', detail: 'stapled OCSP response: tryLater (5 bytes)' });
  });

  it('a plain-HTTP port addressed as https: tls.handshake_failed', async () => {
    const sim = await simulator();
    const report = await doctor(sim.url.replace('http:', 'https:'));
    expect(only(report, 'tls.handshake_failed').detail).toContain('does not speak TLS');
    skippedAfter(report, 'tls');
  });
});

describe('network faults', () => {
  it('a closed port: tcp.refused', async () => {
    const report = await doctor(`http://127.0.0.1:${await freePort()}`);
    expect(only(report, 'tcp.refused').status).toBe('fail');
    expect(report.checks[0]).toMatchObject({ layer: 'dns', status: 'ok' });
    skippedAfter(report, 'tcp');
  });

  it('a port whose listener never accepts, its queue full: tcp.timeout', async () => {
    // A process that listens with a backlog of one (0 would mean Node's default) and then blocks
    // its event loop: the kernel queues a connection or two, then drops further SYNs — what a
    // firewall that drops packets looks like from here.
    const listener = spawn(process.execPath, ['-e', `
      const server = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        process.stdout.write(server.address().port + '\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    running.push({ close: async () => void listener.kill('SIGKILL') });
    const port = Number(await new Promise<string>((resolve) => listener.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    const fillers = [1, 2, 3].map(() => connect(port, '127.0.0.1'));
    for (const filler of fillers) filler.on('error', () => undefined);
    running.push({ close: async () => fillers.forEach((filler) => filler.destroy()) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const report = await doctor(`http://127.0.0.1:${port}`, { timeoutMs: 500 });
    expect(only(report, 'tcp.timeout')).toMatchObject({ status: 'fail', detail: `127.0.0.1:${port}: no answer within 500 ms (packets dropped on the way)` });
    skippedAfter(report, 'tcp');
  });

  it('a name that does not resolve: dns.nxdomain', async () => {
    const report = await doctor('https://fapiao-upstream.invalid/');
    expect(only(report, 'dns.nxdomain')).toMatchObject({ status: 'fail', layer: 'dns' });
    skippedAfter(report, 'dns');
  });

  describe('against a DNS server that misbehaves as asked', () => {
    let dns: TestDnsServer;
    beforeAll(async () => {
      dns = await startDnsServer((name) => {
        if (name.startsWith('nx.')) return { rcode: 'nxdomain' };
        if (name.startsWith('servfail.')) return { rcode: 'servfail' };
        if (name.startsWith('silent.')) return { silent: true };
        if (name.startsWith('slow.')) return { answer: '127.0.0.1', delayMs: 300 };
        return { answer: '127.0.0.1' };
      });
      return () => dns.close();
    });

    it('tells NXDOMAIN, SERVFAIL and silence apart', async () => {
      const codes = await Promise.all(
        ['nx', 'servfail', 'silent'].map(async (label) => {
          const report = await doctor(`http://${label}.upstream.test:1`, { dnsServer: dns.address, timeoutMs: 500 });
          return report.checks[0]?.code;
        }),
      );
      expect(codes).toEqual(['dns.nxdomain', 'dns.servfail', 'dns.timeout']);
    });

    it('warns when resolution takes over 200 ms, and goes on with the answer', async () => {
      const sim = await simulator();
      const port = new URL(sim.url).port;
      const report = await doctor(`http://slow.upstream.test:${port}`, { dnsServer: dns.address });
      expect(only(report, 'dns.slow')).toMatchObject({ status: 'warn', detail: expect.stringContaining('A 127.0.0.1') as unknown });
      expect(report.checks.find((c) => c.layer === 'tcp')?.status).toBe('ok');
      expect(report.status).toBe('warn');
    });
  });
});

describe('HTTP, clock and upstream faults from the simulator', () => {
  it('--error-rate 1: http.status_5xx', async () => {
    const sim = await simulator({ errorRate: 1 });
    const report = await doctor(sim.url);
    expect(only(report, 'http.status_5xx')).toMatchObject({ status: 'fail', detail: expect.stringContaining('503') as unknown });
    skippedAfter(report, 'http');
  });

  it('an outage answered 503 with Retry-After: the wait is reported', async () => {
    const sim = await simulator({ outageUntil: Date.now() + 60_000 });
    const report = await doctor(sim.url);
    expect(only(report, 'http.status_5xx').detail).toMatch(/^503 Service Unavailable, Retry-After (59|60) s$/);
  });

  it('--rate-limit exceeded: http.rate_limited with Retry-After', async () => {
    const sim = await simulator({ rateLimit: 1 });
    await fetch(`${sim.url}/api/v1/ping`); // the one call this second allows
    const report = await doctor(sim.url);
    const limited = report.checks.find((c) => c.layer === 'http');
    expect(limited).toMatchObject({ code: 'http.rate_limited', status: 'warn', detail: '429 Too Many Requests, Retry-After 1 s' });
    expect(report.status).toBe('warn');
  });

  it('--latency-ms 3000 with a 1 s budget: http.timeout', async () => {
    const sim = await simulator({ latencyMs: 3000 });
    const report = await doctor(sim.url, { timeoutMs: 1000 });
    expect(only(report, 'http.timeout')).toMatchObject({ status: 'fail', detail: 'connected, but no answer within 1000 ms' });
    skippedAfter(report, 'http');
  });

  it('a slow answer within the budget: http.slow', async () => {
    const sim = await simulator({ latencyMs: 700 });
    const report = await doctor(sim.url, { timeoutMs: 1000 });
    expect(only(report, 'http.slow').status).toBe('warn');
  });

  it('--clock-skew 600: clock.skew fails; 45 s only warns', async () => {
    const far = await simulator({ clockSkewSeconds: 600 });
    const report = await doctor(far.url);
    expect(only(report, 'clock.skew')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the server is 60\d s ahead/) as unknown });
    skippedAfter(report, 'clock');
    const near = await simulator({ clockSkewSeconds: -45 });
    expect(only(await doctor(near.url), 'clock.skew')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^the server is 4\d s behind/) as unknown });
  });

  it('credentials refused by the upstream: upstream.auth_refused', async () => {
    // An upstream whose ping is public but whose API wants credentials the gateway does not have.
    const server: Server = createHttpServer((request, response) => {
      if (request.url === '/api/v1/ping') response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      else response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid token"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    running.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
    const report = await doctor(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    expect(only(report, 'upstream.auth_refused')).toMatchObject({ status: 'fail', layer: 'upstream' });
    expect(report.checks.find((c) => c.layer === 'http')?.status).toBe('ok');
  });
});

describe('the local layer', () => {
  it('a data directory that is a file is not writable', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fapiao-doctor-')), 'data');
    writeFileSync(file, 'not a directory');
    expect(await dataDirFinding(file)).toMatchObject({ status: 'fail', code: 'local.data_dir_not_writable', detail: `${file} is a file, not a directory` });
  });

  it('a data directory not created yet is fine when its parent is writable; disk space is read', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'fapiao-doctor-'));
    expect(await dataDirFinding(join(parent, 'data', 'deeper'))).toMatchObject({ status: 'ok', detail: expect.stringContaining('the gateway can create it') as unknown });
    expect((await diskFinding(join(parent, 'data'))).detail).toMatch(/ free of .* at /);
  });
});

describe('the knowledge base', () => {
  it('has a cause and a remedy in both languages for every code shared/api.md names', () => {
    const apiCodes = ['dns.nxdomain', 'dns.timeout', 'dns.slow', 'tcp.refused', 'tcp.timeout', 'tls.cert_expired', 'tls.cert_expiring', 'tls.hostname_mismatch', 'tls.untrusted',
      'tls.handshake_failed', 'http.status_5xx', 'http.rate_limited', 'http.timeout', 'http.slow', 'clock.skew', 'local.disk_low', 'local.fd_limit_low',
      'local.data_dir_not_writable', 'db.unreachable', 'gateway.circuit_open', 'gateway.backlog_old'];
    for (const code of apiCodes) expect(Object.keys(KNOWLEDGE), code).toContain(code);
    for (const [code, entry] of Object.entries(KNOWLEDGE)) {
      expect(code).toMatch(new RegExp(`^(${LAYERS.join('|')})\\.[a-z0-9_]+$`));
      for (const text of [entry.cause.zh, entry.cause.en, entry.remedy.zh, entry.remedy.en]) expect(text.length, code).toBeGreaterThan(10);
      expect(entry.cause.zh, code).toMatch(/[\u4e00-\u9fff]/);
      expect(remedyFor(code)?.en).toContain(entry.remedy.en);
    }
    expect(remedyFor('no.such_code')).toBeNull();
  });
});

describe('a check that breaks', () => {
  it('is recorded as <layer>.check_failed with its error, and what lies below is skipped', async () => {
    const list = new CheckList();
    await list.run('db', 'migrations', () => {
      throw new Error('permission denied for table kysely_migration');
    });
    await list.run('gateway', 'backlog', () => ({ status: 'ok', detail: 'never run' }));
    expect(list.checks).toMatchObject([
      { layer: 'db', status: 'fail', code: 'db.check_failed', detail: 'permission denied for table kysely_migration', remedy: { en: expect.stringContaining('The check itself broke') as unknown } },
      { layer: 'gateway', status: 'skip', code: null, detail: 'skipped: the db layer failed' },
    ]);
  });
});

describe('the report for people', () => {
  it('shows every check, then each finding with its cause and fix once, and the verdict', async () => {
    const report = await doctor(`http://127.0.0.1:${await freePort()}`);
    const text = renderReport(report, { colour: false });
    expect(text).toContain('tcp       connect port');
    expect(text).toContain('FAIL tcp.refused');
    expect(text).toContain(KNOWLEDGE['tcp.refused'].remedy.zh);
    expect(text).toContain(KNOWLEDGE['tcp.refused'].remedy.en);
    expect(text).toMatch(/Result: FAIL — 1 failed, 0 warnings, 1 ok, 3 skipped\n$/);
    expect(text).not.toContain('\x1b[');
    expect(renderReport(report, { colour: true })).toContain('\x1b[31mFAIL');
  });
});
