/**
 * GET /v1/sellers/{taxId}/quota (read), PUT …/quota (admin, the reserve) and POST …/quota/read
 * (admin, read it again soon): a seller's monthly
 * 发票额度 as the use case in src/invoicing/seller-quota.ts shows it, for the key's own sellers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SellerQuotas } from '../../invoicing/seller-quota.js';
import { unlessRefused } from '../refusal-problems.js';
import { ProblemSchema } from '../schemas/invoice.js';
import { QuotaSchema } from '../schemas/quota.js';

export interface QuotaRoutesOptions {
  readonly quotas: SellerQuotas;
}

const SellerParams = Type.Object({ taxId: Type.String({ maxLength: 32 }) });

export const quotaRoutes: FastifyPluginAsyncTypebox<QuotaRoutesOptions> = async (app, { quotas }) => {
  app.get(
    '/sellers/:taxId/quota',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getSellerQuota',
        summary: "The seller's monthly invoice quota (发票额度): remaining, committed, used elsewhere, when it runs out at the current pace",
        tags: ['quota'],
        params: SellerParams,
        response: { 200: QuotaSchema, 401: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => unlessRefused(await quotas.view(request.params.taxId, request.apiKey)).quota,
  );

  app.post(
    '/sellers/:taxId/quota/read',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'readSellerQuota',
        summary: "Read the seller's quota from its channel at the next round (after a raise); the channel's own limits still hold",
        tags: ['quota'],
        params: SellerParams,
        response: { 202: QuotaSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => reply.code(202).send(unlessRefused(await quotas.readSoon(request.params.taxId, request.apiKey)).quota),
  );

  app.put(
    '/sellers/:taxId/quota',
    {
      config: { scope: 'admin' },
      // The body is read by src/domain, which reports every problem with our codes.
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'setSellerQuotaReserve',
        summary: 'The part of the month’s quota kept for invoices marked priority "high"',
        tags: ['quota'],
        params: SellerParams,
        body: Type.Object({ reserve: Type.String({ description: 'yuan, e.g. "5000.00"' }) }),
        response: { 200: QuotaSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request) => unlessRefused(await quotas.setReserve(request.params.taxId, request.body, request.apiKey)).quota,
  );
};
