/**
 * Refuses work early when the gateway cannot take more, so that overload is answered in
 * milliseconds with 503 and Retry-After instead of by time-outs (design.md invariant 7).
 * Two signals: how busy and how late the event loop is (admission.ts admits a share of requests
 * that follows it), and the requests in flight (bounded, so memory stays bounded however fast they
 * arrive). The commit queue has its own bound in GroupCommit. Health, readiness and metrics are
 * never shed: an orchestrator must still see the gateway alive while it sheds.
 */
import type { Socket } from 'node:net';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Admission } from '../admission.js';
import { ApiProblem, sendProblem } from '../problem.js';

export interface LoadSheddingOptions {
  /** Mean event-loop delay over a sample above which requests are refused, ms; 0 turns it off. */
  readonly maxEventLoopDelayMs: number;
  /** Share of time the event loop was busy over a sample above which requests are refused; 0 turns it off. */
  readonly maxEventLoopUtilization: number;
  /** Requests being handled at once above which new ones are refused; 0 turns it off. */
  readonly maxInFlight: number;
  /** Counts each refusal, by its reason. */
  readonly onShed?: (reason: 'event_loop' | 'in_flight') => void;
}

const NEVER_SHED = new Set(['/healthz', '/livez', '/startupz', '/readyz', '/metrics']);
const RETRY_AFTER_SECONDS = '1';

function exempt(request: FastifyRequest): boolean {
  return NEVER_SHED.has(request.url.split('?')[0]!);
}

const loadShedding: FastifyPluginAsync<LoadSheddingOptions> = async (app, options) => {
  let inFlight = 0;
  let connections = 0;
  app.server.on('connection', (socket: Socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  const admission =
    options.maxEventLoopDelayMs > 0 || options.maxEventLoopUtilization > 0 ? new Admission(options, () => connections) : undefined;
  if (admission) app.addHook('onClose', async () => admission.close());
  const refuse = (reply: FastifyReply, detail: string) =>
    sendProblem(reply, new ApiProblem('overloaded', `${detail}; retry after the time in Retry-After with the same Idempotency-Key`, { headers: { 'retry-after': RETRY_AFTER_SECONDS } }));

  app.addHook('onRequest', async (request, reply) => {
    if (exempt(request)) return;
    if (options.maxInFlight > 0 && inFlight >= options.maxInFlight) {
      options.onShed?.('in_flight');
      return refuse(reply, `the gateway is handling ${inFlight} requests`);
    }
    if (admission && !admission.admit()) {
      options.onShed?.('event_loop');
      return refuse(reply, 'the gateway is busy (its event loop is saturated)');
    }
    inFlight++;
    // 'close' fires once however the exchange ends: answered, aborted by the client, timed out.
    reply.raw.once('close', () => inFlight--);
  });
};

export const loadSheddingPlugin = fp(loadShedding, { name: 'load-shedding' });
