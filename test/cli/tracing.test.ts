// One invoice, one trace (issue 25 item 9): with the standard OTEL_* variables a gateway process
// exports OTLP/HTTP to a receiver this test runs, takes in the caller's traceparent, and every span
// of the invoice joins that trace — the API request (@fastify/otel), the commit, each upstream
// attempt, the outgoing HTTP calls (undici; PostgreSQL's queries too when the run is on it), the
// render and the webhook delivery — across a lost answer, a SIGKILL and a restart. The trace id
// reaches the upstream and the webhook receiver in their traceparent headers, and the invoice says it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/store/api-key-store.js';
import { openStore } from '../../src/store/database.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator } from '../../src/simulator/simulator-server.js';
import { closeAfterAll } from '../support/close-after-all.js';
import { DIALECT, freshDatabase } from '../support/database.js';
import { registerSellers, SELLER } from '../support/fixtures.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';
import { startRoundRobinProxy } from '../support/round-robin-proxy.js';

interface ExportedSpan {
  traceId: string;
  name: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string } }>;
  instance: string;
}

const later = closeAfterAll();
const nodes: RunningProcess[] = [];
later(() => Promise.all(nodes.map((node) => node.kill('SIGKILL'))));

/** A server on loopback that records what it is sent; answers 200. */
async function recorder(onRequest: (path: string, headers: IncomingHttpHeaders, body: string) => void): Promise<string> {
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      onRequest(incoming.url ?? '/', incoming.headers, Buffer.concat(chunks).toString());
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      outgoing.end('{}');
    });
  });
  later(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function traceIdIn(headers: IncomingHttpHeaders): string | undefined {
  return /^00-([0-9a-f]{32})-/.exec(String(headers.traceparent ?? ''))?.[1];
}

describe(`tracing with OpenTelemetry, on ${DIALECT}`, () => {
  it('makes one trace of one invoice from the API to the webhook, across a lost answer and a restart', async () => {
    const spans: ExportedSpan[] = [];
    const collector = await recorder((path, _headers, body) => {
      if (path !== '/v1/traces') return;
      const exported = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: ExportedSpan['attributes'] }; scopeSpans: Array<{ spans: Omit<ExportedSpan, 'instance'>[] }> }> };
      for (const resource of exported.resourceSpans) {
        const instance = resource.resource.attributes.find((attribute) => attribute.key === 'service.instance.id')?.value.stringValue ?? '';
        for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ ...span, instance });
      }
    });
    const webhookTraces: string[] = [];
    const receiver = await recorder((_path, headers) => {
      const id = traceIdIn(headers);
      if (id) webhookTraces.push(id);
    });
    const upstreamTraces: string[] = [];
    // The upstream answers every call after 3 s, past the gateway's 1 s limit: the submit is
    // uncertain (the order is taken all the same) and so is every query, until the restart.
    const simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-trace-')), port: 0, host: '127.0.0.1', dedup: true, faults: { ...NO_FAULTS, latencyMs: 3000 } });
    later(() => simulator.close());
    const proxy = await startRoundRobinProxy([simulator.url], {
      healthPath: null,
      seen: (_path, headers) => {
        const id = traceIdIn(headers);
        if (id) upstreamTraces.push(id);
      },
    });

    later(() => proxy.close());
    const database = await freshDatabase();
    later(() => database.drop());
    const setup = await openStore(database.location);
    await registerSellers(setup.db);
    const { key } = await createApiKey(setup.db, { sellers: [SELLER], scopes: ['issue', 'read', 'admin'], expiresAt: null }, Date.now());
    await setup.close();
    const storeArgs = database.location.kind === 'sqlite' ? ['--db', database.location.file] : [];
    const env = (instance: string) => ({
      ...database.env,
      FAPIAO_DATA_DIR: database.dataDir,
      FAPIAO_RENDER_THREADS: '1',
      FAPIAO_WEBHOOK_ALLOW_PRIVATE: '1',
      FAPIAO_RESPONSE_TIMEOUT_MS: '1000',
      FAPIAO_CONNECT_TIMEOUT_MS: '1000',
      FAPIAO_LEASE_MS: '4000',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'fapiao-test',
      OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
    });
    const args = ['serve', '--port', '0', '--channel', `sim=${proxy.url}`, ...storeArgs];
    const first = await startFapiao(args, env('node-a'));
    nodes.push(first);

    const subscribed = await request(`${first.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver}/hook`, events: ['invoice.issued'] }),
    });
    expect(subscribed.statusCode).toBe(201);
    await subscribed.body.dump();

    const traceId = 'f'.repeat(8) + '0123456789abcdef0123456789ab'.slice(0, 24);
    const accepted = await request(`${first.url}/v1/invoices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'traced-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify(validRequest({ orderNo: 'TRACED-1' })),
    });
    const { id } = (await accepted.body.json()) as { id: string };
    expect(accepted.statusCode).toBe(202);

    // No answer in time: the invoice is uncertain. Its spans so far are exported (1 s batches); then the node dies.
    await eventually(async () => ((await invoiceOf(first.url, key, id)).stage === 'uncertain' ? true : undefined), 20_000, async () => `never uncertain: ${JSON.stringify(await invoiceOf(first.url, key, id))}\n${first.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await first.kill('SIGKILL');
    simulator.setFaults({ latencyMs: 0 });
    const second = await startFapiao(args, env('node-b'));
    nodes.push(second);
    const issued = await eventually(async () => {
      const invoice = await invoiceOf(second.url, key, id);
      return invoice.status === 'issued' ? invoice : undefined;
    }, 30_000, () => 'not issued after the restart');
    expect(issued.traceId).toBe(traceId);
    await eventually(async () => (webhookTraces.length > 0 ? true : undefined), 20_000, () => 'no webhook arrived');
    // The second node's spans go out on its graceful stop.
    await second.kill('SIGTERM');

    const ours = spans.filter((span) => span.traceId === traceId);
    const names = ours.map((span) => span.name);
    const attempts = ours.filter((span) => span.name.startsWith('fapiao.attempt'));
    expect(names.some((name) => /POST/.test(name)), names.join(', ')).toBe(true);
    expect(names).toContain('fapiao.commit');
    expect(names).toContain('fapiao.documents.render');
    expect(names).toContain('fapiao.webhook.deliver');
    // Attempts from both processes: the first (whose answer was lost) and those after the restart.
    expect(new Set(attempts.map((span) => span.instance))).toEqual(new Set(['node-a', 'node-b']));
    // Outgoing HTTP (undici) to the upstream, in the trace; PostgreSQL's queries when on it.
    expect(ours.some((span) => span.attributes.some((attribute) => attribute.key === 'http.request.method')), names.join(', ')).toBe(true);
    if (DIALECT === 'postgres') expect(ours.some((span) => span.attributes.some((attribute) => attribute.key === 'db.system' || attribute.key === 'db.system.name'))).toBe(true);
    // The trace went on to the upstream and to the webhook receiver.
    expect(upstreamTraces).toContain(traceId);
    expect(webhookTraces).toContain(traceId);
  });
});

async function invoiceOf(url: string, key: string, id: string): Promise<Record<string, unknown>> {
  const response = await request(`${url}/v1/invoices/${id}`, { headers: { authorization: `Bearer ${key}` } });
  return (await response.body.json()) as Record<string, unknown>;
}
