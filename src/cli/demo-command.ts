/**
 * `fapiao demo` (what `npm start` runs): a gateway on embedded SQLite with the built-in simulator,
 * a registered demo seller and an API key, then one invoice issued end to end so a newcomer sees
 * a real invoice number at once, and the curl commands to issue more.
 */
import { environment } from '../runtime/env.js';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { checkApiKey, createApiKey } from '../store/api-key-store.js';
import { findUser } from '../store/console-users.js';
import { addConsoleUser, resetConsolePassword } from '../access/console-user-admin.js';
import { systemClock } from '../runtime/clock.js';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/database.js';
import { saveSeller } from '../store/seller-store.js';
import { addListenOptions, serveConfig, startServing, stopOnSignal, type ServeOptions } from './serve-command.js';
import { secretBoxFor, withStore } from './store-option.js';

const DEMO_SELLER = {
  taxId: '91330106MA2B0Y5R34',
  name: '演示科技（杭州）有限公司',
  address: '杭州市西湖区文三路 90 号',
  phone: '0571-88880000',
  bankName: '中国工商银行杭州文三路支行',
  bankAccount: '1202021109900088888',
  sandbox: false,
} as const;

/** The demo key, kept in the data directory (mode 600) so every `npm start` prints the same one. */
async function demoKey(dbFile: string | undefined, dataDir: string): Promise<string> {
  const file = join(dataDir, 'demo-api-key.txt');
  const keep = async (store: Store): Promise<string> => {
    await saveSeller(store.db, DEMO_SELLER, Date.now());
    if (existsSync(file)) {
      const saved = readFileSync(file, 'utf8').trim();
      if ((await checkApiKey(store.db, saved, Date.now())).ok) return saved;
    }
    const created = await createApiKey(store.db, { sellers: [DEMO_SELLER.taxId], scopes: ['issue', 'read', 'admin'], expiresAt: null }, Date.now());
    writeFileSync(file, created.key + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    return created.key;
  };
  return withStore(dbFile, keep, 'create');
}

/**
 * The demo console user (admin of the demo seller) and its password, kept beside the demo key so
 * every `npm start` prints the same; made at the first start.
 */
async function demoConsoleUser(dbFile: string | undefined, dataDir: string): Promise<{ username: string; password: string }> {
  const file = join(dataDir, 'demo-console-password.txt');
  const username = 'demo';
  return withStore(dbFile, async (store) => {
    if (existsSync(file) && (await findUser(store.db, username))) return { username, password: readFileSync(file, 'utf8').trim() };
    const password = randomBytes(12).toString('base64url');
    const deps = { db: store.db, capabilities: store.capabilities, clock: systemClock, secrets: secretBoxFor(dbFile) };
    const added = await addConsoleUser(deps, { username, role: 'admin', sellers: [DEMO_SELLER.taxId], password, secondFactor: false, by: 'demo' });
    if (added.kind === 'exists') await resetConsolePassword(deps, username, password, 'demo');
    else if (added.kind !== 'added') throw new Error(`the demo console user could not be added: ${added.kind}`);
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { username, password };
  });
}

async function issueExample(url: string, key: string): Promise<string> {
  const { request } = await import('undici');
  const example = JSON.parse(readFileSync(new URL('../../examples/invoice.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const body = JSON.stringify({ ...example, orderNo: `DEMO-${Date.now()}` });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `demo-${Date.now()}` };
  const accepted = await request(`${url}/v1/invoices`, { method: 'POST', headers, body });
  const invoice = (await accepted.body.json()) as { id: string; status: string };
  for (let i = 0; i < 100; i++) {
    const current = await request(`${url}/v1/invoices/${invoice.id}`, { headers: { authorization: `Bearer ${key}` } });
    const state = (await current.body.json()) as { id: string; status: string; number: string | null; totals: { total: string } };
    if (state.status !== 'pending') return `${state.id} ${state.status} ${state.number ?? ''} (价税合计 ${state.totals.total})`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `${invoice.id} still pending; see GET /v1/invoices/${invoice.id}`;
}

export function registerDemoCommand(program: Command): void {
  addListenOptions(program.command('demo').description('run the gateway with the built-in simulator, a demo seller and key (what npm start runs)')).action(
    async (options: ServeOptions) => {
      const config = serveConfig({ ...options, withSimulator: true });
      // The same database the gateway opens (--db, else FAPIAO_DATA_DIR's, else ./data's).
      const dbFile = config.store.kind === 'sqlite' ? config.store.file : undefined;
      const key = await demoKey(dbFile, config.dataDir);
      const user = await demoConsoleUser(dbFile, config.dataDir);
      // No load balancer watches a demo: Ctrl-C stops it without the drain, unless one is asked for.
      const drainMs = environment.drainGiven ? config.drainMs : 0;
      const gateway = await startServing({ ...config, drainMs, logLevel: environment.logLevelGiven ? config.logLevel : 'warn' });
      stopOnSignal(gateway, config.shutdownMs);
      process.stdout.write(`fapiao gateway listening on ${gateway.url} (channels: ${gateway.channels.map((c) => c.name).join(', ')})\n`);
      const sample = await issueExample(gateway.url, key);
      const root = new URL('../..', import.meta.url).pathname;
      process.stdout.write(
        [
          '',
          'Fapiao Gateway is running (embedded SQLite, built-in simulator as the channel "simulator").',
          `  API:       ${gateway.url}/v1`,
          `  API docs:  ${gateway.url}/docs`,
          `  console:   ${gateway.url}/console   (用户名 ${user.username} / 密码 ${user.password})`,
          `  demo seller: ${DEMO_SELLER.taxId} ${DEMO_SELLER.name}`,
          `  demo API key: ${key}`,
          '',
          `First invoice, issued through the simulator: ${sample}`,
          '',
          'Issue another (change orderNo and the Idempotency-Key to issue a new one):',
          `  curl -s -X POST ${gateway.url}/v1/invoices \\`,
          `    -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
          `    -H 'Idempotency-Key: order-2026-0001' --data @${join(root, 'examples', 'invoice.json')}`,
          'Then read it back (its number appears once issued):',
          `  curl -s ${gateway.url}/v1/invoices/<id> -H 'Authorization: Bearer ${key}'`,
          '',
          'When an upstream cannot be reached, the doctor says why, layer by layer (here, on the simulator):',
          `  FAPIAO_CHANNELS=simulator=${gateway.simulator?.url ?? ''} npx fapiao doctor --gateway ${gateway.url} --data-dir ${config.dataDir}`,
          `  curl -X PUT ${gateway.simulator?.url ?? ''}/_admin/faults --json '{"clockSkewSeconds": 600}'   # then ask again`,
          '',
          'Ctrl-C stops the gateway; invoices and the ledger stay in ./data.',
          '',
        ].join('\n'),
      );
    },
  );
}
