// The bench's child processes: `fapiao` commands (or a bench server) started until they print
// where they listen, stopped with SIGTERM, and all killed if the bench itself fails; and the wait
// for a gateway's backlog to empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';

export const children: ChildProcess[] = [];

export function start(command: string, args: string[], env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [command, ...args], { env: { ...process.env, FAPIAO_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http\S+)/.exec(output);
      if (match) resolve({ url: match[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Waits until the gateway at `url` has no pending invoice (its backlog, as GET /v1/channels says). */
export async function backlogDrained(url: string, key: string): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const answer = await request(`${url}/v1/channels`, { headers: { authorization: `Bearer ${key}` } });
    const channels = (await answer.body.json()) as { data: Array<{ backlog: number }>; unbound: { backlog: number } };
    if (channels.unbound.backlog + channels.data.reduce((sum, channel) => sum + channel.backlog, 0) === 0) return;
  }
}
