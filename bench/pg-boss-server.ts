// The peer of the accept bench on PostgreSQL: what a team might write instead of the gateway, a bare
// Fastify route that parses the same JSON and answers 202 once pg-boss's `send()` has stored the
// job. Prints its address like `fapiao serve` does. The database URL comes in BENCH_PGBOSS_URL.
import Fastify from 'fastify';
import PgBoss from 'pg-boss';

const boss = new PgBoss({ connectionString: process.env.BENCH_PGBOSS_URL!, max: 10, supervise: false, schedule: false });
boss.on('error', () => undefined);
await boss.start();
await boss.createQueue('invoices');
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/v1/invoices', async (request, reply) => {
  const id = await boss.send('invoices', request.body as object);
  return reply.code(202).send({ id });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
process.stdout.write(`pg-boss fastify listening on http://127.0.0.1:${address.port}\n`);
process.once('SIGTERM', () => void app.close().then(() => boss.stop({ graceful: false, wait: true })).then(() => process.exit(0)));
