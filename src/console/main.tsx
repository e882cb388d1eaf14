// The console: signs a person in, then shows the page for the path, with the outage banner on every page.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { can, loadMe, me, signOut } from './api';
import { language, setLanguage, t } from './i18n';
import { Banner } from './parts/banner';
import { Batches } from './pages/batches';
import { Channels } from './pages/channels';
import { InvoiceDetail } from './pages/invoice-detail';
import { Invoices } from './pages/invoices';
import { Issue } from './pages/issue';
import { Login } from './pages/login';
import { Security } from './pages/security';
import { QuotaPage } from './pages/quota';
import { linkProps, path } from './router';
import './style.css';

function Page() {
  const current = path.value;
  // Until a required second factor is on, the console is only the page that turns it on.
  if (current === '/security' || (me.value?.secondFactor.required && !me.value.secondFactor.enrolled)) return <Security />;
  const detail = /^\/invoices\/(inv_[0-9A-Za-z]+)$/.exec(current);
  if (detail) return <InvoiceDetail id={detail[1]!} />;
  if (current === '/issue' && can('issue')) return <Issue />;
  const batch = /^\/batches(?:\/(bat_[0-9A-Za-z]+))?$/.exec(current);
  if (batch) return <Batches {...(batch[1] && { id: batch[1] })} />;
  if (current === '/channels') return <Channels />;
  if (current === '/quota') return <QuotaPage />;
  return <Invoices />;
}

function App() {
  useEffect(() => {
    void loadMe();
  }, []);
  document.documentElement.lang = language.value === 'zh' ? 'zh-CN' : 'en';
  const user = me.value;
  if (user === undefined) return <p class="loading">{t('loading')}</p>;
  const languageSwitch = (
    <button type="button" class="link" onClick={() => setLanguage(language.value === 'zh' ? 'en' : 'zh')} lang={language.value === 'zh' ? 'en' : 'zh-CN'}>
      {t('switchLanguage')}
    </button>
  );
  if (user === null)
    return (
      <>
        <header class="top">
          <span class="brand">{t('brand')}</span>
          {languageSwitch}
        </header>
        <Login />
      </>
    );
  const here = path.value;
  const nav = (to: string, word: Parameters<typeof t>[0]) => (
    <a {...linkProps(to)} aria-current={here === to || (to === '/invoices' && (here === '/' || here.startsWith('/invoices'))) ? 'page' : undefined}>
      {t(word)}
    </a>
  );
  return (
    <>
      <header class="top">
        <span class="brand">{t('brand')}</span>
        <nav aria-label="main">
          {nav('/invoices', 'invoices')}
          {can('issue') && nav('/issue', 'issue')}
          {nav('/batches', 'batches')}
          {nav('/channels', 'channels')}
          {nav('/quota', 'quota')}
          {nav('/security', 'security')}
        </nav>
        <span class="user">
          {user.username} · {t(user.role)}
        </span>
        {languageSwitch}
        <button type="button" class="link" onClick={() => void signOut()}>
          {t('signOut')}
        </button>
      </header>
      <Banner />
      <Page />
    </>
  );
}

render(<App />, document.getElementById('app')!);
