// Issuing one invoice by hand. Every change is computed by the gateway's own rules
// (POST /v1/invoices/preview) as you type: the tax of each line, the totals, the total in Chinese
// capitals, and every problem beside its field, in Chinese or English.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, me, newKey, type FieldProblem, type Problem } from '../api';
import { money } from '../format';
import { problemWords, say, t } from '../i18n';
import { navigate } from '../router';
import type { Invoice, Line } from '../types';

interface DraftLine {
  name: string;
  taxCode: string;
  spec: string;
  unit: string;
  quantity: string;
  unitPrice: string;
  amount: string;
  taxRate: string;
}

const RATES = ['0.13', '0.09', '0.06', '0.05', '0.03', '0.01', '0', 'free', 'none'];
const PREVIEW_DELAY_MS = 300;
const blankLine = (): DraftLine => ({ name: '', taxCode: '', spec: '', unit: '', quantity: '', unitPrice: '', amount: '', taxRate: '0.13' });

interface Computed {
  lines: Line[];
  totals: Invoice['totals'];
}

const optional = (key: string, value: string) => (value.trim() === '' ? {} : { [key]: value.trim() });

export function Issue() {
  const sellers = me.value?.sellers ?? [];
  const [seller, setSeller] = useState(sellers[0] ?? '');
  const [orderNo, setOrderNo] = useState('');
  const [type, setType] = useState<'normal' | 'special'>('normal');
  const [buyer, setBuyer] = useState({ name: '', taxId: '', email: '' });
  const [priceIncludesTax, setPriceIncludesTax] = useState(true);
  const [lines, setLines] = useState<DraftLine[]>([blankLine()]);
  const [remarks, setRemarks] = useState('');
  const [computed, setComputed] = useState<Computed | null>(null);
  const [errors, setErrors] = useState<readonly FieldProblem[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [key] = useState(newKey);

  const body = useMemo(
    () => ({
      orderNo: orderNo.trim(),
      type,
      seller: { taxId: seller },
      buyer: { name: buyer.name.trim(), ...optional('taxId', buyer.taxId), ...optional('email', buyer.email) },
      priceIncludesTax,
      lines: lines.map((line) => ({ name: line.name.trim(), taxCode: line.taxCode.trim(), taxRate: line.taxRate, ...optional('spec', line.spec), ...optional('unit', line.unit), ...optional('quantity', line.quantity), ...optional('unitPrice', line.unitPrice), ...optional('amount', line.amount) })),
      ...optional('remarks', remarks),
    }),
    [seller, orderNo, type, buyer, priceIncludesTax, lines, remarks],
  );

  useEffect(() => {
    const timer = setTimeout(() => {
      api
        .post<Computed>('/v1/invoices/preview', body)
        .then((answer) => {
          setComputed(answer);
          setErrors([]);
        })
        .catch((failure: unknown) => {
          setComputed(null);
          setErrors(failure instanceof ApiError ? (failure.problem.errors ?? []) : []);
        });
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [body]);

  /** The problems of one field (a JSON pointer), only once the person has typed something. */
  const problemsAt = (path: string) => errors.filter((error) => error.path === path);
  const FieldErrors = ({ path }: { path: string }) => {
    const found = problemsAt(path);
    if (found.length === 0) return null;
    return (
      <span class="field-error" id={`error-${path}`} role="status">
        {found.map((error) => say(error)).join('；')}
      </span>
    );
  };
  const touched = (path: string) => ({ 'aria-invalid': problemsAt(path).length > 0, 'aria-describedby': problemsAt(path).length > 0 ? `error-${path}` : undefined });
  const setLine = (index: number, change: Partial<DraftLine>) => setLines(lines.map((line, n) => (n === index ? { ...line, ...change } : line)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const invoice = await api.post<Invoice>('/v1/invoices', body, { 'idempotency-key': key });
      navigate(`/invoices/${invoice.id}`);
    } catch (failure) {
      if (failure instanceof ApiError) {
        setProblem(failure.problem);
        setErrors(failure.problem.errors ?? []);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <h1>{t('issue')}</h1>
      <form class="issue" onSubmit={(event) => void submit(event)} noValidate>
        <fieldset>
          <legend>{t('seller')}</legend>
          <label>
            {t('seller')}
            <select name="seller" value={seller} onChange={(event) => setSeller(event.currentTarget.value)}>
              {sellers.map((taxId) => (
                <option key={taxId} value={taxId}>
                  {taxId}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('orderNo')}
            <input name="orderNo" required value={orderNo} onInput={(event) => setOrderNo(event.currentTarget.value)} {...touched('/orderNo')} />
            {orderNo !== '' && <FieldErrors path="/orderNo" />}
          </label>
          <label>
            {t('type')}
            <select name="type" value={type} onChange={(event) => setType(event.currentTarget.value as 'normal' | 'special')}>
              <option value="normal">{t('normal')}</option>
              <option value="special">{t('special')}</option>
            </select>
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('buyer')}</legend>
          <label>
            {t('buyerName')}
            <input name="buyerName" required value={buyer.name} onInput={(event) => setBuyer({ ...buyer, name: event.currentTarget.value })} {...touched('/buyer/name')} />
            {buyer.name !== '' && <FieldErrors path="/buyer/name" />}
          </label>
          <label>
            {t('buyerTaxId')}
            <input name="buyerTaxId" value={buyer.taxId} onInput={(event) => setBuyer({ ...buyer, taxId: event.currentTarget.value })} {...touched('/buyer/taxId')} />
            <FieldErrors path="/buyer/taxId" />
          </label>
          <label>
            {t('buyerEmail')}
            <input name="buyerEmail" type="email" value={buyer.email} onInput={(event) => setBuyer({ ...buyer, email: event.currentTarget.value })} {...touched('/buyer/email')} />
            <FieldErrors path="/buyer/email" />
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('items')}</legend>
          <label class="check">
            <input type="checkbox" name="priceIncludesTax" checked={priceIncludesTax} onChange={(event) => setPriceIncludesTax(event.currentTarget.checked)} /> {t('priceIncludesTax')}
          </label>
          {lines.map((line, index) => (
            <div class="line" key={index} role="group" aria-label={`${t('line')} ${index + 1}`}>
              {(['name', 'taxCode', 'spec', 'unit', 'quantity', 'unitPrice', 'amount'] as const).map((field) => (
                <label key={field}>
                  {t(field === 'name' ? 'itemName' : field)}
                  <input name={`lines.${index}.${field}`} inputMode={['quantity', 'unitPrice', 'amount'].includes(field) ? 'decimal' : undefined} value={line[field]} onInput={(event) => setLine(index, { [field]: event.currentTarget.value })} {...touched(`/lines/${index}/${field}`)} />
                  {(line[field] !== '' || field === 'amount') && <FieldErrors path={`/lines/${index}/${field}`} />}
                </label>
              ))}
              <label>
                {t('taxRate')}
                <select name={`lines.${index}.taxRate`} value={line.taxRate} onChange={(event) => setLine(index, { taxRate: event.currentTarget.value })}>
                  {RATES.map((rate) => (
                    <option key={rate} value={rate}>
                      {rate === 'free' ? '免税' : rate === 'none' ? '不征税' : `${Number(rate) * 100}%`}
                    </option>
                  ))}
                </select>
              </label>
              {computed?.lines[index] && (
                <p class="line-result" aria-live="polite">
                  {t('amount')} {money(computed.lines[index].amountExcludingTax)} · {t('tax')} {money(computed.lines[index].tax)}
                </p>
              )}
              {lines.length > 1 && (
                <button type="button" class="secondary" onClick={() => setLines(lines.filter((_, n) => n !== index))}>
                  {t('remove')}
                </button>
              )}
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => setLines([...lines, blankLine()])}>
            {t('addLine')}
          </button>
        </fieldset>
        <label>
          {t('remarks')}
          <input name="remarks" value={remarks} onInput={(event) => setRemarks(event.currentTarget.value)} />
        </label>
        <section class="totals card" aria-live="polite" aria-label={t('preview')}>
          {computed ? (
            <>
              <p>
                {t('amount')} {money(computed.totals.amount)} · {t('tax')} {money(computed.totals.tax)} · <strong>{t('total')} {money(computed.totals.total)}</strong>
              </p>
              <p>
                {t('inWords')}：<span data-testid="preview-in-words">{computed.totals.totalInWords}</span>
              </p>
            </>
          ) : (
            <p>{errors.length > 0 ? t('fixErrors') : t('loading')}</p>
          )}
        </section>
        {problem && (
          <p class="error" role="alert">
            {problemWords(problem)}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('submitIssue')}
        </button>
      </form>
    </main>
  );
}
