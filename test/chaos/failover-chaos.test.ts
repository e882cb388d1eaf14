// Scale-out with failover (issues 12 and 29): three gateway processes on one PostgreSQL database and
// three channels — the simulator speaking 诺诺 first, the simulator speaking 百望 second, a reference
// simulator that does not deduplicate third — with errors, resets and dropped answers on all. One
// gateway is killed with SIGKILL again and again; 诺诺 is down for 30 s mid-run and 百望 for the first
// 15 s of it. Afterwards no invoice is lost, none is issued twice across the three ledgers, each
// carries the number of the ledger of the channel that issued it, and each channel issued some.
// PostgreSQL only: SQLite takes one gateway process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/store/audit-verify.js';
import { openStore } from '../../src/store/database.js';
import { DIALECT, type TestDatabase } from '../support/database.js';
import { databaseWithKey } from '../support/fixtures.js';
import { freePort } from '../support/ports.js';
import { eventually, startFapiao, type RunningProcess } from '../support/processes.js';
import { listInvoices, postUntilAccepted } from './chaos-clients.js';

const ORDERS = 300;
const CLIENTS = 8;
/** Each client rests this long between its orders, so that posting spans the outage and goes on after it. */
const CLIENT_PAUSE_MS = 1000;
const GATEWAYS = 3;
const OUTAGE_AT = 30;
const OUTAGE_SECONDS = 30;
/** SIGKILL the first gateway this often, this many times. */
const KILL_EVERY_MS = 6000;
const KILLS = 5;
const CREDENTIALS = { appKey: 'CHAOSKEY', appSecret: 'chaos-secret' };
const BAIWANG = { username: 'chaos', password: 'chaos-password', salt: 'chaos-salt' };
/** 百望 is down this long from the start of 诺诺's outage: both are down at once, then 百望 takes over. */
const BAIWANG_OUTAGE_SECONDS = 15;
const FAULTS = ['--error-rate', '0.05', '--reset-rate', '0.05', '--drop-response-rate', '0.05'];

const FAST_ENV = {
  FAPIAO_LEASE_MS: '4000',
  FAPIAO_CONNECT_TIMEOUT_MS: '500',
  FAPIAO_RESPONSE_TIMEOUT_MS: '1500',
  FAPIAO_BACKOFF_BASE_MS: '50',
  FAPIAO_BACKOFF_CAP_MS: '1000',
  FAPIAO_BREAKER_HALF_OPEN_MS: '1000',
  FAPIAO_POLL_INTERVAL_MS: '50',
  FAPIAO_POLL_AFTER_MS: '100',
  FAPIAO_RENDER_THREADS: '0',
  TEST_CHAOS_SECRET: CREDENTIALS.appSecret,
  TEST_CHAOS_PASSWORD: BAIWANG.password,
};

interface LedgerEntry {
  serialNo: string;
  number: string;
  orderNo: string;
}

const client = new Agent({ headersTimeout: 10_000, bodyTimeout: 10_000, connect: { timeout: 1000 } });
let database: TestDatabase | undefined;
afterAll(async () => {
  await client.close();
  await database?.drop();
});

async function ledger(url: string): Promise<LedgerEntry[]> {
  const response = await request(`${url}/_admin/ledger`, { dispatcher: client });
  return (await response.body.json()) as LedgerEntry[];
}

describe.skipIf(DIALECT !== 'postgres')('failover chaos on postgres: three gateways, 诺诺 then 百望 then a reference channel', () => {
  it(
    'issues every invoice exactly once across the three ledgers through kills, faults and outages of 诺诺 and 百望',
    async () => {
      const { database: db, key } = await databaseWithKey();
      database = db;

      const dir = mkdtempSync(join(tmpdir(), 'fapiao-failover-chaos-'));
      const nuonuo = await startFapiao(['simulator', '--protocol', 'nuonuo', '--app-key', CREDENTIALS.appKey, '--app-secret', CREDENTIALS.appSecret, '--port', '0', '--data', join(dir, 'nuonuo'), '--processing-ms', '200', ...FAULTS]);
      const baiwang = await startFapiao(['simulator', '--protocol', 'baiwang', '--app-key', CREDENTIALS.appKey, '--app-secret', CREDENTIALS.appSecret, '--username', BAIWANG.username, '--password', BAIWANG.password, '--salt', BAIWANG.salt, '--port', '0', '--data', join(dir, 'baiwang'), '--processing-ms', '200', ...FAULTS]);
      const backup = await startFapiao(['simulator', '--port', '0', '--data', join(dir, 'backup'), '--no-dedup', ...FAULTS]);
      const config = join(dir, 'fapiao.json');
      writeFileSync(
        config,
        JSON.stringify({
          channels: [
            // A short settle window: an order 诺诺 still does not know 2 s after the send never reached it.
            { name: 'nuonuo', protocol: 'nuonuo', url: `${nuonuo.url}/open/v1/services`, tokenUrl: `${nuonuo.url}/accessToken`, appKey: CREDENTIALS.appKey, appSecret: { env: 'TEST_CHAOS_SECRET' }, settleWindowSeconds: 2 },
            { name: 'baiwang', protocol: 'baiwang', url: `${baiwang.url}/router/rest`, appKey: CREDENTIALS.appKey, appSecret: { env: 'TEST_CHAOS_SECRET' }, username: BAIWANG.username, password: { env: 'TEST_CHAOS_PASSWORD' }, salt: BAIWANG.salt, settleWindowSeconds: 2 },
            { name: 'backup', protocol: 'reference', url: backup.url },
          ],
        }),
      );
      const ports = await Promise.all(Array.from({ length: GATEWAYS }, () => freePort()));
      const env = { ...FAST_ENV, ...db.env };
      const startGateway = (index: number) => startFapiao(['serve', '--port', String(ports[index]), '--config', config], env);
      const gateways: Array<RunningProcess | undefined> = await Promise.all(ports.map((_port, index) => startGateway(index)));
      const urls = ports.map((port) => `http://127.0.0.1:${port}`);

      // The first gateway is killed with SIGKILL and started again, over and over.
      let kills = 0;
      const killer = (async () => {
        while (kills < KILLS) {
          await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
          const victim = gateways[0]!;
          gateways[0] = undefined;
          await victim.kill('SIGKILL');
          kills++;
          gateways[0] = await startGateway(0);
        }
      })();

      const accepted = new Map<string, string>();
      let outageEnds = Infinity;
      const afterOutage: string[] = [];
      let nextOrder = 0;
      let turn = 0;
      let outageStarted = false;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (nextOrder < ORDERS) {
            const orderNo = `FOC-${String(nextOrder++).padStart(4, '0')}`;
            const id = await postUntilAccepted(() => urls[turn++ % urls.length]!, key, orderNo, client);
            accepted.set(orderNo, id);
            if (Date.now() > outageEnds + 2000) afterOutage.push(id);
            if (accepted.size >= OUTAGE_AT && !outageStarted) {
              outageStarted = true;
              outageEnds = Date.now() + OUTAGE_SECONDS * 1000;
              for (const [url, seconds] of [[nuonuo.url, OUTAGE_SECONDS], [baiwang.url, BAIWANG_OUTAGE_SECONDS]] as const) {
                const answer = await request(`${url}/_admin/faults`, { method: 'PUT', dispatcher: client, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outageSeconds: seconds }) });
                expect(answer.statusCode).toBe(200);
                await answer.body.dump();
              }
            }
            await new Promise((resolve) => setTimeout(resolve, CLIENT_PAUSE_MS));
          }
        }),
      );
      await killer;
      expect(kills).toBe(KILLS);
      expect(accepted.size).toBe(ORDERS);

      const readUrl = () => urls[1]!;
      await eventually(async () => ((await listInvoices(readUrl(), key, '&status=pending', client)).length === 0 ? true : undefined), 120_000, async () => {
        const pending = await listInvoices(readUrl(), key, '&status=pending', client);
        return `${pending.length} still pending, e.g. ${JSON.stringify(pending.slice(0, 3))}`;
      });

      const invoices = await listInvoices(readUrl(), key, '', client);
      const ledgers = { nuonuo: await ledger(nuonuo.url), baiwang: await ledger(baiwang.url), backup: await ledger(backup.url) };
      expect(invoices).toHaveLength(ORDERS);
      expect(new Set(invoices.map((invoice) => invoice.id))).toEqual(new Set(accepted.values()));
      expect(invoices.filter((invoice) => invoice.status !== 'issued')).toEqual([]);
      // Once each across the three upstreams: no serial twice in one ledger or in two, none missing.
      const serials = [...ledgers.nuonuo, ...ledgers.baiwang, ...ledgers.backup].map((entry) => entry.serialNo);
      expect(serials.filter((serial, index) => serials.indexOf(serial) !== index)).toEqual([]);
      expect([...serials].sort()).toEqual(invoices.map((invoice) => invoice.serialNo).sort());
      for (const invoice of invoices) {
        const where = ledgers[invoice.channel as keyof typeof ledgers];
        expect(where?.find((entry) => entry.serialNo === invoice.serialNo)?.number, `${invoice.orderNo} on ${String(invoice.channel)}`).toBe(invoice.number);
      }
      expect(ledgers.baiwang.length).toBeGreaterThan(0);
      expect(ledgers.backup.length).toBeGreaterThan(0);
      // The audit trail the three processes wrote through five SIGKILLs: every chain intact.
      const store = await openStore(db.location);
      const audit = await verifyAuditChain(store.db, store.capabilities);
      await store.close();
      expect(audit).toMatchObject({ ok: true });
      // 诺诺 is first again once it is back: work accepted after the outage goes there.
      const backOnNuonuo = invoices.filter((invoice) => afterOutage.includes(invoice.id) && invoice.channel === 'nuonuo').length;
      expect(afterOutage.length).toBeGreaterThan(0);
      expect(backOnNuonuo).toBeGreaterThan(0);
      console.log(
        `failover chaos: ${ORDERS} invoices, ${kills} SIGKILLs, 诺诺 down ${OUTAGE_SECONDS} s: ${ledgers.nuonuo.length} issued on 诺诺 (${backOnNuonuo} of the ${afterOutage.length} accepted after it was back), ${ledgers.baiwang.length} on 百望, ${ledgers.backup.length} on the backup; 0 lost, 0 twice; audit intact (${audit.entries} entries in ${audit.ok ? audit.chains : '?'} chains)`,
      );

      await Promise.all(gateways.filter((gateway) => gateway !== undefined).map((gateway) => gateway.kill('SIGTERM')));
    },
    300_000,
  );
});
