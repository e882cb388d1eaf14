/**
 * The quota findings: each seller's monthly 发票额度 as the gateway's guard sees it (the last
 * reading, what was issued and committed since, the forecast), failing when it runs out within a
 * day at the current pace and warning below a tenth of the month's total.
 */
import { beijingTime } from '../domain/beijing-time.js';
import { QuotaGuard, quotaView, type QuotaSnapshot } from '../invoicing/quota-guard.js';
import type { Store } from '../store/database.js';
import { fail, ok, warn, type Finding } from './check.js';

const DAY = 86_400_000;
/** The same thresholds as the FapiaoQuotaLow and FapiaoQuotaRunsOutWithinDay alerts. */
const LOW_SHARE = 0.1;

const when = (iso: string) => beijingTime(Date.parse(iso)).slice(0, 16).replace('T', ' ');

export function quotaFinding(snapshot: QuotaSnapshot, now: number): Finding {
  const view = quotaView(snapshot, now);
  if (!view.known) {
    const read = view.read.error ? `the last read failed: ${view.read.error}` : view.read.at ? 'no channel keeps a quota for it' : 'not read yet';
    return ok(`${snapshot.sellerTaxId}: quota unknown this month (${read}); invoices are not held back`);
  }
  const share = view.remainingShare ?? 1;
  const forecast =
    view.exhaustsAt === null
      ? 'lasts the month at the current pace'
      : `runs out ${when(view.exhaustsAt)} (Beijing) at the current pace${view.exhaustsAtRange ? `, between ${when(view.exhaustsAtRange[0])} and ${when(view.exhaustsAtRange[1])}` : ''}`;
  const waiting = view.waiting.count > 0 ? `; ${view.waiting.count} invoice${view.waiting.count === 1 ? '' : 's'} (${view.waiting.amount}) waiting for quota` : '';
  const detail = `${snapshot.sellerTaxId}: ${view.remaining} of ${view.total} left (${Math.round(share * 100)} % after ${view.committed} committed), ${view.usedElsewhere} used elsewhere; ${forecast}${waiting}`;
  const exhaustsAt = snapshot.forecast?.exhaustsAt ?? null;
  if (exhaustsAt !== null && exhaustsAt - now <= DAY) return fail('gateway.quota_runs_out', detail);
  if (share < LOW_SHARE) return warn('gateway.quota_low', detail);
  return ok(detail);
}

/** Every seller's quota finding; empty before any seller is registered. */
export async function quotaSnapshots(store: Store, now: () => number): Promise<readonly QuotaSnapshot[]> {
  const guard = new QuotaGuard({ db: store.db, capabilities: store.capabilities, clock: { now } });
  await guard.refresh();
  return guard.all();
}
