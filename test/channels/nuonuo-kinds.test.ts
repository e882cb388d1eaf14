// Each kind of invoice through the 诺诺 adapter to the simulator speaking 诺诺, which checks the
// kind's fields as 诺诺 would: the order carries 特定要素, 差额征税, 优惠政策, the natural person and
// 收款人/复核人; the simulator refuses an order that gets a kind wrong.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NuonuoChannel } from '../../src/channels/nuonuo/nuonuo-channel.js';
import { nuonuoOrder } from '../../src/channels/nuonuo/nuonuo-order.js';
import { MemoryTokenShelf } from '../../src/channels/token-shelf.js';
import { computedInvoiceJson } from '../../src/domain/invoice-json.js';
import { previewInvoice } from '../../src/domain/preview-invoice.js';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { orderKindRefusal } from '../../src/simulator/nuonuo-order-rules.js';
import { startSimulator } from '../../src/simulator/simulator-server.js';
import { KIND_REQUESTS, type JsonRecord } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';

const CREDENTIALS = { appKey: 'SIMAPPKEY', appSecret: 'sim-app-secret' };
const SELLER = '91330106MA2B0Y5R34';
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.close();
});

let serial = 0;
function issueRequest(body: JsonRecord) {
  const preview = previewInvoice(body);
  if (!preview.ok) throw new Error(JSON.stringify(preview.errors));
  const serialNo = `01KK${String(Date.now()).slice(-8)}${String(++serial).padStart(8, '0')}`;
  return { serialNo, sellerTaxId: SELLER, orderNo: String(body.orderNo), invoice: { ...computedInvoiceJson(preview.invoice), seller: { taxId: SELLER, name: '演示科技（杭州）有限公司' } } };
}

const order = (body: JsonRecord) => nuonuoOrder(issueRequest(body), { clerk: '开票员', now: Date.parse('2026-12-02T10:00:00+08:00') }) as Record<string, unknown>;
const detailsOf = (o: Record<string, unknown>) => o.invoiceDetail as Array<Record<string, string>>;

describe('kinds of invoice in a 诺诺 order', () => {
  it('maps each field where 诺诺 reads it', () => {
    const lease = order(KIND_REQUESTS.propertyLease());
    expect(lease).toMatchObject({ specificFactor: '6', realPropertyRentList: [{ realPropertyAddress: '浙江省杭州市', rentStartDate: '2026-12-01', rentEndDate: '2026-12-31', crossCityFlag: 'N', areaUnit: '平方米' }] });
    expect(order(KIND_REQUESTS.construction())).toMatchObject({ specificFactor: '3', buildingServiceList: [{ buildingProjectName: '星湖街厂房改造工程', crossCityFlag: 'Y' }] });
    expect((order(KIND_REQUESTS.freight()).freightList as unknown[]).length).toBe(2);
    expect(order(KIND_REQUESTS.passenger())).toMatchObject({ specificFactor: '9', passengerList: [{ traveler: '李四', seatLevel: '二等座', travelDate: '2026-12-05' }] });
    const differential = order(KIND_REQUESTS.differential());
    expect(differential).toMatchObject({ invoiceDifferenceType: '02' });
    expect(detailsOf(differential)[0]).toMatchObject({ deduction: '6000.00', tax: '226.42', taxIncludedAmount: '10000.00' });
    const person = order(KIND_REQUESTS.exemptForPerson());
    // 诺诺 appends （个人） itself: the order carries the name as given, and the flag.
    expect(person).toMatchObject({ buyerName: '张三', naturalPersonFlag: '1', payee: '李出纳', checker: '赵复核', clerk: '王会计' });
    expect(detailsOf(person)[0]).toMatchObject({ taxRate: '0', favouredPolicyFlag: '03' });
  });

  it('has the simulator refuse an order that gets a kind wrong', () => {
    const lease = order(KIND_REQUESTS.propertyLease());
    expect(orderKindRefusal({ ...lease, realPropertyRentList: [] }, detailsOf(lease))).toBe('特定要素6须填写realPropertyRentList');
    expect(orderKindRefusal(lease, [{ ...detailsOf(lease)[0], unit: '个' }])).toBe('第1行不动产经营租赁单位须为面积单位');
    expect(orderKindRefusal({ ...lease, specificFactor: '7' }, detailsOf(lease))).toBe('特定要素[7]不支持');
    const differential = order(KIND_REQUESTS.differential());
    expect(orderKindRefusal(differential, [{ ...detailsOf(differential)[0], tax: '240.00' }])).toBe('差额征税税额误差超过0.06');
    expect(orderKindRefusal({ ...differential, invoiceDifferenceType: undefined }, detailsOf(differential))).toBe('非差额征税发票不能填写扣除额');
    const person = order(KIND_REQUESTS.exemptForPerson());
    expect(orderKindRefusal({ ...person, invoiceLine: 'bs' }, detailsOf(person))).toBe('自然人不能开具增值税专用发票');
  });

  it.for(Object.keys(KIND_REQUESTS))('issues %s through the simulator speaking 诺诺', async (kind) => {
    const sim = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-nk-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS, protocol: { kind: 'nuonuo', credentials: CREDENTIALS } });
    running.push(sim);
    const nuonuo = new NuonuoChannel({ name: 'nuonuo', url: `${sim.url}/open/v1/services`, tokenUrl: `${sim.url}/accessToken`, ...CREDENTIALS, connectTimeoutMs: 1000, responseTimeoutMs: 2000, pollAfterMs: 20, tokens: new MemoryTokenShelf() });
    running.push(nuonuo);
    const request = issueRequest(KIND_REQUESTS[kind as keyof typeof KIND_REQUESTS]());
    const first = await nuonuo.issue(request, { signal: AbortSignal.timeout(5000) });
    expect(first.kind).toBe('accepted');
    await eventually(async () => ((await nuonuo.query(SELLER, request.serialNo, { signal: AbortSignal.timeout(5000) })).kind === 'issued' ? true : undefined), 5000, () => 'never issued');
    expect(sim.ledger.issued(Date.now() + 1000).map((record) => record.total)).toEqual([request.invoice.totals.total]);
  });
});
