/**
 * /v1/webhooks (admin): subscribe a receiver to events of the key's sellers — the signing secret
 * shown once, sealed at rest — list, read, delete, enable again after it was disabled, read the
 * delivery log, and redeliver an event. Deliveries themselves are src/dispatch/webhook-deliverer.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import { newWebhookSecret } from '../../channels/webhook-signature.js';
import { readSubscriptionRequest } from '../../domain/webhook-subscription.js';
import type { Clock } from '../../runtime/clock.js';
import type { SecretBox } from '../../runtime/secret-box.js';
import type { Database } from '../../store/schema/index.js';
import { createSubscription, deleteSubscription, deliveryLog, enableSubscription, findSubscription, listSubscriptions, redeliver, type Subscription } from '../../store/webhook-deliveries.js';
import { ApiProblem } from '../problem.js';
import { ProblemSchema } from '../schemas/invoice.js';

export interface WebhookRoutesOptions {
  readonly db: Kysely<Database>;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  readonly allowPrivate: boolean;
  /** Told when deliveries may be due now (a redelivery, an endpoint enabled). */
  readonly onDeliveriesDue: () => void;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const subscriptionFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  sellers: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  failingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
};
const SubscriptionSchema = Type.Object(subscriptionFields);
const Created = Type.Object({ ...subscriptionFields, secret: Type.String({ description: 'whsec_…: shown only here; verify each delivery with it' }) });
const SubscriptionBody = Type.Object(
  {
    url: Type.String({ description: 'https:// receiver' }),
    events: Type.Array(Type.String(), { description: 'event types, or ["*"]' }),
    sellers: Type.Optional(Type.Array(Type.String(), { description: "the key's sellers whose events it hears; all of them by default" })),
  },
  { additionalProperties: true },
);
const IdParams = Type.Object({ id: Type.String() });
const DeliveryLog = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      eventId: Type.String(),
      type: Type.String(),
      subject: Type.String({ description: 'the invoice id, or channel:NAME' }),
      sequence: Type.Integer(),
      status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
      createdAt: Type.String({ format: 'date-time' }),
      deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      attempts: Type.Array(
        Type.Object({ attempt: Type.Integer(), at: Type.String({ format: 'date-time' }), status: Type.Union([Type.Integer(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]), durationMs: Type.Integer() }),
      ),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

function subscriptionJson(subscription: Subscription) {
  return {
    id: subscription.id,
    url: subscription.url,
    events: [...subscription.events],
    sellers: [...subscription.sellers],
    status: subscription.status,
    disabledReason: subscription.disabledReason,
    failingSince: iso(subscription.failingSince),
    createdAt: iso(subscription.createdAt)!,
  };
}

export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, options) => {
  const { db } = options;

  /** The subscription named in the path, if it hears one of the key's sellers; else 404. */
  async function owned(id: string, sellers: readonly string[]): Promise<Subscription> {
    const subscription = /^wh_[0-9A-Z]{22}$/.test(id) ? await findSubscription(db, id, sellers) : undefined;
    if (!subscription) throw new ApiProblem('not_found', `no webhook ${id}`);
    return subscription;
  }

  app.post(
    '/webhooks',
    {
      config: { scope: 'admin' },
      // The body is read by src/domain, which reports every problem with our codes.
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'createWebhook',
        summary: 'Subscribe a receiver to events (Standard Webhooks); the signing secret is in this answer only',
        tags: ['webhooks'],
        body: SubscriptionBody,
        response: { 201: Created, 401: ProblemSchema, 403: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request, reply) => {
      const read = readSubscriptionRequest(request.body, { allowPrivate: options.allowPrivate });
      if (read.kind === 'invalid') throw new ApiProblem('webhook_invalid', undefined, { errors: read.errors });
      const keySellers = request.apiKey.sellers;
      const sellers = [...(read.request.sellers ?? keySellers)].sort();
      const foreign = sellers.filter((seller) => !keySellers.includes(seller));
      if (foreign.length > 0) throw new ApiProblem('seller_forbidden', `this key does not act for ${foreign.join(', ')}`);
      const secret = newWebhookSecret();
      const subscription = await createSubscription(db, { url: read.request.url, events: read.request.events, sellers, secretSealed: options.secrets.seal(secret), createdBy: request.apiKey.id, now: options.clock.now() });
      return reply.code(201).header('location', `/v1/webhooks/${subscription.id}`).send({ ...subscriptionJson(subscription), secret });
    },
  );

  app.get(
    '/webhooks',
    { config: { scope: 'admin' }, schema: { operationId: 'listWebhooks', summary: "The key's sellers' webhook subscriptions", tags: ['webhooks'], response: { 200: Type.Object({ data: Type.Array(SubscriptionSchema) }), 401: ProblemSchema, 403: ProblemSchema } } },
    async (request) => ({ data: (await listSubscriptions(db, request.apiKey.sellers)).map(subscriptionJson) }),
  );

  app.get(
    '/webhooks/:id',
    { config: { scope: 'admin' }, schema: { operationId: 'getWebhook', summary: 'One subscription: its status, and why it was disabled', tags: ['webhooks'], params: IdParams, response: { 200: SubscriptionSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } } },
    async (request) => subscriptionJson(await owned(request.params.id, request.apiKey.sellers)),
  );

  app.delete(
    '/webhooks/:id',
    { config: { scope: 'admin' }, schema: { operationId: 'deleteWebhook', summary: 'Unsubscribe; its deliveries and their log go with it', tags: ['webhooks'], params: IdParams, response: { 204: Type.Null(), 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } } },
    async (request, reply) => {
      const subscription = await owned(request.params.id, request.apiKey.sellers);
      await deleteSubscription(db, subscription.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/enable',
    {
      config: { scope: 'admin' },
      schema: { operationId: 'enableWebhook', summary: 'Enable a disabled endpoint; the events it missed are delivered, in order', tags: ['webhooks'], params: IdParams, response: { 200: SubscriptionSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } },
    },
    async (request) => {
      const subscription = await owned(request.params.id, request.apiKey.sellers);
      await enableSubscription(db, subscription.id, options.clock.now());
      options.onDeliveriesDue();
      return subscriptionJson(await owned(subscription.id, request.apiKey.sellers));
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log: each event sent to this endpoint, newest first, with every try',
        tags: ['webhooks'],
        params: IdParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), cursor: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: DeliveryLog, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const subscription = await owned(request.params.id, request.apiKey.sellers);
      const limit = request.query.limit ?? 50;
      const entries = await deliveryLog(db, subscription.id, { limit: limit + 1, ...(request.query.cursor && { before: request.query.cursor }) });
      const page = entries.slice(0, limit);
      return {
        data: page.map((entry) => ({ ...entry, createdAt: iso(entry.createdAt)!, deliveredAt: iso(entry.deliveredAt), attempts: entry.attempts.map((item) => ({ ...item, at: iso(item.at)! })) })),
        nextCursor: entries.length > limit ? page[page.length - 1]!.id : null,
      };
    },
  );

  app.post(
    '/webhooks/:id/events/:eventId/redeliver',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'redeliverWebhookEvent',
        summary: 'Send an event to this endpoint again, from its first try (delivered or failed alike)',
        tags: ['webhooks'],
        params: Type.Object({ id: Type.String(), eventId: Type.String() }),
        response: { 202: Type.Object({ eventId: Type.String(), status: Type.Literal('pending') }), 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const subscription = await owned(request.params.id, request.apiKey.sellers);
      const { eventId } = request.params;
      const queued = /^evt_[0-9A-Z]{26}$/.test(eventId) ? await redeliver(db, subscription.id, eventId, options.clock.now()) : 'unknown';
      if (queued === 'unknown') throw new ApiProblem('not_found', `webhook ${subscription.id} never had event ${eventId}`);
      options.onDeliveriesDue();
      return reply.code(202).send({ eventId, status: 'pending' as const });
    },
  );
};
