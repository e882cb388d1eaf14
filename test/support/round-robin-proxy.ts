// A load balancer as small as a test needs, doing what nginx or a Kubernetes Service does: round
// robin over the backends whose /readyz answered 200 at the last check (every 200 ms), and a
// request whose connection was refused tried on the next backend (nothing was sent, so it is
// safe). Anything a backend answers is passed back as it is: 503s with Retry-After included.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

export interface RoundRobinProxy {
  readonly url: string;
  /** Puts `url` in place of backend `index` (a restarted node listens on a new port). */
  setBackend(index: number, url: string): void;
  /** How many requests found no ready backend (answered 503 by the proxy itself). */
  readonly noBackend: number;
  close(): Promise<void>;
}

const CHECK_EVERY_MS = 200;

export async function startRoundRobinProxy(
  backends: string[],
  options: {
    /** Told of each request's path and headers (what the backend is sent). */
    readonly seen?: (path: string, headers: IncomingMessage['headers']) => void;
    /** The readiness path to check; null: every backend is always ready. @default '/readyz' */
    readonly healthPath?: string | null;
  } = {},
): Promise<RoundRobinProxy> {
  const healthPath = options.healthPath === undefined ? '/readyz' : options.healthPath;
  const urls = [...backends];
  const ready = new Set<string>(urls);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 4000, connect: { timeout: 1000 } });
  let next = 0;
  let noBackend = 0;

  const check = setInterval(() => {
    if (healthPath === null) {
      for (const url of urls) ready.add(url);
      return;
    }
    for (const url of urls) {
      request(`${url}${healthPath}`, { dispatcher: agent, headersTimeout: 1000, bodyTimeout: 1000 }).then(
        async (response) => {
          await response.body.dump();
          if (response.statusCode === 200) ready.add(url);
          else ready.delete(url);
        },
        () => ready.delete(url),
      );
    }
  }, CHECK_EVERY_MS);

  async function forward(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    options.seen?.(incoming.url ?? '/', incoming.headers);
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = { ...incoming.headers };
    delete headers.host;
    delete headers.connection;
    const candidates = urls.filter((url) => ready.has(url));
    for (let tried = 0; tried < candidates.length; tried++) {
      const url = candidates[next++ % candidates.length]!;
      try {
        const response = await request(`${url}${incoming.url ?? '/'}`, {
          method: incoming.method as 'GET',
          headers,
          dispatcher: agent,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
          ...(body.length > 0 && { body }),
        });
        const answer = Buffer.from(await response.body.arrayBuffer());
        const passed = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !['connection', 'keep-alive', 'transfer-encoding'].includes(name)));
        outgoing.writeHead(response.statusCode, passed);
        outgoing.end(answer);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        // Refused before anything was sent: the next backend. Anything later is the client's to retry.
        if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') {
          ready.delete(url);
          continue;
        }
        outgoing.writeHead(502, { 'content-type': 'application/json' });
        outgoing.end(JSON.stringify({ code: 'bad_gateway', detail: String(code ?? error) }));
        return;
      }
    }
    noBackend++;
    outgoing.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    outgoing.end(JSON.stringify({ code: 'no_backend' }));
  }

  const server: Server = createServer((incoming, outgoing) => {
    forward(incoming, outgoing).catch(() => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setBackend(index, url) {
      ready.delete(urls[index]!);
      urls[index] = url;
    },
    get noBackend() {
      return noBackend;
    },
    async close() {
      clearInterval(check);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}
