// One invoice: as it prints, its state (refreshed until it settles), PDF and XML, its timeline of
// attempts and audit entries, and what a person may do next: retry a failed one, red-flush an
// issued blue one (the reason's rules are the API's), email it again.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, can, newKey, type Problem } from '../api';
import { dateTime, money } from '../format';
import { isWord, language, say, t, words } from '../i18n';
import { InvoiceSheet } from '../parts/invoice-sheet';
import { ProblemText } from '../parts/problem-text';
import { usePolling } from '../parts/use-polling';
import { StatusBadge } from '../parts/status-badge';
import { linkProps, navigate } from '../router';
import type { Static } from 'typebox';
import type { RedFlushPreview } from '../../api/schemas/invoice.js';
import type { Invoice, TimelineEntry } from '../types';

const REFRESH_MS = 1500;
const REASONS = ['sales_return', 'issued_in_error', 'service_stopped', 'sales_allowance'] as const;

type Reason = (typeof REASONS)[number];
type RedPreview = Static<typeof RedFlushPreview>;

/**
 * Red-flushing an issued invoice: the clerk chooses whole or in part and a reason (only the reasons
 * the choice allows), the gateway computes the red invoice (POST …/red-flush/preview), and only a
 * second, explicit confirmation with the amount in words issues it.
 */
function RedFlushForm({ invoice, done }: { invoice: Invoice; done: (id: string) => void }) {
  // What is left to flush is the gateway's figure: anything less than the total was flushed before.
  const flushedBefore = invoice.redFlushableTotal !== null && invoice.redFlushableTotal !== undefined && invoice.redFlushableTotal !== invoice.totals.total;
  const [scope, setScope] = useState<'whole' | 'part' | null>(null);
  const [reason, setReason] = useState<Reason | ''>('');
  const [lines, setLines] = useState<Record<number, { quantity: string; amount: string }>>({});
  const [preview, setPreview] = useState<RedPreview | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [key] = useState(newKey);
  // 开票有误 takes the whole invoice, untouched: it is offered only then.
  const reasons = REASONS.filter((item) => item !== 'issued_in_error' || (scope === 'whole' && !flushedBefore));
  const withQuantity = reason !== 'sales_allowance';
  const asked = Object.entries(lines)
    .map(([line, values]) => ({ line: Number(line), ...(withQuantity && values.quantity.trim() && { quantity: values.quantity.trim() }), ...(values.amount.trim() && { amount: values.amount.trim() }) }))
    .filter((line) => 'quantity' in line || 'amount' in line);
  const body = { reason, ...(scope === 'part' && { lines: asked }) };
  const local = (zh: string, en: string): Problem => ({ type: 'about:blank', status: 422, code: 'red_flush_invalid', title: `${en} / ${zh}`, detail: en });
  /** The problems of one blue line's field: the request names lines by their place in `lines`. */
  const problemsAt = (blueLine: number, field: 'quantity' | 'amount') =>
    (problem?.errors ?? []).filter((error) => {
      const match = /^\/lines\/(\d+)\/(quantity|amount)$/.exec(error.path);
      return match !== null && asked[Number(match[1])]?.line === blueLine && match[2] === field;
    });
  const elsewhere = (problem?.errors ?? []).filter((error) => !/^\/lines\/\d+\/(quantity|amount)$/.test(error.path));

  const check = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    if (scope === null) return setProblem(local('请选择全额红冲或部分红冲', 'Choose a whole or a partial red-flush'));
    if (reason === '') return setProblem(local('请选择冲红原因', 'Choose a reason'));
    if (scope === 'part' && asked.length === 0) return setProblem(local('部分红冲请至少填写一行的数量或金额', 'A partial red-flush names at least one line'));
    try {
      setPreview(await api.post<RedPreview>(`/v1/invoices/${invoice.id}/red-flush/preview`, body));
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };
  const confirm = async () => {
    try {
      const red = await api.post<Invoice>(`/v1/invoices/${invoice.id}/red-flush`, body, { 'idempotency-key': key });
      done(red.id);
    } catch (failure) {
      setPreview(null);
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };
  const change = (next: () => void) => {
    next();
    setPreview(null);
    setProblem(null);
  };

  if (preview) {
    return (
      <section class="card red-flush" aria-label={t('redFlush')} role="alertdialog" aria-describedby="red-flush-summary">
        <h2>{t('redFlushConfirmTitle')}</h2>
        <p id="red-flush-summary">
          {t('redFlushWillIssue')} {t(preview.red.reason)} · {t('total')} <strong>{money(preview.totals.total)}</strong> · {t('inWords')}
          {language.value === 'zh' ? '：' : ': '}
          <strong data-testid="red-in-words">{preview.totals.totalInWords}</strong>
        </p>
        <div class="toolbar">
          <button type="button" onClick={() => void confirm()}>
            {t('redFlushConfirm')}
          </button>
          <button type="button" class="secondary" onClick={() => setPreview(null)}>
            {t('redFlushBack')}
          </button>
        </div>
      </section>
    );
  }
  return (
    <form class="card red-flush" onSubmit={(event) => void check(event)} aria-label={t('redFlush')} noValidate>
      <h2>{t('redFlush')}</h2>
      <fieldset class="choice">
        <legend>{t('redFlushScope')}</legend>
        <label class="check">
          <input type="radio" name="scope" value="whole" checked={scope === 'whole'} onChange={() => change(() => setScope('whole'))} /> {t('redWhole')}
          {invoice.redFlushableTotal && ` ${money(invoice.redFlushableTotal)}`}
        </label>
        <label class="check">
          <input
            type="radio"
            name="scope"
            value="part"
            checked={scope === 'part'}
            onChange={() =>
              change(() => {
                setScope('part');
                if (reason === 'issued_in_error') setReason('');
              })
            }
          />{' '}
          {t('redPart')}
        </label>
      </fieldset>
      <label>
        {t('reason')}
        <select name="reason" value={reason} onChange={(event) => change(() => setReason(event.currentTarget.value as Reason | ''))}>
          <option value="">{t('chooseReason')}</option>
          {reasons.map((item) => (
            <option key={item} value={item}>
              {t(item)}
            </option>
          ))}
        </select>
      </label>
      {scope === 'part' && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('line')}</th>
                <th scope="col">{t('itemName')}</th>
                {withQuantity && <th scope="col">{t('quantity')}</th>}
                <th scope="col">{t('amount')}</th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines.map((line, index) => {
                const set = (field: 'quantity' | 'amount', value: string) => change(() => setLines({ ...lines, [index]: { quantity: lines[index]?.quantity ?? '', amount: lines[index]?.amount ?? '', [field]: value } }));
                return (
                  <tr key={index}>
                    <td>{index + 1}</td>
                    <td>{line.name}</td>
                    {withQuantity && (
                      <td>
                        {line.quantity ? (
                          <input aria-label={`${t('quantity')} ${index + 1}`} placeholder={`-${line.quantity}`} value={lines[index]?.quantity ?? ''} onInput={(event) => set('quantity', event.currentTarget.value)} aria-invalid={problemsAt(index, 'quantity').length > 0} />
                        ) : (
                          '—'
                        )}
                        {problemsAt(index, 'quantity').map((error, n) => (
                          <span key={n} class="field-error">
                            {say(error)}
                          </span>
                        ))}
                      </td>
                    )}
                    <td>
                      <input aria-label={`${t('amount')} ${index + 1}`} placeholder={`-${line.amount}`} value={lines[index]?.amount ?? ''} onInput={(event) => set('amount', event.currentTarget.value)} aria-invalid={problemsAt(index, 'amount').length > 0} />
                      {problemsAt(index, 'amount').map((error, n) => (
                        <span key={n} class="field-error">
                          {say(error)}
                        </span>
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {problem && <ProblemText problem={problem} errors={elsewhere} />}
      <button type="submit">{t('redFlushCheck')}</button>
    </form>
  );
}

export function InvoiceDetail({ id }: { id: string }) {
  const [invoice, setInvoice] = useState<Invoice | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [flushing, setFlushing] = useState(false);
  const [email, setEmail] = useState('');

  // Another invoice (a red one just made, a link followed): nothing of the last one stays.
  useEffect(() => {
    setInvoice(null);
    setProblem(null);
    setFlushing(false);
  }, [id]);
  usePolling(() => Promise.all([api.get<Invoice>(`/v1/invoices/${id}`), api.get<{ data: TimelineEntry[] }>(`/v1/invoices/${id}/timeline`)]), {
    intervalMs: REFRESH_MS,
    deps: [id],
    onValue: ([current, history]) => {
      setInvoice(current);
      setTimeline(history.data);
      setProblem(null);
    },
    onError: (failure) => failure instanceof ApiError && setProblem(failure.problem),
    // Live until it settles and its documents are ready; then there is nothing more to see.
    until: ([current]) => current.status !== 'pending' && (current.status !== 'issued' || current.documents?.status === 'rendered'),
  });

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
        {can('issue') && invoice.kind === 'red' && invoice.status === 'pending' && invoice.stage === 'awaiting_confirmation' && (
          <button type="button" title={t('withdrawFormHint')} onClick={() => void act(() => api.post(`/v1/invoices/${invoice.id}/withdraw`))}>
            {t('withdrawForm')}
          </button>
        )}
        {can('issue') && invoice.status === 'issued' && invoice.kind === 'blue' && invoice.redFlushableTotal !== '0.00' && (
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
        {invoice.traceId && (
          <p class="trace">
            {t('traceId')} <code>{invoice.traceId}</code>
          </p>
        )}
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
