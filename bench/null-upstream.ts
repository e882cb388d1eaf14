// The upstream of the drain bench that costs nothing: it speaks the reference protocol and issues
// every invoice at once, keeping nothing, so the drain measures the gateway's own cost per invoice
// (claim, call, settle, audit). A query finds every serial issued. Prints its address like the
// simulator does. Loopback only.
import { createServer } from 'node:http';

let issued = 0;
const record = (serialNo: string) => JSON.stringify({ serialNo, status: 'issued', number: String(26330000000000000000n + BigInt(++issued)), issuedAt: new Date().toISOString() });

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const answer = (status: number, body: string) => response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (request.method === 'POST' && request.url === '/api/v1/invoices') {
      const { serialNo } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { serialNo: string };
      return answer(200, record(serialNo));
    }
    if (request.method === 'GET' && request.url?.startsWith('/api/v1/invoices/')) return answer(200, record(decodeURIComponent(request.url.slice('/api/v1/invoices/'.length))));
    if (request.url === '/api/v1/ping') return answer(200, JSON.stringify({ ok: true, time: new Date().toISOString() }));
    return answer(404, JSON.stringify({ error: 'not found' }));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`null upstream listening on http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
