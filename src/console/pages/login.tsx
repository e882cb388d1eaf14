// The sign-in page: 用户名, 密码, 登录; for a user with a second factor, then the 动态口令; a wrong
// password or a held-back address is said plainly.
import { useState } from 'preact/hooks';
import { ApiError, signIn } from '../api';
import { problemWords, t } from '../i18n';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password, askTotp ? totp : undefined);
    } catch (failure) {
      const code = failure instanceof ApiError ? failure.problem.code : '';
      if (code === 'second_factor_required') {
        setAskTotp(true);
        return;
      }
      setError(failure instanceof ApiError ? problemWords(failure.problem) : String(failure));
      setTotp('');
      if (code !== 'second_factor_invalid') setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={(event) => void submit(event)} class="card" aria-labelledby="login-title">
        <h1 id="login-title">{t('signInTitle')}</h1>
        <label>
          {t('username')}
          <input name="username" autocomplete="username" required value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
        </label>
        {askTotp && (
          <label>
            {t('totpCode')}
            <input name="totp" autocomplete="one-time-code" inputMode="numeric" required autoFocus value={totp} onInput={(event) => setTotp(event.currentTarget.value)} />
            <small>{t('totpHint')}</small>
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('signIn')}
        </button>
      </form>
    </main>
  );
}
