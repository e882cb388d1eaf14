// Issuing one invoice by hand. Every change is computed by the gateway's own rules
// (POST /v1/invoices/preview) as you type: the tax of each line, the totals, the total in Chinese
// capitals, and every problem beside its field, in Chinese or English — a field's problems once
// something was typed in it, all of them once the clerk tries to issue. A 专票 asks for the buyer's
// address, phone, bank and account, as the rules do. The kind of business is chosen first (差额征税,
// a 特定业务 or an ordinary sale), and the form then shows only that kind's fields.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, me, newKey, type FieldProblem, type Problem } from '../api';
import { money } from '../format';
import { language, say, t, type Word } from '../i18n';
import { navigate } from '../router';
import { ProblemText } from '../parts/problem-text';
import { SellerSelect } from '../parts/seller-select';
import type { Invoice, Line } from '../types';
import { blankRow, blankSpecific, BUSINESS_KINDS, SpecificFields, specificBody, specificPaths, type BusinessKind, type SpecificDraft } from '../parts/specific-fields';

interface DraftLine {
  name: string;
  taxCode: string;
  spec: string;
  unit: string;
  quantity: string;
  unitPrice: string;
  amount: string;
  taxRate: string;
  policy: string;
  deduction: string;
}

/** 优惠政策 a clerk picks from (src/domain/tax-policy.ts), with the platform's words. */
const POLICIES: ReadonlyArray<readonly [string, string, string]> = [
  ['exempt', '免税', 'Exempt (免税)'],
  ['not_taxable', '不征税', 'Not taxable (不征税)'],
  ['simplified', '简易征收', 'Simplified levy'],
  ['simplified_3', '按3%简易征收', 'Simplified 3 %'],
  ['simplified_5', '按5%简易征收', 'Simplified 5 %'],
  ['reduced_1_5', '按5%简易征收减按1.5%计征', 'Reduced to 1.5 % (lease)'],
  ['immediate_refund_50', '即征即退50%', 'Immediate refund 50 %'],
  ['immediate_refund_70', '即征即退70%', 'Immediate refund 70 %'],
  ['immediate_refund_100', '即征即退100%', 'Immediate refund 100 %'],
];

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
const blankLine = (): DraftLine => ({ name: '', taxCode: '', spec: '', unit: '', quantity: '', unitPrice: '', amount: '', taxRate: '0.13', policy: '', deduction: '' });

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
  const [payee, setPayee] = useState('');
  const [reviewer, setReviewer] = useState('');
  const [naturalPerson, setNaturalPerson] = useState(false);
  const [business, setBusiness] = useState<BusinessKind>('plain');
  const [specific, setSpecific] = useState<SpecificDraft>(blankSpecific);
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
    const buyerBody: Record<string, string | boolean> = { name: buyer.name.trim() };
    for (const field of BUYER_FIELDS) if (field !== 'name' && buyer[field].trim() !== '') buyerBody[field] = buyer[field].trim();
    if (naturalPerson && type === 'normal') buyerBody.naturalPerson = true;
    const specificBlock = specificBody(business, specific);
    return {
      orderNo: orderNo.trim(),
      type,
      seller: { taxId: seller },
      buyer: buyerBody,
      priceIncludesTax,
      lines: lines.map((line) => ({
        name: line.name.trim(),
        taxCode: line.taxCode.trim(),
        taxRate: line.taxRate,
        ...optional('spec', line.spec),
        ...optional('unit', line.unit),
        ...optional('quantity', line.quantity),
        ...optional('unitPrice', line.unitPrice),
        ...optional('amount', line.amount),
        ...optional('policy', line.policy),
        ...(business === 'differential' ? optional('deduction', line.deduction) : {}),
      })),
      ...optional('remarks', remarks),
      ...optional('drawer', drawer),
      ...optional('payee', payee),
      ...optional('reviewer', reviewer),
      ...(business === 'differential' && { taxation: 'differential' }),
      ...(specificBlock && { specific: specificBlock }),
    };
  }, [seller, orderNo, type, buyer, naturalPerson, priceIncludesTax, lines, remarks, drawer, payee, reviewer, business, specific]);

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
  const fieldPaths = new Set([
    '/orderNo',
    '/remarks',
    '/drawer',
    '/payee',
    '/reviewer',
    '/buyer/naturalPerson',
    ...BUYER_FIELDS.map((field) => `/buyer/${field}`),
    ...lines.flatMap((_, index) => ['name', 'taxCode', 'spec', 'unit', 'quantity', 'unitPrice', 'amount', 'taxRate', 'policy', 'deduction'].map((field) => `/lines/${index}/${field}`)),
    ...specificPaths(business, specific),
  ]);
  const chooseBusiness = (next: BusinessKind) => {
    setBusiness(next);
    setSpecific(next === 'freight' || next === 'passenger' ? { ...blankSpecific(), rows: [blankRow(next)] } : blankSpecific());
    // 差额征税 has one line, its tax from the amount including tax.
    if (next === 'differential') {
      setLines(lines.slice(0, 1));
      setPriceIncludesTax(true);
    }
  };
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
          <legend>{t('business')}</legend>
          <p class="hint">{t('businessHint')}</p>
          <label>
            {t('business')}
            <select name="business" value={business} onChange={(event) => chooseBusiness(event.currentTarget.value as BusinessKind)}>
              {BUSINESS_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {t(kind)}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('seller')}</legend>
          <SellerSelect sellers={sellers} value={seller} onChange={setSeller} />
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
          {type === 'normal' && (
            <label class="check">
              <input type="checkbox" name="naturalPerson" checked={naturalPerson} onChange={(event) => setNaturalPerson(event.currentTarget.checked)} /> {t('naturalPerson')}
              <FieldErrors path="/buyer/naturalPerson" />
            </label>
          )}
        </fieldset>
        <SpecificFields
          kind={business}
          draft={specific}
          onChange={(draft, path) => {
            setSpecific(draft);
            if (!typed.has(path)) setTyped(new Set([...typed, path]));
          }}
          errorsAt={(path) => <FieldErrors path={path} />}
          marks={marks}
        />
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
              <label>
                {t('policy')}
                <select name={`lines.${index}.policy`} value={line.policy} onChange={(event) => setLine(index, { policy: event.currentTarget.value })}>
                  <option value="">{t('noPolicy')}</option>
                  {POLICIES.map(([code, zh, en]) => (
                    <option key={code} value={code}>
                      {language.value === 'zh' ? zh : en}
                    </option>
                  ))}
                </select>
                <FieldErrors path={`/lines/${index}/policy`} />
              </label>
              {business === 'differential' && (
                <label>
                  {t('deduction')}
                  <input name={`lines.${index}.deduction`} inputMode="decimal" value={line.deduction} onInput={typing(`/lines/${index}/deduction`, (value) => setLine(index, { deduction: value }))} {...marks(`/lines/${index}/deduction`)} />
                  <FieldErrors path={`/lines/${index}/deduction`} />
                </label>
              )}
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
          {business !== 'differential' && (
            <button type="button" class="secondary" onClick={() => setLines([...lines, blankLine()])}>
              {t('addLine')}
            </button>
          )}
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
        <label>
          {t('payee')}
          <input name="payee" value={payee} onInput={typing('/payee', setPayee)} {...marks('/payee')} />
          <FieldErrors path="/payee" />
        </label>
        <label>
          {t('reviewer')}
          <input name="reviewer" value={reviewer} onInput={typing('/reviewer', setReviewer)} {...marks('/reviewer')} />
          <FieldErrors path="/reviewer" />
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
