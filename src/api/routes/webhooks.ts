/**
 * /v1/webhooks (admin): subscribe a receiver to events of the key's sellers — the signing secret
 * shown once — list, read, delete, enable again, read the delivery log, and redeliver an event,
 * each by the use case in src/invoicing/webhook-subscriptions.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebhookSubscriptions } from '../../invoicing/webhook-subscriptions.js';
import type { Subscription } from '../../store/webhook-deliveries.js';
import { unlessRefused } from '../refusal-problems.js';
import { ProblemSchema } from '../schemas/invoice.js';

export interface WebhookRoutesOptions {
  readonly webhooks: WebhookSubscriptions;
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
  const { webhooks } = options;
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
      const { subscription, secret } = unlessRefused(await webhooks.subscribe(request.body, request.apiKey));
      return reply.code(201).header('location', `/v1/webhooks/${subscription.id}`).send({ ...subscriptionJson(subscription), secret });
    },
  );

  app.get(
    '/webhooks',
    { config: { scope: 'admin' }, schema: { operationId: 'listWebhooks', summary: "The key's sellers' webhook subscriptions", tags: ['webhooks'], response: { 200: Type.Object({ data: Type.Array(SubscriptionSchema) }), 401: ProblemSchema, 403: ProblemSchema } } },
    async (request) => ({ data: (await webhooks.list(request.apiKey)).map(subscriptionJson) }),
  );

  app.get(
    '/webhooks/:id',
    { config: { scope: 'admin' }, schema: { operationId: 'getWebhook', summary: 'One subscription: its status, and why it was disabled', tags: ['webhooks'], params: IdParams, response: { 200: SubscriptionSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } } },
    async (request) => subscriptionJson(unlessRefused(await webhooks.find(request.params.id, request.apiKey)).subscription),
  );

  app.delete(
    '/webhooks/:id',
    { config: { scope: 'admin' }, schema: { operationId: 'deleteWebhook', summary: 'Unsubscribe; its deliveries and their log go with it', tags: ['webhooks'], params: IdParams, response: { 204: Type.Null(), 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } } },
    async (request, reply) => {
      unlessRefused(await webhooks.remove(request.params.id, request.apiKey));
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
      return subscriptionJson(unlessRefused(await webhooks.enable(request.params.id, request.apiKey)).subscription);
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
      const page = unlessRefused(await webhooks.deliveries(request.params.id, request.apiKey, { limit: request.query.limit ?? 50, ...(request.query.cursor !== undefined && { cursor: request.query.cursor }) }));
      return {
        data: page.entries.map((entry) => ({ ...entry, createdAt: iso(entry.createdAt)!, deliveredAt: iso(entry.deliveredAt), attempts: entry.attempts.map((item) => ({ ...item, at: iso(item.at)! })) })),
        nextCursor: page.nextCursor,
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
      const { id, eventId } = request.params;
      unlessRefused(await webhooks.redeliver(id, eventId, request.apiKey));
      return reply.code(202).send({ eventId, status: 'pending' as const });
    },
  );
};
