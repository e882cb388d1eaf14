import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  INVOICE_EVENTS,
  isTerminal,
  PENDING_STAGES,
  stateFromKey,
  stateKey,
  transition,
  TRANSITIONS,
  type InvoiceEvent,
  type InvoiceState,
  type StateKey,
} from '../../src/domain/invoice-state.js';

const pending = (stage: (typeof PENDING_STAGES)[number]): InvoiceState => ({ status: 'pending', stage });
const ALL_KEYS = Object.keys(TRANSITIONS) as StateKey[];

describe('invoice state machine', () => {
  it('has a row for every status and stage of api.md', () => {
    expect(ALL_KEYS.sort()).toEqual(
      ['issued', 'rejected', 'failed', ...PENDING_STAGES.map((stage) => `pending/${stage}`)].sort(),
    );
  });

  it.each<[StateKey, InvoiceEvent, StateKey]>([
    ['pending/queued', 'lease_for_submit', 'pending/submitting'],
    ['pending/submitting', 'issued', 'issued'],
    ['pending/submitting', 'accepted', 'pending/awaiting_result'],
    ['pending/submitting', 'rejected', 'rejected'],
    ['pending/submitting', 'not_sent', 'pending/queued'],
    ['pending/submitting', 'outcome_unknown', 'pending/uncertain'],
    ['pending/submitting', 'lease_expired', 'pending/uncertain'],
    ['pending/submitting', 'channel_paused', 'pending/queued'],
    ['pending/submitting', 'gave_up', 'failed'],
    ['pending/uncertain', 'lease_for_query', 'pending/uncertain'],
    ['pending/uncertain', 'issued', 'issued'],
    ['pending/uncertain', 'not_found_upstream', 'pending/queued'],
    ['pending/awaiting_result', 'issued', 'issued'],
    ['pending/awaiting_result', 'rejected', 'rejected'],
    ['pending/awaiting_result', 'not_found_upstream', 'pending/uncertain'],
    ['failed', 'retry_requested', 'pending/queued'],
  ])('%s --%s--> %s', (from, event, to) => {
    expect(stateKey(transition(stateFromKey(from), event))).toBe(to);
  });

  it.each<[StateKey, InvoiceEvent, string]>([
    ['pending/uncertain', 'lease_for_submit', 'an uncertain invoice is queried before anything is sent again'],
    ['pending/uncertain', 'gave_up', 'giving up on an invoice that may exist upstream would be a guess'],
    ['pending/awaiting_result', 'gave_up', 'the upstream has it'],
    ['pending/awaiting_result', 'lease_for_submit', 'the upstream has it'],
    ['pending/queued', 'issued', 'nothing was sent'],
    ['issued', 'retry_requested', 'an issued invoice is never issued again'],
    ['issued', 'rejected', 'issued is final'],
    ['rejected', 'retry_requested', 'a person fixes the request and sends a new one'],
    ['failed', 'issued', 'a failed invoice is not being worked on'],
  ])('refuses %s --%s-- (%s)', (from, event) => {
    expect(() => transition(stateFromKey(from), event)).toThrow(IllegalTransitionError);
  });

  it('moves as docs/states.md draws it: every drawn edge, and nothing else', () => {
    // The drawing, not the table transition() reads: a source of its own to hold the function to.
    const drawing = readFileSync(join(import.meta.dirname, '../../docs/states.md'), 'utf8');
    const key = (name: string) => (ALL_KEYS.includes(name as StateKey) ? name : `pending/${name}`) as StateKey;
    const drawn = new Map([...drawing.matchAll(/^\s+(\S+) -->\|(\w+)\| (\S+)$/gm)].map((m) => [`${key(m[1]!)} ${m[2]!}`, key(m[3]!)]));
    expect(drawn.size).toBeGreaterThan(20);
    for (const from of ALL_KEYS) {
      for (const event of INVOICE_EVENTS) {
        const to = drawn.get(`${from} ${event}`);
        if (to === undefined) expect(() => transition(stateFromKey(from), event), `${from} ${event}`).toThrow(IllegalTransitionError);
        else expect(stateKey(transition(stateFromKey(from), event)), `${from} ${event}`).toBe(to);
      }
    }
  });

  it('only ever leaves uncertain for a state reached by an answer from the upstream', () => {
    const exits = Object.entries(TRANSITIONS['pending/uncertain']).filter(([, to]) => to !== 'pending/uncertain');
    // adopted and confirmation_pending are the upstream's answers too (its day list; its 红字确认单).
    expect(exits.map(([event]) => event).sort()).toEqual(['accepted', 'adopted', 'confirmation_pending', 'issued', 'not_found_upstream', 'rejected']);
  });

  it('can reach issued from queued, and every state is reachable', () => {
    const reached = new Set<StateKey>(['pending/queued']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const from of [...reached]) {
        for (const to of Object.values(TRANSITIONS[from])) {
          if (!reached.has(to)) {
            reached.add(to);
            grew = true;
          }
        }
      }
    }
    expect([...reached].sort()).toEqual([...ALL_KEYS].sort());
  });

  it('names the terminal states', () => {
    expect(ALL_KEYS.filter((key) => isTerminal(stateFromKey(key))).sort()).toEqual(['issued', 'rejected']);
    expect(isTerminal(pending('queued'))).toBe(false);
  });

  it('explains a refusal in its message', () => {
    expect(() => transition(pending('uncertain'), 'lease_for_submit')).toThrow(
      'invoice in state pending/uncertain cannot take event lease_for_submit',
    );
  });
});
