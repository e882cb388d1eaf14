// CPU time (user + system) spent by processes during a run, read from /proc: which of the load
// generator, the gateway and PostgreSQL's backends used the machine's cores, and how much per
// request. Linux only; elsewhere every reading is null and the bench prints no CPU column.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function processSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** PostgreSQL's processes on this machine (the server and its backends). */
function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export interface CpuSeconds {
  /** The processes under test (the gateways), or pg-boss's client: this process. */
  readonly subject: number;
  /** The load generator (this process), when it is not the subject. */
  readonly loadGenerator: number;
  readonly postgres: number;
}

/** Starts counting; `stop()` answers the seconds used since, or null where /proc cannot be read. */
export function cpuMeter(subjectPids: readonly number[], loadGeneratorIsSubject: boolean): { stop(): CpuSeconds | null } {
  const read = (): CpuSeconds | null => {
    try {
      const subject = subjectPids.reduce((sum, pid) => sum + processSeconds(pid), 0);
      const postgres = postgresPids().reduce((sum, pid) => {
        try {
          return sum + processSeconds(pid);
        } catch {
          return sum;
        }
      }, 0);
      return { subject, loadGenerator: loadGeneratorIsSubject ? 0 : processSeconds(process.pid), postgres };
    } catch {
      return null;
    }
  };
  const start = read();
  return {
    stop() {
      const end = read();
      if (!start || !end) return null;
      return { subject: end.subject - start.subject, loadGenerator: end.loadGenerator - start.loadGenerator, postgres: end.postgres - start.postgres };
    },
  };
}
