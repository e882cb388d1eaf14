/** GET /v1/channels: each channel's health as this process sees it, and its backlog from the database. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { ChannelHealth } from '../../dispatch/channel-health.js';
import type { Clock } from '../../runtime/clock.js';
import { pendingBacklog } from '../../store/backlog.js';
import { CHANNEL_ERROR_TEXT } from '../channel-error-text.js';
import { ProblemSchema } from '../schemas/invoice.js';
import type { Database } from '../../store/schema/index.js';

export interface ChannelRoutesOptions {
  readonly db: Kysely<Database>;
  readonly health: ChannelHealth;
  readonly clock: Clock;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const ChannelList = Type.Object({
  data: Type.Array(
    Type.Object({
      name: Type.String(),
      circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
      pausedUntil: Type.Union([Type.String(), Type.Null()]),
      pauseReason: Type.Union([Type.String({ description: "the upstream's own words for admin keys; a fixed sentence otherwise" }), Type.Null()]),
      lastSuccessAt: Type.Union([Type.String(), Type.Null()]),
      lastFailureAt: Type.Union([Type.String(), Type.Null()]),
      lastError: Type.Union([
        Type.Object({
          code: Type.String({ description: 'a channel error code (docs/errors.md)' }),
          message: Type.String({ description: "the upstream's own words for admin keys; a fixed sentence for the code otherwise" }),
          at: Type.String(),
        }),
        Type.Null(),
      ]),
      errorRate: Type.Number({ description: 'share of failed calls among the last 100' }),
      ratePerSecond: Type.Union([Type.Number({ description: "calls per second the channel is held to: configured, or learned from the upstream's 429s" }), Type.Null()]),
      rateLimitedUntil: Type.Union([Type.String({ description: "the channel waits out the upstream's Retry-After until then" }), Type.Null()]),
      backlog: Type.Integer({ description: "pending invoices bound to this channel: the key's own sellers', or all for an admin key" }),
    }),
  ),
  unbound: Type.Object({
    backlog: Type.Integer({ description: 'pending invoices not yet bound to any channel' }),
    oldestCreatedAt: Type.Union([Type.String(), Type.Null()]),
  }),
});

export const channelRoutes: FastifyPluginAsyncTypebox<ChannelRoutesOptions> = async (app, options) => {
  app.get(
    '/channels',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listChannels',
        summary: "Each channel's health: circuit, pause, last success and error, error rate, backlog",
        tags: ['channels'],
        response: { 200: ChannelList, 401: ProblemSchema },
      },
    },
    async (request) => {
      // Operators see everything; a tenant sees its own backlog and no upstream's own words.
      const admin = request.apiKey.scopes.includes('admin');
      const backlog = await pendingBacklog(options.db, admin ? undefined : request.apiKey.sellers);
      const countFor = (name: string | null) => backlog.find((row) => row.channel === name)?.count ?? 0;
      const unbound = backlog.find((row) => row.channel === null);
      return {
        data: options.health.snapshot().map(({ lastErrorCode, lastError, ...channel }) => ({
          ...channel,
          pausedUntil: iso(channel.pausedUntil),
          rateLimitedUntil: iso(channel.rateLimitedUntil),
          pauseReason: channel.pauseReason === null || admin ? channel.pauseReason : CHANNEL_ERROR_TEXT.auth_failed,
          lastSuccessAt: iso(channel.lastSuccessAt),
          lastFailureAt: iso(channel.lastFailureAt),
          lastError:
            lastErrorCode === null || channel.lastFailureAt === null
              ? null
              : { code: lastErrorCode, message: admin ? (lastError ?? '') : CHANNEL_ERROR_TEXT[lastErrorCode], at: iso(channel.lastFailureAt)! },
          backlog: countFor(channel.name),
        })),
        unbound: { backlog: countFor(null), oldestCreatedAt: iso(unbound?.oldestCreatedAt ?? null) },
      };
    },
  );
};
