// The one table from use-case refusals to problem documents: every kind answers a client error (or
// 503 for a busy gateway) with the code its meaning has, and a success passes through untouched.
import { describe, expect, it } from 'vitest';
import { fieldError } from '../../src/domain/field-error.js';
import type { Refusal, RefusalKind } from '../../src/domain/refusal.js';
import { found, refusalProblem, unlessRefused } from '../../src/api/refusal-problems.js';
import { ApiProblem } from '../../src/api/problem.js';

const ERRORS = [fieldError('/lines/0/amount', 'field_required')];

// One example of each kind, with the problem code it must become: a kind added to Refusal without
// an example here does not compile.
const EXAMPLES: { readonly [K in RefusalKind]: readonly [Extract<Refusal, { kind: K }>, string, number] } = {
  not_found: [{ kind: 'not_found', subject: 'invoice inv_X' }, 'not_found', 404],
  invalid: [{ kind: 'invalid', of: 'red_flush', errors: ERRORS }, 'red_flush_invalid', 422],
  seller_forbidden: [{ kind: 'seller_forbidden', sellers: ['91330100799655058B'] }, 'seller_forbidden', 403],
  key_reused: [{ kind: 'key_reused', key: 'k1', invoiceId: 'inv_1' }, 'idempotency_key_reused', 409],
  order_no_taken: [{ kind: 'order_no_taken', orderNo: 'A-1', sellerTaxId: '91330100799655058B', invoiceId: 'inv_1', status: 'issued' }, 'order_no_taken', 409],
  not_failed: [{ kind: 'not_failed', invoiceId: 'inv_1', status: 'issued' }, 'invoice_not_failed', 409],
  quota_exceeded: [{ kind: 'quota_exceeded', sellerTaxId: '91330100799655058B', amount: '500.00', remaining: '300.00', available: '200.00', reserve: '0.00' }, 'quota_exceeded', 409],
  not_issued: [{ kind: 'not_issued', invoiceId: 'inv_1', status: 'pending' }, 'invoice_not_issued', 409],
  documents_not_ready: [{ kind: 'documents_not_ready', detail: undefined }, 'documents_not_ready', 409],
  red_of_red: [{ kind: 'red_of_red', invoiceId: 'inv_1' }, 'red_flush_of_red', 409],
  not_withdrawable: [{ kind: 'not_withdrawable', invoiceId: 'inv_1', status: 'issued' }, 'red_not_withdrawable', 409],
  withdraw_unsupported: [{ kind: 'withdraw_unsupported', channel: 'sim' }, 'withdraw_unsupported', 409],
  withdraw_failed: [{ kind: 'withdraw_failed', detail: '70035 state', retryAfterSeconds: 30 }, 'upstream_unavailable', 503],
  exceeds: [{ kind: 'exceeds', errors: ERRORS }, 'red_flush_exceeds_blue', 409],
  email_not_configured: [{ kind: 'email_not_configured' }, 'email_not_configured', 409],
  address_missing: [{ kind: 'address_missing', invoiceId: 'inv_1' }, 'delivery_address_missing', 422],
  address_forbidden: [{ kind: 'address_forbidden' }, 'delivery_address_forbidden', 403],
  email_limited: [{ kind: 'email_limited', detail: 'five a day', retryAfterSeconds: 60 }, 'email_limit_reached', 429],
  refused: [{ kind: 'refused' }, 'login_failed', 401],
  throttled: [{ kind: 'throttled', retryAfterSeconds: 30 }, 'sign_in_throttled', 429],
  busy: [{ kind: 'busy', retryAfterSeconds: 1, detail: 'busy' }, 'overloaded', 503],
  batch_file_refused: [{ kind: 'batch_file_refused', problems: [{ code: 'file_not_xlsx', message: 'not a workbook', messageZh: '不是工作簿' }] }, 'batch_file_invalid', 422],
  second_factor_required: [{ kind: 'second_factor_required' }, 'second_factor_required', 401],
  second_factor_invalid: [{ kind: 'second_factor_invalid' }, 'second_factor_invalid', 401],
  second_factor_not_offered: [{ kind: 'second_factor_not_offered' }, 'second_factor_not_offered', 409],
  session_invalid: [{ kind: 'session_invalid' }, 'session_invalid', 401],
  csrf_token_invalid: [{ kind: 'csrf_token_invalid' }, 'csrf_token_invalid', 403],
  second_factor_enrolment_required: [{ kind: 'second_factor_enrolment_required' }, 'second_factor_enrolment_required', 403],
};

describe('refusal problems', () => {
  it.each(Object.entries(EXAMPLES))('%s becomes its problem document', (_kind, [refusal, code, status]) => {
    const problem = refusalProblem(refusal);
    expect(problem.code).toBe(code);
    expect(problem.status).toBe(status);
    // Whatever tells a client when to come back is said in Retry-After.
    if (status === 429 || status === 503) expect(Number(problem.extras.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('says a refused withdrawal is the upstream’s word (409), and one that could not be asked is 503 with Retry-After', () => {
    expect(refusalProblem({ kind: 'withdraw_failed', detail: '70035 红字确认单状态不允许此操作' })).toMatchObject({ code: 'withdraw_refused', status: 409 });
  });

  it('says which field broke which rule, and which invoice a taken order number belongs to', () => {
    expect(refusalProblem({ kind: 'invalid', of: 'invoice', errors: ERRORS }).extras.errors).toEqual(ERRORS);
    const taken = refusalProblem(EXAMPLES.order_no_taken[0]);
    expect(taken.extras.members).toEqual({ invoiceId: 'inv_1' });
    expect(taken.extras.headers?.location).toBe('/v1/invoices/inv_1');
  });

  it('throws a refusal and hands back anything else', () => {
    const created = { kind: 'created', invoice: { id: 'inv_1' } } as const;
    expect(unlessRefused(created)).toBe(created);
    expect(() => unlessRefused(EXAMPLES.not_failed[0] as Refusal | typeof created)).toThrow(ApiProblem);
    expect(found(0, 'thing')).toBe(0);
    expect(() => found(undefined, 'invoice inv_9')).toThrow('no invoice inv_9');
  });
});
