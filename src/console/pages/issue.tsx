// Issuing one invoice by hand. Every change is computed by the gateway's own rules
// (POST /v1/invoices/preview) as you type: the tax of each line, the totals, the total in Chinese
// capitals, and every problem beside its field, in Chinese or English — a field's problems once
// something was typed in it, all of them once the clerk tries to issue. A 专票 asks for the buyer's
// address, phone, bank and account, as the rules do.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, me, newKey, type FieldProblem, type Problem } from '../api';
import { money } from '../format';
import { language, say, t, type Word } from '../i18n';
import { navigate } from '../router';
import { ProblemText } from '../parts/problem-text';
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

/** Every rate the gateway takes (src/domain/tax-rate.ts), with how a clerk names it. */
const RATES: ReadonlyArray<readonly [string, string, string]> = [
  ['0.13', '13%', '13%'],
  ['0.09', '9%', '9%'],
  ['0.06', '6%', '6%'],
  ['0.05', '5%', '5%'],
  ['0.03', '3%', '3%'],
  ['0.015', '1.5%', '1.5%'],
  ['0.01', '1%', '1%'],
  ['0', '0%', '0%'],
  ['free', '免税', 'Tax-free'],
  ['none', '不征税', 'No tax'],
];
const BUYER_FIELDS = ['name', 'taxId', 'address', 'phone', 'bankName', 'bankAccount', 'email'] as const;
type BuyerField = (typeof BUYER_FIELDS)[number];
/** Fields a 专票 must name (read-invoice-request.ts): the buyer in full. */
const SPECIAL_REQUIRES: readonly BuyerField[] = ['taxId', 'address', 'bankName', 'bankAccount'];
const BUYER_WORDS: Readonly<Record<BuyerField, Word>> = { name: 'buyerName', taxId: 'buyerTaxId', address: 'buyerAddress', phone: 'buyerPhone', bankName: 'buyerBankName', bankAccount: 'buyerBankAccount', email: 'buyerEmail' };
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
  const [buyer, setBuyer] = useState<Record<BuyerField, string>>({ name: '', taxId: '', address: '', phone: '', bankName: '', bankAccount: '', email: '' });
  const [drawer, setDrawer] = useState('');
  // Where the clerk has typed, and whether they tried to issue: what decides which problems show.
  const [typed, setTyped] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [priceIncludesTax, setPriceIncludesTax] = useState(true);
  const [lines, setLines] = useState<DraftLine[]>([blankLine()]);
  const [remarks, setRemarks] = useState('');
  const [computed, setComputed] = useState<Computed | null>(null);
  const [errors, setErrors] = useState<readonly FieldProblem[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [key] = useState(newKey);

  const body = useMemo(() => {
    const buyerBody: Record<string, string> = { name: buyer.name.trim() };
    for (const field of BUYER_FIELDS) if (field !== 'name' && buyer[field].trim() !== '') buyerBody[field] = buyer[field].trim();
    return {
      orderNo: orderNo.trim(),
      type,
      seller: { taxId: seller },
      buyer: buyerBody,
      priceIncludesTax,
      lines: lines.map((line) => ({ name: line.name.trim(), taxCode: line.taxCode.trim(), taxRate: line.taxRate, ...optional('spec', line.spec), ...optional('unit', line.unit), ...optional('quantity', line.quantity), ...optional('unitPrice', line.unitPrice), ...optional('amount', line.amount) })),
      ...optional('remarks', remarks),
      ...optional('drawer', drawer),
    };
  }, [seller, orderNo, type, buyer, priceIncludesTax, lines, remarks, drawer]);

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

  /** The problems of one field (a JSON pointer): once something was typed in it, or after an attempt to issue. */
  const shown = (path: string) => submitted || typed.has(path);
  const problemsAt = (path: string) => (shown(path) ? errors.filter((error) => error.path === path) : []);
  const FieldErrors = ({ path }: { path: string }) => {
    const found = problemsAt(path);
    if (found.length === 0) return null;
    return (
      <span class="field-error" id={`error-${path}`} role="status">
        {found.map((error) => say(error)).join('；')}
      </span>
    );
  };
  const marks = (path: string) => ({ 'aria-invalid': problemsAt(path).length > 0, 'aria-describedby': problemsAt(path).length > 0 ? `error-${path}` : undefined });
  /** An input's handler: the value, and that the clerk has now typed at this path. */
  const typing = (path: string, change: (value: string) => void) => (event: { currentTarget: { value: string } }) => {
    change(event.currentTarget.value);
    if (!typed.has(path)) setTyped(new Set([...typed, path]));
  };
  const setLine = (index: number, change: Partial<DraftLine>) => setLines(lines.map((line, n) => (n === index ? { ...line, ...change } : line)));
  /** The paths the form has a field for; a problem elsewhere (the whole invoice, a line) is listed below the form. */
  const fieldPaths = new Set(['/orderNo', '/remarks', '/drawer', ...BUYER_FIELDS.map((field) => `/buyer/${field}`), ...lines.flatMap((_, index) => ['name', 'taxCode', 'spec', 'unit', 'quantity', 'unitPrice', 'amount', 'taxRate'].map((field) => `/lines/${index}/${field}`))]);
  const elsewhere = submitted ? errors.filter((error) => !fieldPaths.has(error.path)) : [];
  const nothingTyped = typed.size === 0 && !submitted;

  const submit = async (event: Event) => {
    event.preventDefault();
    setSubmitted(true);
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
            <input name="orderNo" required value={orderNo} onInput={typing('/orderNo', setOrderNo)} {...marks('/orderNo')} />
            <FieldErrors path="/orderNo" />
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
          {type === 'special' && <p class="hint">{t('specialNeedsBuyer')}</p>}
          {BUYER_FIELDS.map((field) => {
            const required = field === 'name' || (type === 'special' && SPECIAL_REQUIRES.includes(field));
            return (
              <label key={field}>
                <span>
                  {t(BUYER_WORDS[field])}
                  {required && (
                    <span class="required" aria-hidden="true">
                      {' '}
                      *
                    </span>
                  )}
                </span>
                <input
                  name={`buyer${field[0]!.toUpperCase()}${field.slice(1)}`}
                  inputMode={field === 'email' ? 'email' : field === 'phone' ? 'tel' : undefined}
                  autoComplete="off"
                  required={required}
                  value={buyer[field]}
                  onInput={typing(`/buyer/${field}`, (value) => setBuyer({ ...buyer, [field]: value }))}
                  {...marks(`/buyer/${field}`)}
                />
                <FieldErrors path={`/buyer/${field}`} />
              </label>
            );
          })}
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
                  <input
                    name={`lines.${index}.${field}`}
                    inputMode={['quantity', 'unitPrice', 'amount'].includes(field) ? 'decimal' : undefined}
                    value={line[field]}
                    onInput={typing(`/lines/${index}/${field}`, (value) => setLine(index, { [field]: value }))}
                    {...marks(`/lines/${index}/${field}`)}
                  />
                  <FieldErrors path={`/lines/${index}/${field}`} />
                </label>
              ))}
              <label>
                {t('taxRate')}
                <select name={`lines.${index}.taxRate`} value={line.taxRate} onChange={(event) => setLine(index, { taxRate: event.currentTarget.value })}>
                  {RATES.map(([code, zh, en]) => (
                    <option key={code} value={code}>
                      {language.value === 'zh' ? zh : en}
                    </option>
                  ))}
                </select>
                <FieldErrors path={`/lines/${index}/taxRate`} />
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
          <input name="remarks" value={remarks} onInput={typing('/remarks', setRemarks)} {...marks('/remarks')} />
          <FieldErrors path="/remarks" />
        </label>
        <label>
          {t('drawer')}
          <input name="drawer" value={drawer} onInput={typing('/drawer', setDrawer)} {...marks('/drawer')} />
          <FieldErrors path="/drawer" />
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
            <p>{nothingTyped ? t('computedAsYouType') : errors.length > 0 ? t('fixErrors') : t('loading')}</p>
          )}
        </section>
        {problem && <ProblemText problem={problem} errors={elsewhere} />}
        <button type="submit" disabled={busy}>
          {t('submitIssue')}
        </button>
      </form>
    </main>
  );
}
