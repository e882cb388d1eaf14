// A store with many invoices, written straight into SQLite (not through the API): a seller's
// history of `count` invoices over the last 90 days — mostly issued, some rejected or failed, the
// newest `pending` still waiting — with buyers, totals, numbers and JSON of the sizes real ones
// have, and an idempotency record each. One transaction, statements prepared once: about a
// million rows in well under a minute. `node dist-bench/bench/seed-invoices.js FILE COUNT [PENDING]`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { computedInvoiceJson } from '../src/domain/invoice-json.js';
import { previewInvoice } from '../src/domain/preview-invoice.js';
import { openStore } from '../src/store/database.js';
import { newInvoiceId, newSerialNo } from '../src/store/ids.js';
import { pendingInvoiceRow } from '../src/store/invoice-store.js';
import { saveSeller } from '../src/store/seller-store.js';
import { createApiKey } from '../src/store/api-key-store.js';

const ROOT = join(import.meta.dirname, '../..');
export const SEED_SELLER = '91330106MA2B0Y5R34';
const DAY = 86_400_000;

const CITIES = ['杭州', '上海', '北京', '深圳', '广州', '成都', '武汉', '南京', '苏州', '西安', '宁波', '厦门', '青岛', '长沙', '郑州', '合肥'];
const WORDS = ['星辰', '远航', '恒信', '瑞丰', '博达', '华盛', '宏图', '金桥', '天成', '嘉禾', '东方', '智联', '云帆', '鼎盛', '锦程', '同创', '海纳', '百川', '新元', '卓越'];
const TRADES = ['科技', '贸易', '物流', '建设', '餐饮', '信息技术', '文化传媒', '医疗器械', '电子商务', '工程咨询'];

/** The buyer of invoice `n`: 3,200 distinct companies, a few of them far more often than the rest. */
export function seedBuyer(n: number): { name: string; taxId: string } {
  const k = n % 7 === 0 ? n % 5 : (n * 7919) % 3200;
  const name = `${CITIES[k % 16]}${WORDS[Math.floor(k / 16) % 20]}${TRADES[Math.floor(k / 320) % 10]}有限公司`;
  return { name, taxId: `91330100MA${String(k).padStart(7, '0')}X` };
}

export const seedNumber = (n: number) => `2633200000${String(n).padStart(10, '0')}`;
export const seedTotal = (n: number) => `${(1 + ((n * 104729) % 2_000_000) / 100).toFixed(2)}`;

export interface Seeded {
  readonly key: string;
  /** When the newest invoice was made; the oldest is 90 days before. */
  readonly newestAt: number;
  readonly seconds: number;
}

/** Migrates `file`, registers the seller and a key, and writes `count` invoices, the newest `pending` of them pending. */
export async function seedInvoices(file: string, count: number, pending: number, now = Date.now()): Promise<Seeded> {
  const store = await openStore({ kind: 'sqlite', file });
  await saveSeller(store.db, { taxId: SEED_SELLER, name: '演示科技（杭州）有限公司', sandbox: false }, now);
  const { key } = await createApiKey(store.db, { sellers: [SEED_SELLER], scopes: ['issue', 'read'], expiresAt: null }, now);
  await store.close();

  const example = JSON.parse(readFileSync(join(ROOT, 'examples/invoice.json'), 'utf8')) as Record<string, unknown>;
  const preview = previewInvoice(example);
  if (!preview.ok) throw new Error('the example invoice is invalid');
  const computed = JSON.stringify({ ...computedInvoiceJson(preview.invoice), seller: { taxId: SEED_SELLER, name: '演示科技（杭州）有限公司' } });
  const request = JSON.stringify(example);

  const started = performance.now();
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const first = pendingInvoiceRow({ id: '', serialNo: '', sellerTaxId: '', orderNo: '', buyerTaxId: null, buyerName: '', type: 'normal', total: '0.00', requestJson: '', computedJson: '', now: 0, giveUpAt: 0 });
  const columns = Object.keys(first);
  const insertInvoice = sqlite.prepare(`insert into invoices (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`);
  const insertKey = sqlite.prepare('insert into idempotency_keys (seller_tax_id, key, request_hash, invoice_id, created_at, expires_at) values (?, ?, ?, ?, ?, ?)');
  const write = sqlite.transaction(() => {
    for (let n = 0; n < count; n++) {
      const at = now - Math.round(((count - n) / count) * 90 * DAY);
      const buyer = seedBuyer(n);
      const stillPending = n >= count - pending;
      const row = pendingInvoiceRow({
        id: newInvoiceId(at), serialNo: newSerialNo(at), sellerTaxId: SEED_SELLER, orderNo: `SEED-${n}`, buyerTaxId: buyer.taxId, buyerName: buyer.name,
        // The waiting ones are still in time: a dispatcher sends them rather than giving them up.
        type: 'normal', total: seedTotal(n), requestJson: request, computedJson: computed, now: at, giveUpAt: stillPending ? now + 3 * DAY : at + DAY,
      });
      const outcome = stillPending ? 'pending' : n % 97 === 0 ? 'rejected' : n % 89 === 0 ? 'failed' : 'issued';
      insertInvoice.run({
        ...row,
        ...(outcome !== 'pending' && { status: outcome, stage: null, channel: 'sim', attempts: 1, updated_at: at + 2000 }),
        ...(outcome === 'issued' && { number: seedNumber(n), issued_at: at + 2000, simulated: 1 }),
        ...(outcome === 'rejected' && { last_error_code: 'upstream_rejected', last_error_message: '购买方纳税人识别号不存在', last_error_at: at + 2000 }),
        ...(outcome === 'failed' && { last_error_code: 'gave_up', last_error_message: 'not issued in time', last_error_at: at + 2000 }),
      });
      insertKey.run(SEED_SELLER, `seed-${n}`, 'seed', row.id, at, at + 7 * DAY);
    }
  });
  write();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  return { key, newestAt: now, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const [file, count, pending] = process.argv.slice(2);
  if (!file || !count) throw new Error('usage: seed-invoices FILE COUNT [PENDING]');
  const seeded = await seedInvoices(file, Number(count), Number(pending ?? 0));
  console.log(`seeded ${count} invoices in ${seeded.seconds.toFixed(1)} s (${(Number(count) / seeded.seconds).toFixed(0)}/s); API key ${seeded.key}`);
}
