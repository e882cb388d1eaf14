// The doctor's whole run against a healthy upstream, as an operator runs it (a new process each
// time), against the same process doing nothing but start and print its version: the difference
// is what the checks cost. The target is under 2 s for the whole run.
import { execFile } from 'node:child_process';

export interface DoctorBench {
  /** Median wall time of `fapiao doctor URL --json`, ms. */
  readonly doctorMs: number;
  /** Median wall time of `fapiao --version`, ms. */
  readonly baselineMs: number;
  /** Median of the checks' own durations, summed per run, ms. */
  readonly checksMs: number;
}

function timed(bin: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], (error, stdout) => (error ? reject(new Error(`fapiao ${args.join(' ')} failed`, { cause: error })) : resolve({ ms: performance.now() - started, stdout })));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function doctorBench(bin: string, upstreamUrl: string, runs: number): Promise<DoctorBench> {
  const doctor: number[] = [];
  const baseline: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push((await timed(bin, ['--version'])).ms);
    const run = await timed(bin, ['doctor', upstreamUrl, '--json']);
    const report = JSON.parse(run.stdout) as { status: string; checks: { durationMs: number }[] };
    if (report.status !== 'ok') throw new Error(`the doctor found the healthy simulator ${report.status}`);
    doctor.push(run.ms);
    checks.push(report.checks.reduce((sum, check) => sum + check.durationMs, 0));
  }
  return { doctorMs: median(doctor), baselineMs: median(baseline), checksMs: median(checks) };
}
