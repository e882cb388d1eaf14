// Invoices emailed to buyers through a real SMTP server on loopback (smtp-server), on this run's
// dialect: the buyer's mail arrives with the PDF and XML attached and a Chinese subject with the
// invoice number; an SMTP server that is down delays the mail and loses nothing; POST …/deliver
// sends it again to another address; bad requests are refused with nothing queued.
import { createServer as createTcpServer } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/simulator/faults.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator-server.js';
import { DIALECT } from '../support/database.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';
import { eventually } from '../support/processes.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let simulator: RunningSimulator;
let t: TestGateway;
let smtp: SMTPServer | undefined;
let smtpPort = 0;
const received: Array<ParsedMail & { envelopeTo: string[] }> = [];

/** A port nothing listens on yet (the SMTP server starts later: an outage first). */
async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startSmtp(port: number): Promise<void> {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push(Object.assign(mail, { envelopeTo: session.envelope.rcptTo.map((item) => item.address) }));
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  return new Promise((resolve) => smtp!.listen(port, '127.0.0.1', () => resolve()));
}

beforeAll(async () => {
  simulator = await startSimulator({ dataDir: mkdtempSync(join(tmpdir(), 'fapiao-mail-sim-')), port: 0, host: '127.0.0.1', dedup: true, faults: NO_FAULTS });
  smtpPort = await unusedPort();
  t = await startTestGateway({ channels: [{ name: 'sim', url: simulator.url }], renderThreads: 1, deliveries: { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, retryScheduleMs: Array.from({ length: 30 }, () => 200), emailPerKeyPerHour: 8 } });
});

afterAll(async () => {
  await t.close();
  await simulator.close();
  await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)));
});

const read = async (id: string) => (await http(`${t.gateway.url}/v1/invoices/${id}`, { key: t.key })).body;

describe(`email to buyers on ${DIALECT}`, () => {
  it('waits out an SMTP outage, then delivers the invoice with its PDF and XML, and sends again on request', async () => {
    const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'mail-1', json: validRequest({ orderNo: 'MAIL-1' }) });
    expect(answer.status).toBe(202);
    const id = String(answer.body.id);
    // The SMTP server is down: the email is queued, tried, and waits.
    const waiting = await eventually(
      async () => {
        const invoice = await read(id);
        const [delivery] = (invoice.deliveries ?? []) as Array<{ status: string; attempts: number; error: string | null }>;
        return delivery && delivery.attempts >= 2 ? { invoice, delivery } : undefined;
      },
      20_000,
      async () => JSON.stringify(await read(id)),
    );
    // A tenant is told a fixed sentence, not the SMTP client's words (which name the server's address).
    expect(waiting.delivery).toMatchObject({ status: 'pending', error: 'the mail server could not be reached; the gateway tries again' });
    expect(JSON.stringify(waiting.invoice)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(received).toHaveLength(0);

    await startSmtp(smtpPort);
    const sent = await eventually(
      async () => {
        const invoice = await read(id);
        const deliveries = (invoice.deliveries ?? []) as Array<{ status: string; to: string; channel: string }>;
        return deliveries[0]?.status === 'sent' ? invoice : undefined;
      },
      20_000,
      async () => JSON.stringify(await read(id)),
    );
    expect(sent.deliveries).toEqual([{ channel: 'email', to: 'ap@example.com', status: 'sent', at: expect.any(String) as unknown, attempts: expect.any(Number) as unknown, error: null }]);
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.envelopeTo).toEqual(['ap@example.com']);
    expect(mail.subject).toContain(String(sent.number));
    expect(mail.subject).toContain('演示科技（杭州）有限公司');
    expect(mail.text).toContain(`价税合计：¥${(sent.totals as { total: string }).total}`);
    expect(mail.attachments.map((item) => [item.filename, item.contentType])).toEqual([
      [`${String(sent.number)}.pdf`, 'application/pdf'],
      [`${String(sent.number)}.xml`, 'application/xml'],
    ]);
    expect(mail.attachments[0]!.content.subarray(0, 5).toString()).toBe('%PDF-');
    // Byte for byte the PDF the API serves.
    const pdf = await request(`${t.gateway.url}/v1/invoices/${id}/pdf`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(Buffer.compare(mail.attachments[0]!.content, Buffer.from(await pdf.body.arrayBuffer()))).toBe(0);

    // Again, to another address: the seller's admin may, a clerk's key may not.
    const refused = await http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.key, json: { email: 'finance@buyer.example' } });
    expect([refused.status, refused.body.code]).toEqual([403, 'delivery_address_forbidden']);
    const again = await http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.adminKey, json: { email: 'finance@buyer.example' } });
    expect(again.status).toBe(202);
    await eventually(async () => (received.some((item) => item.envelopeTo.includes('finance@buyer.example')) ? true : undefined), 10_000, () => 'the second mail never came');
    // The mail arrives before the sender records it sent (the SMTP answer, then the settle).
    const deliveries = await eventually(
      async () => {
        const listed = (await read(id)).deliveries as Array<{ to: string; status: string }>;
        return listed.every((item) => item.status !== 'pending') ? listed : undefined;
      },
      10_000,
      () => 'the second delivery was never recorded',
    );
    expect(deliveries.map((item) => [item.to, item.status])).toEqual([
      ['ap@example.com', 'sent'],
      ['finance@buyer.example', 'sent'],
    ]);
  });

  it('refuses a delivery it cannot make, and queues nothing', async () => {
    const before = await t.gateway.store.db.selectFrom('email_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const pending = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: 'mail-2', json: validRequest({ orderNo: 'MAIL-2', buyer: { name: '个人', email: undefined } }) });
    const id = String(pending.body.id);
    const issued = await eventually(async () => ((await read(id)).status === 'issued' ? true : undefined), 10_000, () => 'never issued');
    expect(issued).toBe(true);
    const refusals = await Promise.all([
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.key, json: {} }),
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.key, json: { email: 'a@b.example' } }),
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.key, json: { email: 'not an address' } }),
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.key, json: { email: 'a@b.example', cc: 'x' } }),
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.readOnlyKey, json: { email: 'a@b.example' } }),
      http(`${t.gateway.url}/v1/invoices/${id}/deliver`, { key: t.otherKey, json: { email: 'a@b.example' } }),
      http(`${t.gateway.url}/v1/invoices/inv_nothing/deliver`, { key: t.key, json: {} }),
    ]);
    expect(refusals.map((answer) => [answer.status, answer.body.code])).toEqual([
      [422, 'delivery_address_missing'],
      [403, 'delivery_address_forbidden'],
      [422, 'delivery_invalid'],
      [422, 'delivery_invalid'],
      [403, 'scope_missing'],
      [404, 'not_found'],
      [404, 'not_found'],
    ]);
    const after = await t.gateway.store.db.selectFrom('email_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('sends an invoice at most five times a day and a key at most its hourly share, however many ask at once', async () => {
    const issuedInvoice = async (orderNo: string) => {
      const answer = await http(`${t.gateway.url}/v1/invoices`, { key: t.key, idempotencyKey: orderNo, json: validRequest({ orderNo }) });
      const id = String(answer.body.id);
      await eventually(async () => (((await read(id)).deliveries as unknown[] | undefined)?.length ? true : undefined), 20_000, () => `${orderNo} never queued its email`);
      return id;
    };
    const first = await issuedInvoice('MAIL-LIMIT-1');
    const burst = await Promise.all(Array.from({ length: 25 }, () => http(`${t.gateway.url}/v1/invoices/${first}/deliver`, { key: t.adminKey, json: { email: 'someone@elsewhere.example' } })));
    // The first email counts: four more within the day.
    expect(burst.filter((answer) => answer.status === 202)).toHaveLength(4);
    const limited = burst.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(21);
    expect(limited.every((answer) => answer.body.code === 'email_limit_reached' && Number(answer.headers['retry-after']) > 3600)).toBe(true);
    expect(((await read(first)).deliveries as unknown[]).length).toBe(5);

    // The key has asked for five within the hour (one in the first test); its share here is eight.
    const second = await issuedInvoice('MAIL-LIMIT-2');
    const more = await Promise.all(Array.from({ length: 10 }, () => http(`${t.gateway.url}/v1/invoices/${second}/deliver`, { key: t.adminKey, json: {} })));
    expect(more.filter((answer) => answer.status === 202)).toHaveLength(3);
    expect(more.filter((answer) => answer.status === 429).every((answer) => answer.body.code === 'email_limit_reached' && String(answer.body.detail).includes('this key'))).toBe(true);
  });
});
