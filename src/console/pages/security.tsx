// 账户安全: the signed-in user's second factor — on or off, and turning it on: a QR code to scan
// (or the secret to type), its first code to confirm, and the recovery codes shown once.
import { useState } from 'preact/hooks';
import { ApiError, loadMe, me, secondFactor } from '../api';
import { problemWords, t } from '../i18n';

export function Security() {
  const [offer, setOffer] = useState<{ secret: string; qrSvg: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const enrolled = me.value?.secondFactor.enrolled ?? false;
  const failed = (failure: unknown) => setError(failure instanceof ApiError ? problemWords(failure.problem) : String(failure));
  const start = async () => {
    setError(null);
    try {
      setOffer(await secondFactor.offer());
    } catch (failure) {
      failed(failure);
    }
  };
  const confirm = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      setCodes((await secondFactor.confirm(code)).recoveryCodes);
      setOffer(null);
    } catch (failure) {
      failed(failure);
    }
  };
  return (
    <main>
      <h1>{t('security')}</h1>
      <section class="card" aria-labelledby="second-factor">
        <h2 id="second-factor">{t('secondFactorTitle')}</h2>
        {!enrolled && me.value?.secondFactor.required && <p class="error">{t('secondFactorRequired')}</p>}
        <p>{enrolled ? t('secondFactorOn') : t('secondFactorOff')}</p>
        {!enrolled && !offer && !codes && (
          <button type="button" onClick={() => void start()}>
            {t('secondFactorStart')}
          </button>
        )}
        {offer && (
          <form onSubmit={(event) => void confirm(event)}>
            <p>{t('secondFactorScan')}</p>
            <img class="qr" alt={t('secondFactorScan')} src={`data:image/svg+xml;base64,${btoa(offer.qrSvg)}`} width={200} height={200} />
            <p>
              {t('secondFactorSecret')}: <code data-testid="totp-secret">{offer.secret}</code>
            </p>
            <label>
              {t('totpCode')}
              <input name="code" autocomplete="one-time-code" inputMode="numeric" required value={code} onInput={(event) => setCode(event.currentTarget.value)} />
            </label>
            <button type="submit">{t('secondFactorConfirm')}</button>
          </form>
        )}
        {codes && (
          <div>
            <h3>{t('recoveryCodesTitle')}</h3>
            <p>{t('recoveryCodesHint')}</p>
            <ul class="recovery-codes" data-testid="recovery-codes">
              {codes.map((item) => (
                <li key={item}>
                  <code>{item}</code>
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => void loadMe()}>
              {t('secondFactorConfirm')}
            </button>
          </div>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
    </main>
  );
}
