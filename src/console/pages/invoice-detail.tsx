// One invoice: as it prints, its state (refreshed until it settles), PDF and XML, its timeline of
// attempts and audit entries, and what a person may do next: retry a failed one, red-flush an
// issued blue one (the reason's rules are the API's), email it again.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, can, newKey, type Problem } from '../api';
import { dateTime, money } from '../format';
import { isWord, language, problemWords, say, t, words } from '../i18n';
import { InvoiceSheet } from '../parts/invoice-sheet';
import { StatusBadge } from '../parts/status-badge';
import { linkProps, navigate } from '../router';
import type { Invoice, TimelineEntry } from '../types';

const REFRESH_MS = 1500;
const REASONS = ['sales_return', 'issued_in_error', 'service_stopped', 'sales_allowance'] as const;

function ProblemText({ problem }: { problem: Problem }) {
  return (
    <div class="error" role="alert">
      <p>{problemWords(problem)}</p>
      {problem.errors && (
        <ul>
          {problem.errors.map((error, index) => (
            <li key={index}>
              {error.path && <code>{error.path}</code>} {say(error)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RedFlushForm({ invoice, done }: { invoice: Invoice; done: (id: string) => void }) {
  const [reason, setReason] = useState<(typeof REASONS)[number]>('issued_in_error');
  const [lines, setLines] = useState<Record<number, { quantity: string; amount: string }>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [key] = useState(newKey);
  const whole = reason === 'issued_in_error';
  const submit = async (event: Event) => {
    event.preventDefault();
    const asked = Object.entries(lines)
      .map(([line, values]) => ({ line: Number(line), ...(values.quantity && { quantity: values.quantity }), ...(values.amount && { amount: values.amount }) }))
      .filter((line) => 'quantity' in line || 'amount' in line);
    try {
      const red = await api.post<Invoice>(`/v1/invoices/${invoice.id}/red-flush`, { reason, ...(!whole && asked.length > 0 && { lines: asked }) }, { 'idempotency-key': key });
      done(red.id);
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };
  return (
    <form class="card red-flush" onSubmit={(event) => void submit(event)} aria-label={t('redFlush')}>
      <h2>{t('redFlush')}</h2>
      <label>
        {t('reason')}
        <select name="reason" value={reason} onChange={(event) => setReason(event.currentTarget.value as (typeof REASONS)[number])}>
          {REASONS.map((item) => (
            <option key={item} value={item}>
              {t(item)}
            </option>
          ))}
        </select>
      </label>
      {whole ? (
        <p>{t('redWhole')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('line')}</th>
                <th scope="col">{t('itemName')}</th>
                <th scope="col">{t('quantity')}</th>
                <th scope="col">{t('amount')}</th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines.map((line, index) => (
                <tr key={index}>
                  <td>{index}</td>
                  <td>{line.name}</td>
                  <td>
                    <input aria-label={`${t('quantity')} ${index}`} placeholder={line.quantity ? `-${line.quantity}` : ''} disabled={reason === 'sales_allowance' || !line.quantity} value={lines[index]?.quantity ?? ''} onInput={(event) => setLines({ ...lines, [index]: { quantity: event.currentTarget.value, amount: lines[index]?.amount ?? '' } })} />
                  </td>
                  <td>
                    <input aria-label={`${t('amount')} ${index}`} placeholder={`-${line.amount}`} value={lines[index]?.amount ?? ''} onInput={(event) => setLines({ ...lines, [index]: { quantity: lines[index]?.quantity ?? '', amount: event.currentTarget.value } })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {problem && <ProblemText problem={problem} />}
      <button type="submit">{t('confirm')}</button>
    </form>
  );
}

export function InvoiceDetail({ id }: { id: string }) {
  const [invoice, setInvoice] = useState<Invoice | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [flushing, setFlushing] = useState(false);
  const [email, setEmail] = useState('');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const [current, history] = await Promise.all([api.get<Invoice>(`/v1/invoices/${id}`), api.get<{ data: TimelineEntry[] }>(`/v1/invoices/${id}/timeline`)]);
        if (stopped) return;
        setInvoice(current);
        setTimeline(history.data);
        setProblem(null);
        // Live until it settles and its documents are ready; then there is nothing more to see.
        const settled = current.status !== 'pending' && (current.status !== 'issued' || current.documents?.status === 'rendered');
        if (!settled) timer = setTimeout(() => void read(), REFRESH_MS);
      } catch (failure) {
        if (!stopped && failure instanceof ApiError) setProblem(failure.problem);
      }
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setInvoice(await api.get<Invoice>(`/v1/invoices/${id}`));
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };

  if (!invoice) return <main>{problem ? <ProblemText problem={problem} /> : <p>{t('loading')}</p>}</main>;
  const ready = invoice.status === 'issued' && invoice.documents?.status === 'rendered';
  return (
    <main>
      <p>
        <a {...linkProps('/invoices')}>← {t('back')}</a>
      </p>
      <h1>
        {t('orderNo')} {invoice.orderNo} <StatusBadge status={invoice.status} stage={invoice.stage} />
      </h1>
      {invoice.kind === 'red' && invoice.blueInvoiceId && (
        <p>
          {t('redOf')}: <a {...linkProps(`/invoices/${invoice.blueInvoiceId}`)}>{invoice.blueNumber}</a>
          {invoice.redReason && isWord(invoice.redReason) && ` · ${t(invoice.redReason)}`}
        </p>
      )}
      {invoice.lastError && invoice.status !== 'issued' && (
        <p class="error">
          {t('lastError')}
          {language.value === 'zh' ? '：' : ': '}
          {words(invoice.lastError.text)} <code title={t('errorCode')}>{invoice.lastError.code}</code>
          {invoice.lastError.message !== '' && invoice.lastError.message !== invoice.lastError.text.en && <span class="upstream-words"> — {invoice.lastError.message}</span>}
        </p>
      )}
      <div class="toolbar">
        {ready && (
          <>
            <a class="button" href={`/v1/invoices/${invoice.id}/pdf`} download>
              {t('downloadPdf')}
            </a>
            <a class="button" href={`/v1/invoices/${invoice.id}/xml`} download>
              {t('downloadXml')}
            </a>
          </>
        )}
        {can('issue') && invoice.status === 'failed' && (
          <button type="button" onClick={() => void act(() => api.post(`/v1/invoices/${invoice.id}/retry`))}>
            {t('retry')}
          </button>
        )}
        {can('issue') && invoice.status === 'issued' && invoice.kind === 'blue' && (
          <button type="button" onClick={() => setFlushing(!flushing)} aria-expanded={flushing}>
            {t('redFlush')}
          </button>
        )}
      </div>
      {problem && <ProblemText problem={problem} />}
      {flushing && <RedFlushForm invoice={invoice} done={(red) => navigate(`/invoices/${red}`)} />}
      {invoice.redFlushes && invoice.redFlushes.length > 0 && (
        <p>
          {t('redFlush')}:{' '}
          {invoice.redFlushes.map((red) => (
            <a key={red.id} {...linkProps(`/invoices/${red.id}`)}>
              {money(red.total)} ({t(isWord(red.status) ? red.status : 'none')}){' '}
            </a>
          ))}
          · {t('redFlushable')} {invoice.redFlushableTotal ? money(invoice.redFlushableTotal) : '—'}
        </p>
      )}
      <InvoiceSheet invoice={invoice} />
      <section>
        <h2>{t('deliveries')}</h2>
        <ul>
          {(invoice.deliveries ?? []).map((delivery, index) => (
            <li key={index}>
              {delivery.to} · {isWord(delivery.status) ? t(delivery.status) : delivery.status} · {dateTime(delivery.at)}
              {delivery.error && ` · ${delivery.error}`}
            </li>
          ))}
          {(invoice.deliveries ?? []).length === 0 && <li>{t('none')}</li>}
        </ul>
        {can('issue') && invoice.status === 'issued' && (
          <form
            class="inline"
            onSubmit={(event) => {
              event.preventDefault();
              void act(() => api.post(`/v1/invoices/${invoice.id}/deliver`, email ? { email } : {}));
            }}
          >
            <label>
              {t('buyerEmail')}
              <input type="email" name="email" placeholder={invoice.buyer.email ?? ''} value={email} onInput={(event) => setEmail(event.currentTarget.value)} />
            </label>
            <button type="submit">{t('resend')}</button>
          </form>
        )}
      </section>
      <section>
        <h2>{t('timeline')}</h2>
        <ol class="timeline">
          {timeline.map((entry, index) => (
            <li key={index}>
              <time>{dateTime(entry.at)}</time>{' '}
              {words(entry.text)}
              {entry.kind === 'attempt' && entry.durationMs !== null && <span class="duration"> · {entry.durationMs} ms</span>}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
