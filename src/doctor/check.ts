/**
 * What `fapiao doctor` reports (shared/api.md, "fapiao doctor --json"): one check per thing looked
 * at, grouped by layer, and a report whose status is the worst of its checks.
 */

export const LAYERS = ['local', 'db', 'dns', 'tcp', 'tls', 'http', 'clock', 'upstream', 'gateway'] as const;
export type Layer = (typeof LAYERS)[number];

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Remedy {
  readonly zh: string;
  readonly en: string;
}

export interface Check {
  readonly layer: Layer;
  readonly name: string;
  readonly status: CheckStatus;
  /** A stable finding code (docs/doctor.md) when something is wrong; null when all is well. */
  readonly code: string | null;
  readonly detail: string;
  readonly durationMs: number;
  /** The likely cause and the fix, from the knowledge base; null without a code. */
  readonly remedy: Remedy | null;
  /** The configured channel the check is about, when a report covers several. */
  readonly channel?: string;
}

export interface DoctorReport {
  readonly target: string;
  readonly status: Exclude<CheckStatus, 'skip'>;
  readonly checks: readonly Check[];
}

/** What one check function found; the runner adds the layer, name, timing and remedy. */
export interface Finding {
  readonly status: Exclude<CheckStatus, 'skip'>;
  readonly detail: string;
  readonly code?: string;
}

export const ok = (detail: string): Finding => ({ status: 'ok', detail });
export const warn = (code: string, detail: string): Finding => ({ status: 'warn', code, detail });
export const fail = (code: string, detail: string): Finding => ({ status: 'fail', code, detail });

const SEVERITY = { skip: 0, ok: 0, warn: 1, fail: 2 } as const;

/** The worst status among the checks: any failure fails the report, else any warning warns it. */
export function overallStatus(checks: readonly Check[]): DoctorReport['status'] {
  const worst = Math.max(0, ...checks.map((check) => SEVERITY[check.status]));
  return worst === 2 ? 'fail' : worst === 1 ? 'warn' : 'ok';
}

/** The command's exit code: 0 all well, 1 warnings, 2 failures. */
export function exitCodeOf(report: DoctorReport): 0 | 1 | 2 {
  return SEVERITY[report.status];
}
