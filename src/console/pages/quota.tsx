// Each seller's monthly 发票额度 on a card: remaining, committed, used elsewhere, the forecast with
// its range, what waits for quota, and the month's burn-down — remaining so far (solid), the pace
// from now to the forecast (dashed) — drawn as SVG (one polyline needs no chart library).
import { useState } from 'preact/hooks';
import { api, me } from '../api';
import { dateTime, money, percent } from '../format';
import { t } from '../i18n';
import { usePolling } from '../parts/use-polling';
import type { Quota } from '../types';

const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 64, right: 12, top: 12, bottom: 26 };

/** The month of `quota` as [start, end) in ms (Beijing). */
function monthSpan(month: string): [number, number] {
  const [year, index] = month.split('-').map(Number) as [number, number];
  return [Date.UTC(year, index - 1, 1) - 8 * 3_600_000, Date.UTC(year, index, 1) - 8 * 3_600_000];
}

function BurnDown({ quota }: { quota: Quota }) {
  const total = Number(quota.total);
  if (!quota.known || !(total > 0)) return null;
  const [start, end] = monthSpan(quota.month);
  const x = (ms: number) => PAD.left + ((ms - start) / (end - start)) * (WIDTH - PAD.left - PAD.right);
  const y = (yuan: number) => PAD.top + (1 - Math.max(0, Math.min(total, yuan)) / total) * (HEIGHT - PAD.top - PAD.bottom);
  const points = quota.burnDown.map((point) => `${x(Date.parse(point.at)).toFixed(1)},${y(Number(point.remaining)).toFixed(1)}`).join(' ');
  const now = Date.now();
  const left = Number(quota.remaining) - Number(quota.committed);
  const exhausts = quota.exhaustsAt ? Date.parse(quota.exhaustsAt) : end;
  const toward = quota.exhaustsAt ? 0 : Math.max(0, left - (Number(quota.pacePerHour ?? 0) * (end - now)) / 3_600_000);
  const range = quota.exhaustsAtRange as [string, string] | null;
  const days = Array.from({ length: Math.round((end - start) / 86_400_000) }, (_, day) => start + day * 86_400_000);
  return (
    <svg class="burn-down" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={t('burnDown')} data-testid="burn-down">
      {[0, 0.5, 1].map((share) => (
        <g key={share}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(total * share)} y2={y(total * share)} class="grid" />
          <text x={PAD.left - 6} y={y(total * share) + 4} text-anchor="end">
            {money((total * share).toFixed(0))}
          </text>
        </g>
      ))}
      {days.filter((_, day) => day % 5 === 0).map((day) => (
        <text key={day} x={x(day)} y={HEIGHT - 8} text-anchor="middle">
          {dateTime(new Date(day).toISOString()).slice(5, 10)}
        </text>
      ))}
      {range && <rect class="range" x={x(Date.parse(range[0]))} width={Math.max(2, x(Date.parse(range[1])) - x(Date.parse(range[0])))} y={PAD.top} height={HEIGHT - PAD.top - PAD.bottom} />}
      <polyline class="used" points={points} />
      <line class="forecast" x1={x(now)} y1={y(left)} x2={x(Math.min(exhausts, end))} y2={y(toward)} />
      <line class="now" x1={x(now)} x2={x(now)} y1={PAD.top} y2={HEIGHT - PAD.bottom} />
    </svg>
  );
}

function QuotaCard({ quota }: { quota: Quota }) {
  const range = quota.exhaustsAtRange as [string, string] | null;
  const low = quota.remainingShare !== null && quota.remainingShare < 0.1;
  return (
    <article class={`card quota ${low || quota.waiting.count > 0 ? 'quota-low' : ''}`} aria-label={quota.sellerTaxId}>
      <h2>
        {quota.sellerTaxId} <span class="muted">{quota.month}</span>
      </h2>
      {!quota.known ? (
        <p>{quota.read.error ? `${t('quotaReadFailed')}${quota.read.error}` : t('quotaUnknown')}</p>
      ) : (
        <>
          <dl>
            <dt>{t('quotaRemaining')}</dt>
            <dd data-testid="quota-remaining">
              {money(quota.remaining!)} / {money(quota.total!)} {quota.remainingShare !== null && `(${percent(quota.remainingShare)})`}
            </dd>
            <dt>{t('quotaCommitted')}</dt>
            <dd>{money(quota.committed)}</dd>
            <dt>{t('quotaElsewhere')}</dt>
            <dd>{money(quota.usedElsewhere)}</dd>
            <dt>{t('quotaReserve')}</dt>
            <dd>{money(quota.reserve)}</dd>
            <dt>{t('quotaForecast')}</dt>
            <dd class={quota.exhaustsAt && Date.parse(quota.exhaustsAt) - Date.now() < 86_400_000 ? 'warn' : ''} data-testid="quota-forecast">
              {quota.exhaustsAt ? `${dateTime(quota.exhaustsAt)}${range ? ` (${dateTime(range[0]).slice(5, 16)} – ${dateTime(range[1]).slice(5, 16)})` : ''}` : t('quotaLastsMonth')}
            </dd>
            {quota.waiting.count > 0 && (
              <>
                <dt>{t('quotaWaiting')}</dt>
                <dd class="warn">
                  {quota.waiting.count} · {money(quota.waiting.amount)}
                </dd>
              </>
            )}
            <dt>{t('quotaReadAt')}</dt>
            <dd>
              {dateTime(quota.read.at)} · {quota.read.channel ?? '—'}
            </dd>
          </dl>
          <BurnDown quota={quota} />
        </>
      )}
    </article>
  );
}

export function QuotaPage() {
  const [quotas, setQuotas] = useState<Quota[] | null>(null);
  const sellers = me.value?.sellers ?? [];
  usePolling(() => Promise.all(sellers.map((seller) => api.get<Quota>(`/v1/sellers/${seller}/quota`))), { intervalMs: 10_000, deps: [sellers.join(',')], onValue: setQuotas });
  return (
    <main>
      <h1>{t('quota')}</h1>
      <p class="summary">{t('quotaIntro')}</p>
      {!quotas && <p>{t('loading')}</p>}
      {quotas?.length === 0 && <p>{t('quotaNoSellers')}</p>}
      <div class="channels">
        {quotas?.map((quota) => (
          <QuotaCard key={quota.sellerTaxId} quota={quota} />
        ))}
      </div>
    </main>
  );
}
