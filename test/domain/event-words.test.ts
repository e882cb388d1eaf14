// Every event, state and attempt outcome the gateway writes reads as a sentence in both languages;
// the timeline and the last error never show a raw code alone.
import { describe, expect, it } from 'vitest';
import { attemptWords, auditWords, errorWords, EVENT_WORDS, OUTCOME_WORDS, STATE_WORDS } from '../../src/domain/event-words.js';
import { INVOICE_EVENTS, INVOICE_STATUSES, PENDING_STAGES } from '../../src/domain/invoice-state.js';
import { DISPOSITIONS } from '../../src/channels/channel-error.js';

const CHINESE = /[\u4e00-\u9fff]/;

describe('event words', () => {
  it('has Chinese and English for every event, state and outcome', () => {
    for (const event of INVOICE_EVENTS) expect(EVENT_WORDS[event]?.zh, event).toMatch(CHINESE);
    for (const state of [...PENDING_STAGES.map((stage) => `pending/${stage}`), ...INVOICE_STATUSES.filter((status) => status !== 'pending')]) expect(STATE_WORDS[state]?.zh, state).toMatch(CHINESE);
    for (const outcome of ['issued', 'accepted', 'awaiting_confirmation', 'rejected', 'not_found', ...DISPOSITIONS]) expect(OUTCOME_WORDS[outcome]?.zh, outcome).toMatch(CHINESE);
  });

  it('says an audit entry with the state it led to and why', () => {
    expect(auditWords('accepted', null, 'pending/queued')).toEqual({ zh: '已受理（排队中）', en: 'accepted (queued)' });
    expect(auditWords('outcome_unknown', 'pending/submitting', 'pending/uncertain', 'timeout_after_send').zh).toBe('结果未知，将查询确认（结果待确认；上游未在规定时间内应答）');
    expect(auditWords('lease_for_submit', 'pending/queued', 'pending/submitting').zh).not.toContain('lease');
  });

  it('says an attempt: the action, the channel, the outcome and the error', () => {
    expect(attemptWords('submit', 'sim', 'retry', 'connect_failed')).toEqual({ zh: '提交至 sim：未送达，可重发（连接上游被拒绝或主机不可达）', en: 'submit to sim: not delivered; safe to resend (the connection to the upstream was refused or the host is unreachable)' });
    expect(attemptWords('query', 'sim', 'issued', null).zh).toBe('查询至 sim：已开具');
  });

  it("reads an upstream's own refusal code, and leaves an unknown code as it is", () => {
    expect(errorWords('upstream_E1001').zh).toBe('上游拒绝开具（代码 E1001）');
    expect(errorWords('upstream_confirmation_07').en).toBe('the red-letter form did not take effect (state 07)');
    expect(errorWords('something_new')).toEqual({ zh: 'something_new', en: 'something_new' });
  });
});
