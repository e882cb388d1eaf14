// A rolling restart under load (issue 25 item 5): three gateway processes on one PostgreSQL behind a
// round-robin load balancer, 100 invoices a second for the whole run, each process stopped with
// SIGTERM and started again in turn, as Kubernetes rolls a Deployment. Nothing may fail but 503s
// with Retry-After (retried by the client with the same key); nothing is lost or issued twice (the
// upstream does not deduplicate); accepted requests stay under a second at p99.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator } from '../../src/simulator/simulator-server.js';
import { closeAfterAll } from '../support/close-after-all.js';
import { DIALECT } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';
import { startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { percentile, startSteadyLoad } from '../support/steady-load.js';
import { listInvoices, pendingSummary } from './chaos-clients.js';

const RATE = 100;
const later = closeAfterAll();
const nodes: RunningProcess[] = [];

async function readyAt(url: string): Promise<void> {
  await eventually(
    async () => {
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    20_000,
    () => `${url} never became ready`,
  );
}

describe.skipIf(DIALECT !== 'postgres')('a rolling restart of three gateways under load, on PostgreSQL', () => {
  it('loses nothing, issues nothing twice, fails no request but 503s with Retry-After, and keeps p99 under a second', async () => {
    const prepared = await databaseWithKey();
    later(() => prepared.database.drop());
    const simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-roll-')), port: 0, host: '127.0.0.1', dedup: false, faults: { ...NO_FAULTS, latencyMs: 20, jitterMs: 30 } });
    const env = { ...prepared.database.env, FAPIAO_DATA_DIR: prepared.database.dataDir, FAPIAO_RENDER_THREADS: '0', FAPIAO_DRAIN_SECONDS: '2', FAPIAO_SHUTDOWN_SECONDS: '10' };
    const args = ['serve', '--port', '0', '--channel', `sim=${simulator.url}`];
    later(() => simulator.close());
    later(() => Promise.all(nodes.map((node) => node.kill('SIGKILL'))));
    nodes.push(...(await Promise.all([0, 1, 2].map(() => startFapiao(args, env)))));
    await Promise.all(nodes.map((node) => readyAt(node.url)));
    const proxy = await startRoundRobinProxy(nodes.map((node) => node.url));
    later(() => proxy.close());

    // The cluster's own first seconds are not the restart: three processes that have just started,
    // and the client's and the balancer's connections being opened, gave the slowest hundredth of a
    // run here (all of it sent in its first two seconds). Warmed first — its orders are checked like
    // the rest, its latencies not counted; each restarted node is measured from its first request.
    const warming = startSteadyLoad(proxy.url, prepared.key, RATE, `WARM-${Date.now()}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const warmed = await warming.stop();
    expect(warmed.failures).toEqual([]);

    const started = Date.now();
    // Where the run is, for a failure's message: what it waited on last.
    const phases: string[] = [];
    const phase = (what: string) => {
      phases.push(`+${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
      console.log(`rolling restart: ${phases.at(-1)!}`);
    };
    const load = startSteadyLoad(proxy.url, prepared.key, RATE, `ROLL-${started}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const stops: { node: number; exitCode: number | null; stopSeconds: number }[] = [];
    for (let index = 0; index < nodes.length; index++) {
      const node = nodes[index]!;
      const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
      const stoppedAt = Date.now();
      phase(`SIGTERM node ${index}`);
      node.child.kill('SIGTERM');
      const exitCode = await exited;
      phase(`node ${index} exited ${exitCode}`);
      stops.push({ node: index, exitCode, stopSeconds: (Date.now() - stoppedAt) / 1000 });
      const replacement = await startFapiao(args, env);
      nodes[index] = replacement;
      phase(`node ${index} started again`);
      await readyAt(replacement.url);
      phase(`node ${index} ready`);
      proxy.setBackend(index, replacement.url);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    phase('stopping the load');
    const report = await load.stop();
    phase('load stopped');
    const seconds = (Date.now() - started) / 1000;

    const client = new Agent();
    const url = nodes[0]!.url;
    await eventually(
      async () => ((await listInvoices(url, prepared.key, '&status=pending', client)).length === 0 ? true : undefined),
      60_000,
      async () => {
        const pending = await listInvoices(url, prepared.key, '&status=pending', client);
        return `${pending.length} invoices still pending: ${pendingSummary(pending)}; first ${JSON.stringify((await (await fetch(`${url}/v1/invoices/${pending[0]?.id ?? ''}`, { headers: { authorization: `Bearer ${prepared.key}` } })).json())).slice(0, 1500)}\n${phases.join('\n')}`;
      },
    );
    const invoices = await listInvoices(url, prepared.key, '', client);
    await client.close();
    const issuedUpstream = simulator.ledger.issued(Date.now() + 60_000).map((record) => record.serialNo);
    const p99 = percentile(report.latenciesMs, 0.99);
    console.log(
      `rolling restart: ${report.sent} orders in ${seconds.toFixed(0)} s (${RATE}/s), ${report.accepted.size} accepted, ${report.retried503} 503s retried, ${report.failures.length} failed, ` +
        `p50 ${percentile(report.latenciesMs, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; ${invoices.length} invoices, ${issuedUpstream.length} issued upstream, ` +
        `${issuedUpstream.length - new Set(issuedUpstream).size} twice; stops ${stops.map((stop) => `${stop.stopSeconds.toFixed(1)} s (exit ${stop.exitCode})`).join(', ')}`,
    );

    // Where the slowest hundredth fell, by the second of the run it was sent in: beside the phases, what caused it.
    const slowest = [...report.acceptedAt].sort((a, b) => b.answeredAt - b.sentAt - (a.answeredAt - a.sentAt)).slice(0, Math.ceil(report.acceptedAt.length / 100));
    const bySecond = new Map<number, number>();
    for (const one of slowest) bySecond.set(Math.floor((one.sentAt - started) / 1000), (bySecond.get(Math.floor((one.sentAt - started) / 1000)) ?? 0) + 1);
    console.log(`rolling restart: the slowest 1 % sent at ${[...bySecond].sort((a, b) => a[0] - b[0]).map(([second, count]) => `+${second} s ×${count}`).join(', ')}\n${phases.join('\n')}`);
    expect(stops.map((stop) => stop.exitCode)).toEqual([0, 0, 0]);
    expect(report.failures).toEqual([]);
    expect(report.accepted.size).toBe(report.sent);
    expect(p99).toBeLessThan(1000);
    // Nothing lost: every accepted order is an issued invoice; nothing twice upstream.
    expect(invoices.map((invoice) => invoice.status).filter((status) => status !== 'issued')).toEqual([]);
    expect(new Set(invoices.map((invoice) => invoice.id))).toEqual(new Set([...warmed.accepted.values(), ...report.accepted.values()]));
    expect(issuedUpstream.length).toBe(new Set(issuedUpstream).size);
    expect(new Set(issuedUpstream)).toEqual(new Set(invoices.map((invoice) => invoice.serialNo)));
  });
});
