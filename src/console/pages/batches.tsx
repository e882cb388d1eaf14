// Issuing from the 电子税务局's batch template: upload the file, watch the batch run (a progress bar
// fed by GET /v1/batches/{id}), read each refused row with where it is in the file, and download
// the result workbook with the invoice numbers filled in. The latest batches are listed below.
import { useState } from 'preact/hooks';
import { api, ApiError, can, me, type Problem } from '../api';
import { dateTime } from '../format';
import { language, say, t } from '../i18n';
import { linkProps, navigate } from '../router';
import { ProblemText } from '../parts/problem-text';
import { SellerSelect } from '../parts/seller-select';
import { usePolling } from '../parts/use-polling';

interface BatchError {
  sheet?: string;
  row?: number;
  column?: string;
  path?: string;
  code: string;
  message: string;
  messageZh: string;
}
interface Counts {
  accepted: number;
  refused: number;
  issued: number;
  pending: number;
  failed: number;
}
interface Batch {
  id: string;
  status: 'refused' | 'accepted' | 'done';
  mode: string;
  fileName: string | null;
  createdAt: string;
  total: number;
  counts: Counts;
  problems?: BatchError[];
  rows?: Array<{ row: number; serialNo: string; status: string; invoiceId?: string; number?: string; total?: string; errors?: BatchError[] }>;
}

const SHOWN_ROWS = 200;
const where = (error: BatchError) => [error.sheet, error.row ? (language.value === 'zh' ? `第 ${error.row} 行` : `row ${error.row}`) : undefined, error.column ?? error.path].filter(Boolean).join(' · ');
const settled = (counts: Counts) => counts.issued + counts.refused + counts.failed;

function BatchView({ id, onSettled }: { id: string; onSettled: () => void }) {
  const [batch, setBatch] = useState<Batch | null>(null);
  const settle = (value: Batch) => {
    setBatch(value);
    if (value.status !== 'accepted') onSettled();
  };
  usePolling(() => api.get<Batch>(`/v1/batches/${id}`), { intervalMs: 1000, deps: [id], onValue: settle, until: (value) => value.status !== 'accepted' });
  if (!batch) return <p>{t('loading')}</p>;
  const refusedRows = (batch.rows ?? []).filter((row) => row.status === 'refused' && !(row.errors ?? []).every((error) => error.code === 'batch_refused'));
  const done = settled(batch.counts);
  return (
    <section class="card batch" aria-label={t('batchProgress')} data-testid="batch">
      <h2>
        {batch.fileName ?? batch.id} · {batch.status === 'refused' ? t('refused') : batch.status === 'done' ? t('batchDone') : t('batchRunning')}
      </h2>
      <p class="batch-progress">
        <progress max={batch.total} value={done} aria-label={t('batchProgress')} data-testid="batch-progress" /> {done}/{batch.total}
      </p>
      <p data-testid="batch-counts">
        {t('issued')} {batch.counts.issued} · {t('refused')} {batch.counts.refused} · {t('failed')} {batch.counts.failed} · {t('pending')} {batch.counts.pending}
      </p>
      {batch.status === 'refused' && <p class="field-error">{t('batchRefused')}</p>}
      <p>
        <a href={`/v1/batches/${batch.id}/result.xlsx`} download>
          {t('downloadResult')}
        </a>
      </p>
      {(batch.problems ?? []).length > 0 && (
        <>
          <h3>{t('fileProblems')}</h3>
          <ul>
            {batch.problems!.map((problem, index) => (
              <li key={index}>
                {where(problem)}：{say(problem)}
              </li>
            ))}
          </ul>
        </>
      )}
      {refusedRows.length > 0 && (
        <div class="table-wrap">
          <table data-testid="refused-rows">
            <thead>
              <tr>
                <th scope="col">{t('row')}</th>
                <th scope="col">{t('serialNo')}</th>
                <th scope="col">{t('errors')}</th>
              </tr>
            </thead>
            <tbody>
              {refusedRows.slice(0, SHOWN_ROWS).map((row) => (
                <tr key={row.row}>
                  <td class="number">{row.row}</td>
                  <td class="mono">{row.serialNo}</td>
                  <td>
                    {(row.errors ?? []).map((error, index) => (
                      <p key={index}>
                        <span class="where">{where(error)}</span>：{say(error)}
                      </p>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(batch.rows ?? []).some((row) => row.invoiceId) && (
        <details>
          <summary>
            {t('invoices')} ({batch.counts.accepted})
          </summary>
          <ul class="batch-invoices">
            {(batch.rows ?? [])
              .filter((row) => row.invoiceId)
              .slice(0, SHOWN_ROWS)
              .map((row) => (
                <li key={row.row}>
                  <a {...linkProps(`/invoices/${row.invoiceId!}`)}>{row.serialNo}</a> · {t(row.status === 'issued' ? 'issued' : row.status === 'failed' ? 'failed' : 'pending')} {row.number ?? ''}
                </li>
              ))}
          </ul>
        </details>
      )}
    </section>
  );
}

export function Batches({ id }: { id?: string }) {
  const sellers = me.value?.sellers ?? [];
  const [seller, setSeller] = useState(sellers[0] ?? '');
  const [mode, setMode] = useState<'each' | 'all'>('each');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [recent, setRecent] = useState<Batch[]>([]);
  // Read again when the batch on the page settles, so the list agrees with it.
  const [settledTimes, setSettledTimes] = useState(0);
  usePolling(() => api.get<{ data: Batch[] }>('/v1/batches'), { intervalMs: 5000, deps: [id, settledTimes], onValue: (value) => setRecent(value.data) });

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setProblem(null);
    const form = new FormData();
    form.set('seller', seller);
    form.set('mode', mode);
    form.set('file', file, file.name);
    try {
      const answer = await api.upload<{ id: string }>('/v1/batches', form);
      navigate(`/batches/${answer.id}`);
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <h1>{t('batches')}</h1>
      <p class="hint">{t('batchIntro')}</p>
      {can('issue') && (
        <form class="issue batch-upload" onSubmit={(event) => void submit(event)}>
          <label>
            {t('batchFile')}
            <input type="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)} />
          </label>
          {sellers.length > 1 && (
            <SellerSelect sellers={sellers} value={seller} onChange={setSeller} />
          )}
          <fieldset>
            <legend>{t('batchMode')}</legend>
            <label class="check">
              <input type="radio" name="mode" value="each" checked={mode === 'each'} onChange={() => setMode('each')} /> {t('modeEach')}
            </label>
            <label class="check">
              <input type="radio" name="mode" value="all" checked={mode === 'all'} onChange={() => setMode('all')} /> {t('modeAll')}
            </label>
          </fieldset>
          {problem && (
            <ProblemText problem={problem} errors={[]} />
          )}
          {problem && Array.isArray((problem as { problems?: BatchError[] }).problems) && (
            <ul class="field-error" data-testid="file-problems">
              {(problem as unknown as { problems: BatchError[] }).problems.map((item, index) => (
                <li key={index}>{[where(item), say(item)].filter(Boolean).join('：')}</li>
              ))}
            </ul>
          )}
          <button type="submit" disabled={busy || !file}>
            {busy ? t('uploading') : t('upload')}
          </button>
        </form>
      )}
      {id && <BatchView id={id} onSettled={() => setSettledTimes((times) => times + 1)} />}
      <h2>{t('recentBatches')}</h2>
      <ul class="batches">
        {recent.map((batch) => (
          <li key={batch.id}>
            <a {...linkProps(`/batches/${batch.id}`)}>{batch.fileName ?? batch.id}</a> · {dateTime(batch.createdAt)} · {batch.status === 'refused' ? t('refused') : batch.status === 'done' ? t('batchDone') : t('batchRunning')} ·{' '}
            {settled(batch.counts)}/{batch.total}
          </li>
        ))}
      </ul>
    </main>
  );
}
