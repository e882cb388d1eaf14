/**
 * The gateway layer: the running gateway's own view. Circuit states and pauses live in its memory,
 * so they are read from its /metrics; the backlog and the last attempts from the database.
 */
import { recentAttemptOutcomes } from '../store/attempt-log.js';
import { request } from 'undici';
import { errorCode } from '../channels/transport-error.js';
import { backlogTotal, pendingBacklog } from '../store/backlog.js';
import type { Store } from '../store/database.js';
import { fail, ok, warn, type Finding } from './check.js';
import { errorName } from '../domain/error-message.js';

/** Same thresholds as the FapiaoBacklogOld alert (deploy/prometheus/alerts.yml). */
const BACKLOG_WARN_MS = 15 * 60_000;
const BACKLOG_FAIL_MS = 60 * 60_000;
/** Share of failed calls among the last ones above which the gateway is struggling. */
const FAILING_SHARE = 0.5;
const RECENT_ATTEMPTS = 100;

export interface ChannelState {
  readonly circuit: 'closed' | 'half_open' | 'open';
  readonly paused: boolean;
}

/** Reads each channel's breaker and pause from the gateway's metrics. */
export async function readChannelStates(gatewayUrl: string, timeoutMs: number): Promise<Map<string, ChannelState> | { error: string }> {
  try {
    const response = await request(new URL('/metrics', gatewayUrl), { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { error: `${gatewayUrl}/metrics answered ${response.statusCode}` };
    const states = new Map<string, ChannelState>();
    const series = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{channel="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])] as const);
    for (const [channel, value] of series('fapiao_circuit_state')) {
      states.set(channel, { circuit: value === 2 ? 'open' : value === 1 ? 'half_open' : 'closed', paused: false });
    }
    for (const [channel, value] of series('fapiao_channel_paused')) {
      states.set(channel, { circuit: states.get(channel)?.circuit ?? 'closed', paused: value === 1 });
    }
    return states;
  } catch (error) {
    return { error: `no gateway answers at ${gatewayUrl} (${errorCode(error) || errorName(error)})` };
  }
}

export function circuitFinding(channel: string, state: ChannelState | undefined): Finding {
  if (!state) return warn('gateway.channel_unknown', `the running gateway has no channel named ${channel}`);
  if (state.paused) return fail('gateway.channel_paused', `${channel} is paused: its credentials were refused`);
  if (state.circuit === 'open') return fail('gateway.circuit_open', `${channel}: circuit open, nothing is being sent`);
  if (state.circuit === 'half_open') return warn('gateway.circuit_open', `${channel}: circuit half-open, trying one call`);
  return ok(`${channel}: circuit closed`);
}

export async function backlogFinding(store: Store, now: number): Promise<Finding> {
  const { count, oldestCreatedAt } = backlogTotal(await pendingBacklog(store.db));
  if (oldestCreatedAt === null) return ok('no invoice waiting');
  const age = now - oldestCreatedAt;
  const detail = `${count} invoice${count === 1 ? '' : 's'} waiting, the oldest for ${ageText(age)}`;
  if (age > BACKLOG_FAIL_MS) return fail('gateway.backlog_old', detail);
  if (age > BACKLOG_WARN_MS) return warn('gateway.backlog_old', detail);
  return ok(detail);
}

export async function recentAttemptsFinding(store: Store): Promise<Finding> {
  const attempts = await recentAttemptOutcomes(store.db, RECENT_ATTEMPTS);
  if (attempts.length === 0) return ok('no upstream call recorded yet');
  const byError = new Map<string, number>();
  for (const attempt of attempts) if (attempt.error_code) byError.set(attempt.error_code, (byError.get(attempt.error_code) ?? 0) + 1);
  const failed = [...byError.values()].reduce((a, b) => a + b, 0);
  const classes = [...byError.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
  const detail = `last ${attempts.length} calls: ${attempts.length - failed} answered, ${failed} failed${classes ? ` (${classes})` : ''}`;
  return failed / attempts.length > FAILING_SHARE ? warn('gateway.attempts_failing', detail) : ok(detail);
}

function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
