// The invoice list: search by order number, buyer tax ID, status and dates; a page at a time; the
// list refreshes itself; failed invoices can be retried in bulk and the whole result exported to
// CSV or Excel, each with its progress shown.
import { useState } from 'preact/hooks';
import { api, ApiError, can } from '../api';
import { dateOnly, dateTime, money } from '../format';
import { problemWords, t, type Word } from '../i18n';
import { linkProps, navigate, query } from '../router';
import { StatusBadge } from '../parts/status-badge';
import { downloadCsv, downloadExcel, type Table } from '../parts/table-export';
import { usePolling } from '../parts/use-polling';
import type { Invoice } from '../types';

/** On a phone the filters start folded away, leaving the list the screen. */
const wideScreen = () => typeof matchMedia === 'undefined' || matchMedia('(min-width: 700px)').matches;

interface Page {
  data: Invoice[];
  nextCursor: string | null;
}

const STATUSES = ['pending', 'issued', 'rejected', 'failed'] as const;
const REFRESH_MS = 2000;
const FILTERS = ['orderNo', 'buyerName', 'buyerTaxId', 'number', 'total', 'status', 'stage', 'from', 'to'] as const;
const STAGES = ['queued', 'submitting', 'uncertain', 'awaiting_result', 'awaiting_confirmation', 'awaiting_quota'] as const;

function listPath(filters: URLSearchParams, cursor?: string, limit = 20): string {
  const params = new URLSearchParams();
  for (const key of FILTERS) {
    const value = filters.get(key);
    if (!value) continue;
    // Dates are days in Beijing time: from its start, to the end of the last one.
    if (key === 'from') params.set('from', `${value}T00:00:00+08:00`);
    else if (key === 'to') params.set('to', new Date(Date.parse(`${value}T00:00:00+08:00`) + 86_400_000).toISOString());
    else params.set(key, value);
  }
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return `/v1/invoices?${params.toString()}`;
}

function table(invoices: readonly Invoice[]): Table {
  const heads: Word[] = ['orderNo', 'buyerName', 'buyerTaxId', 'total', 'status', 'number', 'issuedAt', 'createdAt'];
  return {
    headers: heads.map((word) => t(word)),
    kinds: heads.map((word) => (word === 'total' ? 'number' : 'text')),
    rows: invoices.map((invoice) => [invoice.orderNo, invoice.buyer.name, invoice.buyer.taxId ?? '', invoice.totals.total, t(invoice.status), invoice.number ?? '', dateTime(invoice.issuedAt), dateTime(invoice.createdAt)]),
  };
}

export function Invoices() {
  const filters = query.value;
  const [form, setForm] = useState(() => Object.fromEntries(FILTERS.map((key) => [key, filters.get(key) ?? ''])) as Record<(typeof FILTERS)[number], string>);
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<{ label: string; done: number; total: number | null } | null>(null);
  const cursor = cursors.at(-1);

  const problemText = (failure: unknown) => (failure instanceof ApiError ? problemWords(failure.problem) : String(failure));
  usePolling(() => api.get<Page>(listPath(filters, cursor)), {
    intervalMs: REFRESH_MS,
    deps: [filters.toString(), cursor],
    onValue: (answer) => {
      setPage(answer);
      setError(null);
    },
    onError: (failure) => setError(problemText(failure)),
  });

  const [filtersOpen, setFiltersOpen] = useState(wideScreen);
  const search = (event: Event) => {
    event.preventDefault();
    // On a phone the results take the screen once searched.
    if (!wideScreen()) setFiltersOpen(false);
    const params = new URLSearchParams(Object.entries(form).filter(([, value]) => value !== ''));
    setCursors([]);
    setSelected(new Set());
    navigate(`/invoices${params.size > 0 ? `?${params.toString()}` : ''}`);
  };

  /** Every invoice of the search, page after page, for an export. */
  const everything = async (label: string): Promise<Invoice[]> => {
    const all: Invoice[] = [];
    let next: string | null | undefined;
    do {
      setProgress({ label, done: all.length, total: null });
      const answer: Page = await api.get<Page>(listPath(filters, next ?? undefined, 100));
      all.push(...answer.data);
      next = answer.nextCursor;
    } while (next);
    return all;
  };

  const exportAs = async (kind: 'csv' | 'excel') => {
    try {
      setError(null);
      const rows = table(await everything(t('exporting')));
      const name = `fapiao-${new Date().toISOString().slice(0, 10)}`;
      if (kind === 'csv') downloadCsv(`${name}.csv`, rows);
      else await downloadExcel(`${name}.xlsx`, rows);
    } catch (failure) {
      setError(`${t('exportFailed')}${problemText(failure)}`);
    } finally {
      setProgress(null);
    }
  };

  const retrySelected = async () => {
    const ids = [...selected];
    const refused: string[] = [];
    setError(null);
    for (const [done, id] of ids.entries()) {
      setProgress({ label: t('retrying'), done, total: ids.length });
      await api.post(`/v1/invoices/${id}/retry`).catch((failure: unknown) => refused.push(problemText(failure)));
    }
    setProgress(null);
    setSelected(new Set());
    // Each refusal is said: an invoice retried meanwhile elsewhere, a busy gateway, a session that ended.
    if (refused.length > 0) setError(`${t('retryFailed')} ${refused.length} / ${ids.length}: ${[...new Set(refused)].join('; ')}`);
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <main>
      <h1>{t('invoices')}</h1>
      <details class="filters-fold" open={filtersOpen} onToggle={(event) => setFiltersOpen(event.currentTarget.open)}>
        <summary>{t('filters')}</summary>
      <form class="filters" onSubmit={search} role="search">
        <label>
          {t('orderNo')}
          <input name="orderNo" value={form.orderNo} onInput={(event) => setForm({ ...form, orderNo: event.currentTarget.value })} />
        </label>
        <label>
          {t('buyerName')}
          <input name="buyerName" value={form.buyerName} onInput={(event) => setForm({ ...form, buyerName: event.currentTarget.value })} />
        </label>
        <label>
          {t('buyerTaxId')}
          <input name="buyerTaxId" value={form.buyerTaxId} onInput={(event) => setForm({ ...form, buyerTaxId: event.currentTarget.value })} />
        </label>
        <label>
          {t('number')}
          <input name="number" inputMode="numeric" value={form.number} onInput={(event) => setForm({ ...form, number: event.currentTarget.value.trim() })} />
        </label>
        <label>
          {t('total')}
          <input name="total" inputMode="decimal" value={form.total} onInput={(event) => setForm({ ...form, total: event.currentTarget.value.trim() })} />
        </label>
        <label>
          {t('status')}
          <select name="status" value={form.status} onChange={(event) => setForm({ ...form, status: event.currentTarget.value })}>
            <option value="">{t('any')}</option>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {t(status)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('stage')}
          <select name="stage" value={form.stage} onChange={(event) => setForm({ ...form, stage: event.currentTarget.value, ...(event.currentTarget.value && { status: 'pending' }) })}>
            <option value="">{t('any')}</option>
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {t(stage)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('from')}
          <input type="date" name="from" value={form.from} onInput={(event) => setForm({ ...form, from: event.currentTarget.value })} />
        </label>
        <label>
          {t('to')}
          <input type="date" name="to" value={form.to} onInput={(event) => setForm({ ...form, to: event.currentTarget.value })} />
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      </details>
      <div class="toolbar">
        <button type="button" onClick={() => void exportAs('csv')} disabled={progress !== null}>
          {t('exportCsv')}
        </button>
        <button type="button" onClick={() => void exportAs('excel')} disabled={progress !== null}>
          {t('exportExcel')}
        </button>
        {can('issue') && page?.data.some((invoice) => invoice.status === 'failed') && (
          <button type="button" onClick={() => void retrySelected()} disabled={selected.size === 0 || progress !== null}>
            {t('retrySelected')} ({selected.size})
          </button>
        )}
        {progress && (
          <span class="progress" role="status">
            {progress.label} <progress max={progress.total ?? undefined} value={progress.total === null ? undefined : progress.done} /> {progress.done}
            {progress.total !== null && ` / ${progress.total}`}
          </span>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && page.data.length === 0 && <p>{t('noInvoices')}</p>}
      {page && page.data.length > 0 && (
        <div class="table-wrap">
          <table class="invoices">
            <thead>
              <tr>
                {can('issue') && (
                  <th scope="col">
                    <span class="visually-hidden">{t('retrySelected')}</span>
                  </th>
                )}
                <th scope="col">{t('orderNo')}</th>
                <th scope="col">{t('type')}</th>
                <th scope="col">{t('buyer')}</th>
                <th scope="col" class="number">
                  {t('total')}
                </th>
                <th scope="col">{t('status')}</th>
                <th scope="col">{t('number')}</th>
                <th scope="col">{t('createdAt')}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((invoice) => (
                <tr key={invoice.id}>
                  {can('issue') && <td>{invoice.status === 'failed' && <input type="checkbox" aria-label={`${t('retry')} ${invoice.orderNo}`} checked={selected.has(invoice.id)} onChange={() => toggle(invoice.id)} />}</td>}
                  <td>
                    <a {...linkProps(`/invoices/${invoice.id}`)}>{invoice.orderNo}</a>
                  </td>
                  <td>
                    {t(invoice.type === 'special' ? 'specialShort' : 'normalShort')}
                    {' · '}
                    <span class={invoice.kind === 'red' ? 'red-kind' : undefined}>{t(invoice.kind === 'red' ? 'redShort' : 'blueShort')}</span>
                  </td>
                  <td>{invoice.buyer.name}</td>
                  <td class="number">{money(invoice.totals.total)}</td>
                  <td>
                    <StatusBadge status={invoice.status} stage={invoice.stage} />
                  </td>
                  <td class="mono">{invoice.number ?? '—'}</td>
                  <td>
                    <time dateTime={invoice.createdAt} title={dateTime(invoice.createdAt)}>
                      {dateOnly(invoice.createdAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          {t('previous')}
        </button>
        <button type="button" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
          {t('next')}
        </button>
      </nav>
    </main>
  );
}
