// The `fapiao doctor` command as operators run it: real simulator processes started with each
// fault flag, the doctor as a child process, its exit code and its JSON exactly as api.md shows.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFapiao, type RunningProcess } from '../support/processes.js';
import { HANG_GUARD_MS } from '../support/hang-guard.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function doctor(args: string[], options: { env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'doctor', ...args],
      {
        env: { ...process.env, FAPIAO_CHANNELS: '', DATABASE_URL: '', NO_COLOR: '1', ...options.env },
        timeout: HANG_GUARD_MS,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface JsonReport {
  target: string;
  status: string;
  checks: { layer: string; name: string; status: string; code: string | null; detail: string; durationMs: number; remedy: { zh: string; en: string } | null }[];
}

const json = (run: Run) => JSON.parse(run.stdout) as JsonReport;
const codes = (run: Run) => json(run).checks.flatMap((check) => (check.code ? [check.code] : []));

function simulator(...flags: string[]): Promise<RunningProcess> {
  return startFapiao(['simulator', '--port', '0', '--data', mkdtempSync(join(tmpdir(), 'fapiao-doctor-sim-')), ...flags]);
}

describe('fapiao doctor', () => {
  const sims: Record<string, RunningProcess> = {};
  beforeAll(async () => {
    const started = await Promise.all([
      simulator(),
      simulator('--error-rate', '1'),
      simulator('--rate-limit', '1'),
      simulator('--latency-ms', '3000'),
      simulator('--clock-skew', '600'),
    ]);
    [sims.healthy, sims.failing, sims.limited, sims.slow, sims.skewed] = started;
    return () => Promise.all(started.map((sim) => sim.kill())).then(() => undefined);
  });

  it('a healthy simulator: exit 0, every layer ok, JSON in the shape of api.md', async () => {
    const run = await doctor([sims.healthy!.url, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = json(run);
    expect(Object.keys(report)).toEqual(['target', 'status', 'checks']);
    expect(report).toMatchObject({ target: sims.healthy!.url, status: 'ok' });
    expect(report.checks.map((c) => c.layer)).toEqual(['dns', 'tcp', 'http', 'clock', 'upstream']);
    for (const check of report.checks) {
      expect(Object.keys(check)).toEqual(['layer', 'name', 'status', 'code', 'detail', 'durationMs', 'remedy']);
      expect(check).toMatchObject({ status: 'ok', code: null, remedy: null });
      expect(check.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('--error-rate 1: http.status_5xx, exit 2', async () => {
    const run = await doctor([sims.failing!.url, '--json']);
    expect(run.code).toBe(2);
    expect(codes(run)).toEqual(['http.status_5xx']);
    const failed = json(run).checks.find((c) => c.code === 'http.status_5xx');
    expect(failed?.remedy?.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(failed?.remedy?.en).toContain('Retry-After');
  });

  it('--rate-limit exceeded: http.rate_limited, exit 1', async () => {
    await fetch(`${sims.limited!.url}/api/v1/ping`); // spends this second's one call
    const run = await doctor([sims.limited!.url, '--json']);
    expect(run.code).toBe(1);
    expect(codes(run)).toContain('http.rate_limited');
    expect(new Set(codes(run))).toEqual(new Set(['http.rate_limited']));
  });

  it('--latency-ms 3000 with a 1 s budget: http.timeout, exit 2', async () => {
    const run = await doctor([sims.slow!.url, '--json', '--timeout', '1000']);
    expect(run.code).toBe(2);
    expect(codes(run)).toEqual(['http.timeout']);
  });

  it('--clock-skew 600: clock.skew, exit 2', async () => {
    const run = await doctor([sims.skewed!.url, '--json']);
    expect(run.code).toBe(2);
    expect(codes(run)).toEqual(['clock.skew']);
  });

  it('for people: a table, the cause and fix in both languages, the verdict', async () => {
    const run = await doctor([sims.failing!.url]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^fapiao doctor — http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/http\s+GET \/api\/v1\/ping at 127\.0\.0\.1:\d+\s+FAIL\s+[\d.]+ ms\s+503 Service Unavailable/);
    expect(run.stdout).toContain('查看服务商/税务平台的公告');
    expect(run.stdout).toContain("Check the provider's or platform's announcements");
    expect(run.stdout).toMatch(/Result: FAIL — 1 failed, 0 warnings, 2 ok, 2 skipped\n$/);
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('--watch repeats, one JSON report per line, and stops after --times', async () => {
    const run = await doctor([sims.healthy!.url, '--json', '--watch', '0.2', '--times', '2']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect((JSON.parse(line) as JsonReport).status).toBe('ok');
  });

  it('a data directory the gateway user cannot write to: local.data_dir_not_writable, exit 2', async (ctx) => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'fapiao-doctor-perm-')), 'data');
    mkdirSync(dataDir, { mode: 0o555 });
    chmodSync(dataDir, 0o555);
    // Root writes through any mode bits, so as root the directory is a read-only mount instead.
    // (Running the doctor as another user fails wherever the checkout itself is private to its
    // owner, as in a mktemp -d clone.)
    const asRoot = process.getuid?.() === 0;
    const mounted = asRoot && spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dataDir]).status === 0;
    try {
      // Root without the right to mount cannot make a directory it may not write: said so, not passed.
      if (asRoot && !mounted) ctx.skip();
      const run = await doctor(['--data-dir', dataDir, '--gateway', 'http://127.0.0.1:9', '--json']);
      expect(run.code, run.stderr).toBe(2);
      const check = json(run).checks.find((c) => c.code === 'local.data_dir_not_writable');
      const reason = mounted ? 'EROFS: read-only file system' : 'EACCES: permission denied';
      expect(check).toMatchObject({ layer: 'local', status: 'fail', detail: expect.stringContaining(reason) as unknown });
      expect(check?.remedy?.en).toContain('chown');
    } finally {
      if (mounted) spawnSync('umount', [dataDir]);
    }
  });

  it('--channel NAME checks a channel of FAPIAO_CHANNELS, with this installation around it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fapiao-doctor-channel-'));
    const env = { FAPIAO_CHANNELS: `broken=${sims.failing!.url}, sim=${sims.healthy!.url}` };
    const run = await doctor(['--channel', 'sim', '--data-dir', dataDir, '--gateway', 'http://127.0.0.1:9', '--json'], { env });
    const report = json(run);
    expect(report.target).toBe(`channel sim (${sims.healthy!.url})`);
    expect([...new Set(report.checks.map((c) => c.layer))]).toEqual(['local', 'db', 'dns', 'tcp', 'http', 'clock', 'upstream', 'gateway']);
    for (const check of report.checks.filter((c) => ['dns', 'tcp', 'http', 'clock', 'upstream'].includes(c.layer))) expect(check.status).toBe('ok');
    // No gateway has ever run here: no database yet, and none answering.
    expect(codes(run)).toEqual(expect.arrayContaining(['db.unreachable', 'gateway.unreachable']));
    expect(run.code).toBe(2);
  });

  it('refuses what it cannot check, with exit 2 and a message', async () => {
    const badEnv = await doctor([], { env: { FAPIAO_CHANNELS: 'nuonuo' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('FAPIAO_CHANNELS: "nuonuo": write NAME=URL');
    const unknown = await doctor(['--channel', 'nuonuo']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--channel nuonuo: no such channel');
    for (const [args, message] of [
      [['http://127.0.0.1:1', '--timeout', 'soon'], '--timeout soon: expected a positive number'],
      [['http://127.0.0.1:1', '--dns-server', 'my resolver'], '--dns-server my resolver: write an IP address'],
      [['http://127.0.0.1:1', '--ca', BIN], `--ca ${BIN}: not a PEM certificate`],
      [['http://127.0.0.1:1', '--watch', '0'], '--watch 0: expected a positive number'],
    ] as const) {
      const refused = await doctor([...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stdout).toBe('');
    }
    const notUrl = await doctor(['ftp://example.com']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('only http:// and https://');
  });
});
