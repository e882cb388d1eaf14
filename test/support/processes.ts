// Real child processes of the built `fapiao` command: simulators and gateways, each reporting the
// address it listens on, killable with any signal. Every process is killed when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { HANG_GUARD_MS } from './hang-guard.js';

const BIN = join(import.meta.dirname, '../../bin/fapiao');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RunningProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `fapiao ARGS` and resolves once it prints "listening on URL". */
export function startFapiao(args: string[], env: Record<string, string> = {}, timeoutMs = HANG_GUARD_MS): Promise<RunningProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FAPIAO_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fapiao ${args.join(' ')} did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (https?:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          child,
          output: () => output,
          async kill(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill(signal);
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fapiao ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Polls `check` until it returns a value, or fails with `describe()`. `timeoutMs` is what the wait
 * takes on a quiet machine; it is given at least a minute before it fails, so that a machine busy
 * with other work makes the test slower, not red.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, describe: () => string | Promise<string>): Promise<T> {
  const deadline = Date.now() + Math.max(timeoutMs, 60_000);
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`still not so after ${Math.max(timeoutMs, 60_000)} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
