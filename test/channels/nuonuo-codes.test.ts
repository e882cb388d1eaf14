// What 诺诺's answers mean: credential codes park the channel and are never retried, busy and
// retry-limit codes keep the order (uncertain on a submit), content codes need a person, and the
// statuses of an invoice with the totals 诺诺 reports.
import { describe, expect, it } from 'vitest';
import { answerError, itemOutcome } from '../../src/channels/nuonuo/nuonuo-codes.js';

describe('诺诺 answers', () => {
  it.each([
    ['070101', 'submit', 'auth_failed', 'operator'],
    ['070304', 'submit', 'auth_failed', 'operator'],
    ['070305', 'query', 'auth_failed', 'operator'],
    ['070306', 'submit', 'auth_failed', 'operator'],
    ['070307', 'submit', 'auth_failed', 'operator'],
    ['E9999', 'submit', 'upstream_unavailable', 'uncertain'],
    ['E9613', 'submit', 'upstream_unavailable', 'uncertain'],
    ['E9999', 'query', 'upstream_unavailable', 'retry'],
    ['E9130', 'submit', 'content_rejected', 'rejected'],
    ['E4000', 'submit', 'content_rejected', 'rejected'],
    ['E9338', 'submit', 'content_rejected', 'rejected'],
    ['X1234', 'submit', 'upstream_error', 'uncertain'],
    ['X1234', 'query', 'upstream_error', 'retry'],
    // The drawer's tax-bureau login lapsed: nothing was taken, the channel waits for a person.
    ['E9701', 'submit', 'drawer_login_required', 'operator'],
    ['E9702', 'submit', 'drawer_login_required', 'operator'],
    ['E9701', 'query', 'drawer_login_required', 'operator'],
  ] as const)('%s on a %s: %s, %s', (code, action, expected, disposition) => {
    const error = answerError({ code, describe: '说明' }, action);
    expect(error).toMatchObject({ code: expected, disposition, details: { upstreamCode: code } });
    expect(error.message).toContain(code);
  });

  it('knows a lapsed drawer login by 诺诺’s words when the code is not one we know', () => {
    expect(answerError({ code: 'E8123', describe: '当前开票员登录已失效，请重新登录' }, 'submit')).toMatchObject({ code: 'drawer_login_required', disposition: 'operator' });
    expect(answerError({ code: 'E8124', describe: '请先完成实名认证' }, 'submit')).toMatchObject({ code: 'drawer_login_required', disposition: 'operator' });
    expect(answerError({ code: 'E8125', describe: '开票员名称不一致' }, 'submit')).toMatchObject({ code: 'upstream_error', disposition: 'uncertain' });
  });

  it('reads statuses 20/21 (issuing), 2 (issued), 22 (refused) and 24 (signature failed)', () => {
    expect(itemOutcome({ status: '20' }, 50)).toEqual({ kind: 'accepted', pollAfterMs: 50 });
    expect(itemOutcome({ status: 21 }, 50)).toEqual({ kind: 'accepted', pollAfterMs: 50 });
    expect(itemOutcome({ status: '2', allElectronicInvoiceNumber: '26332000000000000001', invoiceNo: 'x', invoiceTime: 1_790_000_000_000 }, 50)).toEqual({
      kind: 'issued',
      number: '26332000000000000001',
      issuedAt: 1_790_000_000_000,
      simulated: false,
      reportedTotals: {},
    });
    expect(itemOutcome({ status: '22', failCause: '购买方税号有误' }, 50)).toEqual({ kind: 'rejected', upstreamCode: 'status_22', message: '购买方税号有误' });
    expect(itemOutcome({ status: '24' }, 50)).toEqual({ kind: 'signature_failed' });
    expect(() => itemOutcome({ status: '2' }, 50)).toThrow(/without an invoice number/);
    expect(() => itemOutcome({ status: '99' }, 50)).toThrow(/unknown invoice status/);
  });

  it('reports the totals 诺诺 issued, as two-decimal text whatever way 诺诺 wrote them', () => {
    expect(itemOutcome({ status: '2', invoiceNo: '26332000000000000001', exTaxAmount: 1000, taxAmount: '60.0', orderAmount: '1060.00' }, 50)).toMatchObject({
      reportedTotals: { amount: '1000.00', tax: '60.00', total: '1060.00' },
    });
  });
});
