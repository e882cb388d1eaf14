// The webhook poster against real receivers on loopback: it refuses loopback and private addresses
// unless allowed (by literal and by a name that resolves to one), follows no redirect, gives up on a
// receiver that never answers or answers too slowly within its time limit, and reads only the start
// of a huge answer. And the signature: Standard Webhooks' scheme, checked the way a receiver checks it.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/processes.js';
import { WebhookPoster } from '../../src/outbound/webhook-post.js';
import { newWebhookSecret, verifyWebhook, webhookSignature } from '../../src/outbound/webhook-signature.js';

const servers: Server[] = [];
const posters: WebhookPoster[] = [];
afterEach(async () => {
  for (const poster of posters.splice(0)) await poster.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function receiver(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    handler!(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, hits: () => hits };
}

function poster(options: { timeoutMs?: number; allowPrivate?: boolean } = {}): WebhookPoster {
  const made = new WebhookPoster({ timeoutMs: options.timeoutMs ?? 2000, allowPrivate: options.allowPrivate ?? true });
  posters.push(made);
  return made;
}

describe('the webhook poster', () => {
  it('refuses loopback, private and link-local addresses unless allowed, and never connects to them', async () => {
    const target = await receiver((_request, response) => response.end('ok'));
    const guarded = poster({ allowPrivate: false });
    const byName = target.url.replace('127.0.0.1', 'localhost');
    for (const url of [target.url, byName, 'http://10.1.2.3/hook', 'http://[::1]:9/hook', 'http://169.254.169.254/latest/meta-data']) {
      expect(await guarded.post(url, {}, '{}'), url).toMatchObject({ kind: 'refused_address', message: expect.stringContaining('FAPIAO_WEBHOOK_ALLOW_PRIVATE') as unknown });
    }
    expect(target.hits()).toBe(0);
    expect(await poster({ allowPrivate: true }).post(target.url, {}, '{}')).toMatchObject({ kind: 'answered', status: 200, body: 'ok' });
    // IPv6 forms that carry a loopback IPv4 address are refused at the door too.
    for (const url of ['http://[::7f00:1]:9/h', 'http://[64:ff9b::7f00:1]:9/h', 'http://[::ffff:0:7f00:1]:9/h', 'http://[2002:7f00:1::]:9/h', 'http://[fec0::1]:9/h', 'http://198.18.0.1:9/h']) {
      expect(await guarded.post(url, {}, '{}'), url).toMatchObject({ kind: 'refused_address' });
    }
  });

  it('follows no redirect: a 3xx is the answer', async () => {
    const elsewhere = await receiver((_request, response) => response.end('moved here'));
    const redirecting = await receiver((_request, response) => response.writeHead(307, { location: elsewhere.url }).end());
    expect(await poster().post(redirecting.url, {}, '{}')).toMatchObject({ kind: 'answered', status: 307 });
    expect(elsewhere.hits()).toBe(0);
  });

  it('gives up within its time limit on a receiver that never answers or answers too slowly', async () => {
    const cutOff: string[] = [];
    const silent = await receiver((_request, response) => response.on('close', () => cutOff.push('silent')));
    const slow = await receiver((_request, response) => {
      response.writeHead(200);
      response.write('a');
      // The poster hangs up before this: the receiver sees its connection closed while still writing.
      const timer = setTimeout(() => response.end('b'), 60_000);
      response.on('close', () => {
        clearTimeout(timer);
        if (!response.writableEnded) cutOff.push('slow');
      });
    });
    expect(await poster({ timeoutMs: 300 }).post(silent.url, {}, '{}')).toEqual({ kind: 'no_answer', message: 'no answer within 300 ms' });
    // The status came in time: that is the answer, and the body as far as it came.
    expect(await poster({ timeoutMs: 300 }).post(slow.url, {}, '{}')).toMatchObject({ kind: 'answered', status: 200, body: 'a' });
    // Each receiver sees its connection cut when the poster gives up on it.
    await eventually(async () => (cutOff.length === 2 ? true : undefined), 5000, () => `cut off: ${cutOff.join(', ')}`);
    expect(cutOff.sort()).toEqual(['silent', 'slow']);
  });

  it('reads only the start of a huge answer', async () => {
    let written = 0;
    const huge = await receiver((_request, response) => {
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 512 * 1024 * 1024 && response.write(chunk)) written += chunk.length;
        if (written < 512 * 1024 * 1024) response.once('drain', pump);
        else response.end();
      };
      response.on('close', () => (written = Infinity));
      pump();
    });
    const answer = await poster().post(huge.url, {}, '{}');
    expect(answer).toMatchObject({ kind: 'answered', status: 200 });
    expect((answer as { body: string }).body.length).toBe(4096);
  });
});

describe('webhook signatures', () => {
  it('signs "{id}.{timestamp}.{body}" with HMAC-SHA256 under the secret’s bytes, as Standard Webhooks does', () => {
    // The example of the Standard Webhooks specification's reference libraries.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const signature = webhookSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(verifyWebhook(secret, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: `v1,bm9wZQ== ${signature}` }, '{"test": 2432232314}', 1614265330 + 60)).toBe(true);
    // A changed body, another id, or a timestamp out of tolerance fail.
    expect(verifyWebhook(secret, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature }, '{"test": 2432232315}', 1614265330)).toBe(false);
    expect(verifyWebhook(secret, { id: 'msg_other', timestamp: '1614265330', signature }, '{"test": 2432232314}', 1614265330)).toBe(false);
    expect(verifyWebhook(secret, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature }, '{"test": 2432232314}', 1614265330 + 600)).toBe(false);
    expect(newWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });
});
