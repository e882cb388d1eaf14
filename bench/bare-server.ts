// The baseline of the accept bench: bare Fastify doing the same JSON parse and answering 202,
// with nothing else — no validation, no database. Prints its address like `fapiao serve` does.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/v1/invoices', async (request, reply) => reply.code(202).send({ ok: true, orderNo: (request.body as { orderNo?: string }).orderNo }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.stdout.write(`bare fastify listening on http://127.0.0.1:${address.port}\n`);
