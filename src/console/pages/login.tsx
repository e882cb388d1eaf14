// The sign-in page: 用户名, 密码, 登录; a wrong password or a locked user is said plainly.
import { useState } from 'preact/hooks';
import { ApiError, signIn } from '../api';
import { problemWords, t } from '../i18n';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (failure) {
      setError(failure instanceof ApiError ? problemWords(failure.problem) : String(failure));
      setPassword('');
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
