/**
 * GET /v1/channels: each channel's health as this process sees it, its isolation and backlog from
 * the database. POST /v1/channels/{name}/isolate, /restore and /doctor (operator): the use cases of
 * src/operating/channel-control.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { ChannelHealth } from '../../dispatch/channel-health.js';
import { pendingBacklog } from '../../store/backlog.js';
import { listIsolations, type Isolation } from '../../store/channel-isolation.js';
import { DEFAULT_ISOLATION_REASON, type ChannelControl } from '../../operating/channel-control.js';
import { unlessRefused } from '../refusal-problems.js';
import { knowledgeOfChannelError } from '../../doctor/channel-error-knowledge.js';
import type { DoctorReport } from '../../doctor/check.js';
import { errorWords } from '../../domain/event-words.js';
import { ProblemSchema } from '../schemas/invoice.js';
import { ChannelList, DoctorAnswer } from '../schemas/channel.js';
import type { Database } from '../../store/schema/index.js';

export interface ChannelRoutesOptions {
  /** For reads (backlog, isolations). */
  readonly reader: Kysely<Database>;
  readonly health: ChannelHealth;
  readonly control: ChannelControl<DoctorReport>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An isolation as the API shows it; a tenant sees that and when, not the operator's words. */
function isolationJson(isolation: Isolation | undefined, operator: boolean) {
  if (!isolation) return null;
  return { reason: operator ? isolation.reason : DEFAULT_ISOLATION_REASON, by: operator ? isolation.by : 'operator', at: new Date(isolation.at).toISOString() };
}

const ChannelParams = Type.Object({ name: Type.String({ maxLength: 32 }) });
const IsolateBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
const IsolationAnswer = Type.Object({ name: Type.String(), isolated: Type.Boolean(), changed: Type.Boolean({ description: 'false when it already was as asked' }) });

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
      // Operators see everything; a seller's key (admin too) sees its own backlog and no upstream's own words.
      const operator = request.apiKey.scopes.includes('operator');
      const backlog = await pendingBacklog(options.reader, operator ? undefined : request.apiKey.sellers);
      const isolations = new Map((await listIsolations(options.reader)).map((isolation) => [isolation.channel, isolation]));
      const countFor = (name: string | null) => backlog.find((row) => row.channel === name)?.count ?? 0;
      const unbound = backlog.find((row) => row.channel === null);
      return {
        data: options.health.snapshot().map(({ lastErrorCode, lastError, ...channel }) => ({
          ...channel,
          pausedUntil: iso(channel.pausedUntil),
          rateLimitedUntil: iso(channel.rateLimitedUntil),
          // A tenant is told our fixed sentence: the upstream's own words can quote another seller's invoice.
          pauseReason: channel.pauseReason === null || operator ? channel.pauseReason : errorWords('auth_failed').en,
          lastSuccessAt: iso(channel.lastSuccessAt),
          lastFailureAt: iso(channel.lastFailureAt),
          failingSince: iso(channel.failingSince),
          certificateExpiresAt: iso(channel.certificateExpiresAt),
          lastError:
            lastErrorCode === null || channel.lastFailureAt === null
              ? null
              : {
                  code: lastErrorCode,
                  message: operator ? (lastError ?? '') : errorWords(lastErrorCode).en,
                  text: errorWords(lastErrorCode),
                  at: iso(channel.lastFailureAt)!,
                  cause: knowledgeOfChannelError(lastErrorCode)?.cause ?? null,
                  remedy: knowledgeOfChannelError(lastErrorCode)?.remedy ?? null,
                },
          backlog: countFor(channel.name),
          isolated: isolations.has(channel.name),
          isolation: isolationJson(isolations.get(channel.name), operator),
        })),
        unbound: { backlog: countFor(null), oldestCreatedAt: iso(unbound?.oldestCreatedAt ?? null) },
      };
    },
  );

  app.post(
    '/channels/:name/isolate',
    {
      config: { scope: 'operator' },
      schema: {
        operationId: 'isolateChannel',
        summary: 'Give a channel no new work; what it holds is still resolved there by query (audited)',
        tags: ['channels'],
        params: ChannelParams,
        body: Type.Union([IsolateBody, Type.Null()]),
        response: { 200: IsolationAnswer, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { kind: _kind, ...answer } = unlessRefused(await options.control.isolate(request.params.name, { reason: request.body?.reason, by: request.apiKey.id }));
      return answer;
    },
  );

  app.post(
    '/channels/:name/restore',
    {
      config: { scope: 'operator' },
      schema: {
        operationId: 'restoreChannel',
        summary: 'Let an isolated channel take new work again (audited)',
        tags: ['channels'],
        params: ChannelParams,
        response: { 200: IsolationAnswer, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { kind: _kind, ...answer } = unlessRefused(await options.control.restore(request.params.name, { by: request.apiKey.id }));
      return answer;
    },
  );

  app.post(
    '/channels/:name/doctor',
    {
      config: { scope: 'operator' },
      schema: {
        operationId: 'diagnoseChannel',
        summary: "Run the doctor's layered checks (DNS, TCP, TLS, HTTP, the upstream's credentials) against one channel",
        tags: ['channels'],
        params: ChannelParams,
        response: {
          200: DoctorAnswer,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { report } = unlessRefused(await options.control.diagnose(request.params.name));
      return { target: report.target, status: report.status, checks: report.checks.map((check) => ({ ...check })) };
    },
  );
};
