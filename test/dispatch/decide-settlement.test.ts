// What a "not found" means: proof that nothing was issued only when the upstream says so itself,
// or when its declared settle window has passed since the invoice was last sent; an invoice the
// upstream accepted once is never sent again on a "not found".
import { describe, expect, it } from 'vitest';
import { ChannelError } from '../../src/channels/channel-error.js';
import { decideFailure, decideOutcome, decideResend, sendsAgainHere, type AttemptContext } from '../../src/dispatch/decide-settlement.js';

const NOW = 1_790_000_000_000;
const context = (overrides: Partial<AttemptContext> = {}): AttemptContext => ({
  action: 'query',
  stage: 'uncertain',
  channel: 'nuonuo',
  attempts: 1,
  giveUpAt: NOW + 86_400_000,
  startedAt: NOW - 5,
  now: NOW,
  backoff: { baseMs: 100, capMs: 1000 },
  random: 0.5,
  lastSentAt: NOW - 60_000,
  settleWindowMs: 600_000,
  ...overrides,
});

describe('a "not found" from the upstream', () => {
  it('frees an uncertain invoice when the upstream’s word is proof', () => {
    expect(decideOutcome(context({ settleWindowMs: undefined }), { kind: 'not_found', authoritative: true })).toMatchObject({ event: 'not_found_upstream', channel: null });
  });

  it('proves nothing inside the settle window, nor ever without one, nor without a send time', () => {
    for (const overrides of [{}, { settleWindowMs: undefined, lastSentAt: NOW - 86_400_000 }, { lastSentAt: null }]) {
      expect(decideOutcome(context(overrides), { kind: 'not_found', authoritative: false })).toMatchObject({ event: 'query_failed', channel: 'nuonuo', error: { code: 'not_found_unconfirmed' } });
    }
  });

  it('frees an uncertain invoice once the settle window has passed since it was last sent', () => {
    expect(decideOutcome(context({ lastSentAt: NOW - 600_000 }), { kind: 'not_found', authoritative: false })).toMatchObject({ event: 'not_found_upstream', channel: null });
  });

  it('never frees an invoice the upstream accepted once: it is asked again, bound where it is', () => {
    const settlement = decideOutcome(context({ stage: 'awaiting_result', lastSentAt: NOW - 3_600_000 }), { kind: 'not_found', authoritative: false });
    expect(settlement).toMatchObject({ event: 'not_found_upstream', channel: 'nuonuo' });
    expect(settlement.nextAttemptAt).toBeGreaterThan(NOW);
  });
});

describe("an upstream's Retry-After", () => {
  const submit = context({ action: 'submit', stage: 'submitting' });

  it('holds the channel, not an invoice that provably never arrived: back in line at once, unbound', () => {
    const settlement = decideFailure(submit, new ChannelError('upstream_unavailable', 'retry', '诺诺 answered 503', { upstreamCode: 'http_503', retryAfterMs: 90_000 }));
    expect(settlement).toMatchObject({ event: 'not_sent', channel: null });
    expect(settlement.nextAttemptAt).toBeLessThanOrEqual(NOW + 250);
  });

  it('still paces a 429: the upstream is up and asks every caller to slow down', () => {
    const settlement = decideFailure(submit, new ChannelError('rate_limited', 'retry', 'rate limited', { retryAfterMs: 2000 }));
    expect(settlement.nextAttemptAt).toBeGreaterThanOrEqual(NOW + 2000);
  });

  it('does not free an invoice that may have arrived (a 502 after the work): it stays bound and is asked about', () => {
    const settlement = decideFailure(submit, new ChannelError('upstream_unavailable', 'uncertain', '诺诺 answered 502', { retryAfterMs: 90_000 }));
    expect(settlement).toMatchObject({ event: 'outcome_unknown', channel: 'nuonuo' });
  });
});

describe('an uncertain invoice its channel cannot find yet', () => {
  const queried = context({ lastSentAt: NOW - 1000 });
  const resend = { ...queried, startedAt: NOW + 10, now: NOW + 40 };

  it('is sent again at once only where the upstream refuses a repeated serial, and only while the not-found proves nothing', () => {
    expect(sendsAgainHere(queried, { kind: 'not_found', authoritative: false }, true)).toBe(true);
    expect(sendsAgainHere(queried, { kind: 'not_found', authoritative: false }, false)).toBe(false);
    expect(sendsAgainHere(queried, { kind: 'not_found', authoritative: true }, true)).toBe(false);
    expect(sendsAgainHere(context({ stage: 'awaiting_result' }), { kind: 'not_found', authoritative: false }, true)).toBe(false);
  });

  it('counts the second send as a submit, keeps the query on the timeline and restarts the settle window', () => {
    const settlement = decideResend(queried, resend, { outcome: { kind: 'accepted', pollAfterMs: 50 } });
    expect(settlement).toMatchObject({ event: 'accepted', channel: 'nuonuo', sentAt: NOW + 10, attempt: { action: 'submit', outcome: 'accepted' }, queried: { action: 'query', outcome: 'not_found', durationMs: 15 } });
  });

  it('stays uncertain and bound where it is when the second send fails, whatever the failure', () => {
    for (const error of [new ChannelError('connect_failed', 'retry', 'refused'), new ChannelError('connection_reset', 'uncertain', 'reset'), new Error('bug')]) {
      expect(decideResend(queried, resend, { error })).toMatchObject({ event: 'query_failed', channel: 'nuonuo', sentAt: NOW + 10 });
    }
    expect(decideResend(queried, resend, { error: new ChannelError('auth_failed', 'operator', 'refused') })).toMatchObject({ event: 'channel_paused', channel: 'nuonuo' });
  });
});
