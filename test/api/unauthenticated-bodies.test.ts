// A body is read only after its sender is known: a keyless request announcing a megabyte is
// answered 401 from its headers alone, its body never awaited, and the connection closed; and
// ten keyless senders of 1 MiB bodies leave a keyed request's answer unhurried.
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { validRequest } from '../support/invoice-request.js';

let t: TestGateway;

beforeAll(async () => {
  // A long request deadline: were the body awaited, no answer would come within the test.
  t = await startTestGateway({ channels: [], http: { requestTimeoutMs: 60_000, headersTimeoutMs: 10_000 } });
});

afterAll(async () => {
  await t.close();
});

/** Sends headers announcing `length` bytes and no body; resolves with what the server answered. */
function headersOnly(path: string, headers: Record<string, string>, length: number): Promise<{ text: string; closed: boolean }> {
  const { port } = new URL(t.gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5000);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', reject);
    const lines = Object.entries({ host: 'localhost', 'content-type': 'application/json', 'content-length': String(length), ...headers }).map(([name, value]) => `${name}: ${value}`);
    socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('authentication before the body', () => {
  it('answers a keyless or wrongly keyed megabyte from its headers, and closes the connection', async () => {
    for (const headers of [{}, { authorization: 'Bearer fk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, { 'idempotency-key': 'x' }]) {
      const answer = await headersOnly('/v1/invoices', headers, 1024 * 1024);
      expect(answer.text, JSON.stringify(headers)).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.text.toLowerCase()).toContain('connection: close');
      expect(answer.closed).toBe(true);
    }
    // A batch upload announcing 30 MiB of template: the same, before a byte of it is read.
    const upload = await headersOnly('/v1/batches', { 'content-type': 'multipart/form-data; boundary=x' }, 30 * 1024 * 1024);
    expect(upload.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(upload.closed).toBe(true);
    // A keyed request's body is still read and judged.
    const keyed = await headersOnly('/v1/invoices', { authorization: `Bearer ${t.key}`, 'idempotency-key': 'never-sent' }, 1024);
    expect(keyed.text).toBe('');
    expect(await t.gateway.store.db.selectFrom('invoices').selectAll().execute()).toEqual([]);
  });

  it('serves keyed requests while keyless senders push 1 MiB bodies', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 0x20);
    const flood = Array.from({ length: 10 }, async () => {
      for (let n = 0; n < 5; n++) {
        const answer = await request(`${t.gateway.url}/v1/invoices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: megabyte }).catch(() => undefined);
        if (answer) {
          expect(answer.statusCode).toBe(401);
          await answer.body.dump();
        }
      }
    });
    const accepted = await request(`${t.gateway.url}/v1/invoices`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}`, 'idempotency-key': 'beside-the-flood' }, body: JSON.stringify(validRequest({ orderNo: 'FLOOD-1' })) });
    expect(accepted.statusCode).toBe(202);
    await accepted.body.dump();
    await Promise.all(flood);
  });
});
