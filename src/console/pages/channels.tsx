// Each channel: its state (circuit, pause, isolation), error rate, last success, the last error
// with its likely cause and remedy from the doctor's knowledge base, and for operators the doctor's
// layered checks on demand, and isolate / restore.
import { useState } from 'preact/hooks';
import { api, ApiError, can, type Problem } from '../api';
import { dateTime, percent } from '../format';
import { isWord, language, problemWords, t, words } from '../i18n';
import { isDown, waitingInvoices } from '../parts/banner';
import { usePolling } from '../parts/use-polling';
import type { Channel, ChannelList, DoctorReport } from '../types';

/** A word of the i18n table by key, or the key itself when the table has none. */
const named = (key: string) => (isWord(key) ? t(key) : key);

/** A certificate that expires within 30 days (or has) is shown as a warning. */
const certificateSoon = (iso: string | null) => iso !== null && Date.parse(iso) - Date.now() < 30 * 86_400_000;

function stateOf(channel: Channel): string {
  if (channel.isolated) return t('isolated');
  if (channel.pausedUntil) return t('paused');
  if (channel.circuit === 'open') return t('down');
  if (channel.circuit === 'half_open') return t('recovering');
  return t('healthy');
}

export function Channels() {
  const [list, setList] = useState<ChannelList | null>(null);
  const [reports, setReports] = useState<Record<string, DoctorReport | 'running'>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const read = () => api.get<ChannelList>('/v1/channels').then(setList);
  usePolling(() => api.get<ChannelList>('/v1/channels'), { intervalMs: 3000, deps: [], onValue: setList });
  const doctor = async (name: string) => {
    setReports({ ...reports, [name]: 'running' });
    try {
      const report = await api.post<DoctorReport>(`/v1/channels/${name}/doctor`);
      setReports((current) => ({ ...current, [name]: report }));
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };
  const isolation = async (name: string, action: 'isolate' | 'restore') => {
    try {
      await api.post(`/v1/channels/${name}/${action}`);
      await read();
    } catch (failure) {
      if (failure instanceof ApiError) setProblem(failure.problem);
    }
  };
  const [colon, open, close] = language.value === 'zh' ? ['：', '（', '）'] : [': ', ' (', ')'];
  return (
    <main>
      <h1>{t('channels')}</h1>
      {list && (
        // The banner's figure, from the same list: every waiting invoice, and those not yet given to a channel.
        <p class="summary" data-testid="waiting-total">
          {`${t('waitingTotal')}${colon}${waitingInvoices(list)}`}
          {list.unbound.backlog > 0 && `${open}${t('waitingUnbound')}${colon}${list.unbound.backlog}${close}`}
        </p>
      )}
      {problem && (
        <p class="error" role="alert">
          {problemWords(problem)}
        </p>
      )}
      {!list && <p>{t('loading')}</p>}
      <div class="channels">
        {list?.data.map((channel) => {
          const report = reports[channel.name];
          return (
            <article key={channel.name} class={`card channel ${isDown(channel) ? 'channel-down' : ''}`} aria-label={channel.name}>
              <h2>
                {channel.name} <span class={`badge ${isDown(channel) || channel.isolated ? 'badge-failed' : 'badge-issued'}`}>{stateOf(channel)}</span>
              </h2>
              <dl>
                <dt>{t('errorRate')}</dt>
                <dd>{percent(channel.errorRate)}</dd>
                <dt>{t('lastSuccess')}</dt>
                <dd>{dateTime(channel.lastSuccessAt)}</dd>
                <dt>{t('latency')}</dt>
                <dd>{channel.latencyMs ? `p50 ${channel.latencyMs.p50} ms · p95 ${channel.latencyMs.p95} ms` : '—'}</dd>
                <dt>{t('certificate')}</dt>
                <dd class={certificateSoon(channel.certificateExpiresAt) ? 'warn' : undefined}>{channel.certificateExpiresAt ? dateTime(channel.certificateExpiresAt) : '—'}</dd>
                <dt>{t('backlog')}</dt>
                <dd>{channel.backlog}</dd>
              </dl>
              {channel.lastError && (
                <div class="last-error">
                  <p>
                    {t('lastError')}
                    {open}
                    {dateTime(channel.lastError.at)}
                    {close}
                    {colon}
                    {words(channel.lastError.text)} <code title={t('errorCode')}>{channel.lastError.code}</code>
                  </p>
                  {channel.lastError.message !== channel.lastError.text.en && channel.lastError.message !== '' && (
                    <p class="upstream-words">
                      {t('upstreamWords')}
                      {colon}
                      {channel.lastError.message}
                    </p>
                  )}
                  {channel.lastError.cause && (
                    <p>
                      <strong>{t('cause')}：</strong>
                      {words(channel.lastError.cause)}
                    </p>
                  )}
                  {channel.lastError.remedy && (
                    <p>
                      <strong>{t('remedy')}：</strong>
                      {words(channel.lastError.remedy)}
                    </p>
                  )}
                </div>
              )}
              {can('operator') && (
                <div class="toolbar">
                  <button type="button" onClick={() => void doctor(channel.name)} disabled={report === 'running'}>
                    {report === 'running' ? t('running') : t('runDoctor')}
                  </button>
                  <button type="button" class="secondary" onClick={() => void isolation(channel.name, channel.isolated ? 'restore' : 'isolate')}>
                    {channel.isolated ? t('restore') : t('isolate')}
                  </button>
                </div>
              )}
              {report && report !== 'running' && (
                <div class="table-wrap">
                  <table class="doctor">
                    <thead>
                      <tr>
                        <th scope="col">{t('layer')}</th>
                        <th scope="col">{t('check')}</th>
                        <th scope="col">{t('status')}</th>
                        <th scope="col">{t('detail')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.checks.map((check, index) => (
                        <tr key={index} class={`check-${check.status}`}>
                          <td>{named(`layer_${check.layer}`)}</td>
                          <td>{check.name}</td>
                          <td>{named(`check_${check.status}`)}</td>
                          <td>
                            {check.detail}
                            {check.remedy && <div class="remedy">{words(check.remedy)}</div>}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </article>
          );
        })}
      </div>
    </main>
  );
}
