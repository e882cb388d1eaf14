/**
 * The tcp layer: can a connection be opened, and how fast. Refused (something answered "nobody
 * here"), timed out (packets dropped) and unreachable (no route) have different fixes.
 */
import { connect } from 'node:net';
import { fail, ok, type Finding } from './check.js';
import type { ResolvedAddress } from './dns-check.js';

/** Connects to each address in turn; returns the first that accepts, or why none did. */
export async function connectTcp(addresses: readonly ResolvedAddress[], port: number, timeoutMs: number): Promise<{ finding: Finding; address?: ResolvedAddress }> {
  const failures: Finding[] = [];
  for (const address of addresses) {
    const error = await tryConnect(address.address, port, timeoutMs);
    if (error === null) {
      const others = failures.length > 0 ? ` (after ${failures.map((f) => f.detail).join('; ')})` : '';
      return { finding: ok(`connected to ${hostPort(address.address, port)}${others}`), address };
    }
    failures.push(connectFailure(hostPort(address.address, port), error, timeoutMs));
  }
  return { finding: failures[0] ?? fail('tcp.unreachable', 'no address to connect to') };
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string | null) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

function connectFailure(where: string, code: string, timeoutMs: number): Finding {
  if (code === 'ECONNREFUSED') return fail('tcp.refused', `${where}: connection refused (nothing listens on the port, or a firewall rejects)`);
  if (code === 'ETIMEDOUT') return fail('tcp.timeout', `${where}: no answer within ${timeoutMs} ms (packets dropped on the way)`);
  return fail('tcp.unreachable', `${where}: ${code === 'EHOSTUNREACH' ? 'host unreachable' : code === 'ENETUNREACH' ? 'network unreachable' : 'cannot connect'} (${code})`);
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
