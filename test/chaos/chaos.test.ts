// Chaos: 300 invoices posted with concurrency to gateway processes in front of a simulator that
// does not deduplicate and fails often (--error-rate 0.1 --reset-rate 0.05 --drop-response-rate
// 0.1). Gateways are killed with SIGKILL twice mid-run and restarted; clients retry with the same
// idempotency key until they get a 2xx. Afterwards every accepted invoice must be issued with the
// number in the simulator's ledger, and the ledger must hold exactly one invoice per order.
// SQLite: one gateway process. PostgreSQL: two gateway processes sharing the database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECT, type TestDatabase } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { freePort } from '../support/ports.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';
import { listInvoices, postUntilAccepted } from './chaos-clients.js';

const ORDERS = 300;
const CLIENTS = 24;
const KILL_AT = [100, 200];
const GATEWAYS = DIALECT === 'postgres' ? 2 : 1;

/** Small timeouts so that the whole run, kills included, takes well under a minute. */
const FAST_ENV = {
  FAPIAO_LEASE_MS: '4000',
  FAPIAO_CONNECT_TIMEOUT_MS: '500',
  FAPIAO_RESPONSE_TIMEOUT_MS: '1500',
  FAPIAO_BACKOFF_BASE_MS: '50',
  FAPIAO_BACKOFF_CAP_MS: '500',
  FAPIAO_BREAKER_HALF_OPEN_MS: '300',
  FAPIAO_POLL_INTERVAL_MS: '50',
  FAPIAO_POLL_AFTER_MS: '50',
};

const client = new Agent({ headersTimeout: 10_000, bodyTimeout: 10_000, connect: { timeout: 1000 } });
let database: TestDatabase;
afterAll(async () => {
  await client.close();
  await database?.drop();
});

describe(`chaos on ${DIALECT}: SIGKILLed gateways, a failing upstream without dedup`, () => {
  it(
    'issues every accepted invoice exactly once, with the ledger\'s number',
    async () => {
      const prepared = await databaseWithKey();
      database = prepared.database;
      const key = prepared.key;

      const simulator = await startFapiao([
        'simulator', '--port', '0', '--data', mkdtempSync(join(tmpdir(), 'fapiao-chaos-sim-')),
        '--no-dedup', '--error-rate', '0.1', '--reset-rate', '0.05', '--drop-response-rate', '0.1',
      ]);
      const ports = await Promise.all(Array.from({ length: GATEWAYS }, () => freePort()));
      const env = { ...FAST_ENV, ...database.env };
      const startGatewayProcess = (port: number) =>
        startFapiao(['serve', '--port', String(port), '--channel', `sim=${simulator.url}`, '--db', join(database.dataDir, 'fapiao.db')], env);
      const gateways: Array<RunningProcess | undefined> = await Promise.all(ports.map(startGatewayProcess));
      const urls = ports.map((port) => `http://127.0.0.1:${port}`);

      // Clients: each order is posted until a 2xx comes back, always with the same key.
      const accepted = new Map<string, string>();
      let nextOrder = 0;
      let kills = 0;
      let turn = 0;
      const killAndRestart = async (index: number) => {
        const victim = gateways[index]!;
        gateways[index] = undefined;
        await victim.kill('SIGKILL');
        kills++;
        gateways[index] = await startGatewayProcess(ports[index]!);
      };
      const restarts: Array<Promise<void>> = [];
      const post = (orderNo: string) => postUntilAccepted(() => urls[turn++ % urls.length]!, key, orderNo, client);
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (nextOrder < ORDERS) {
            const orderNo = `CHAOS-${String(nextOrder++).padStart(4, '0')}`;
            accepted.set(orderNo, await post(orderNo));
            const killIndex = KILL_AT.indexOf(accepted.size);
            if (killIndex >= 0) restarts.push(killAndRestart(killIndex % GATEWAYS));
          }
        }),
      );
      await Promise.all(restarts);
      expect(kills).toBe(2);
      expect(accepted.size).toBe(ORDERS);

      // Every invoice reaches a final state.
      const readUrl = () => urls[gateways.findIndex((g) => g !== undefined)]!;
      const list = (query: string) => listInvoices(readUrl(), key, query, client);
      await eventually(async () => ((await list('&status=pending')).length === 0 ? true : undefined), 90_000, async () => {
        const pending = await list('&status=pending');
        return `${pending.length} still pending, e.g. ${JSON.stringify(pending.slice(0, 3))}`;
      });

      const invoices = await list('');
      const ledgerResponse = await request(`${simulator.url}/_admin/ledger`, { dispatcher: client });
      const ledger = (await ledgerResponse.body.json()) as Array<{ serialNo: string; number: string; orderNo: string }>;

      expect(invoices).toHaveLength(ORDERS);
      expect(new Set(invoices.map((invoice) => invoice.id))).toEqual(new Set(accepted.values()));
      expect(invoices.filter((invoice) => invoice.status !== 'issued')).toEqual([]);
      const perOrder = new Map<string, number>();
      for (const entry of ledger) perOrder.set(entry.orderNo, (perOrder.get(entry.orderNo) ?? 0) + 1);
      expect([...perOrder.entries()].filter(([, count]) => count !== 1)).toEqual([]);
      expect(ledger).toHaveLength(ORDERS);
      const bySerial = new Map(ledger.map((entry) => [entry.serialNo, entry.number]));
      expect(invoices.filter((invoice) => bySerial.get(invoice.serialNo) !== invoice.number)).toEqual([]);

      await Promise.all(gateways.filter((gateway) => gateway !== undefined).map((gateway) => gateway.kill('SIGTERM')));
      await simulator.kill();
    },
    180_000,
  );
});
