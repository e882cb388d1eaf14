/**
 * /v1/invoices: issue, preview, read, list, retry, withdraw a red invoice's form.
 *
 * Handlers translate between HTTP and the store: tax rules live in src/domain, durability and
 * idempotency in src/store (one transaction: invoice + idempotency record + audit entry). The
 * answer to an issue request is sent only after its commit (invariant 1); a request refused for
 * any reason changes nothing (invariant 4).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RedWithdrawal } from '../../invoicing/red-withdrawal.js';
import type { Invoicing } from '../../invoicing/invoicing.js';
import type { InvoiceReading } from '../../invoicing/invoice-reading.js';
import type { EmailAgainOutcome, EmailRequester } from '../../invoicing/invoice-email.js';
import { OverloadedError } from '../../store/group-commit.js';
import { formatFen, parseMoney } from '../../domain/money.js';
import { attemptWords, auditWords } from '../../domain/event-words.js';
import { Type } from 'typebox';
import { invoiceResource, viewResource } from '../invoice-resource.js';
import { ApiProblem } from '../problem.js';
import { found, unlessRefused } from '../refusal-problems.js';
import {
  ComputedInvoiceSchema,
  DeliverRequest,
  IdempotencyHeaders,
  IdParams,
  InvoiceList,
  InvoiceRequest,
  InvoiceResource,
  ListQuery,
  ProblemSchema,
  RedFlushPreview,
  RedFlushRequest,
  Timeline,
} from '../schemas/invoice.js';

/** The invoicing use cases, built once in the composition root, and the shed counter. */
export interface InvoiceRoutesOptions {
  readonly invoicing: Invoicing;
  readonly reading: InvoiceReading;
  readonly emailAgain: (request: { readonly invoiceId: string; readonly body: unknown; readonly requester: EmailRequester }) => Promise<EmailAgainOutcome>;
  readonly withdrawals: RedWithdrawal;
  /** Counts an accept refused because too many writes wait for the database. */
  readonly onShed?: () => void;
}

// 1–128 printable ASCII characters, as Stripe's keys are in practice.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
// The body is validated by src/domain, which reports every problem with our codes.
const domainValidated = () => () => true;

function parseMoneyOrThrow(text: string): bigint {
  const parsed = parseMoney(text, { allowNegative: true });
  if (!parsed.ok) throw new ApiProblem('query_invalid', `total ${text} is not an amount like 1060.00`);
  return parsed.fen;
}

function isoParam(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

export const invoiceRoutes: FastifyPluginAsyncTypebox<InvoiceRoutesOptions> = async (app, options) => {
  const { invoicing, reading } = options;

  /** The Idempotency-Key header, which every write needs. */
  function idempotencyKeyOf(key: string | string[] | undefined): string {
    if (key === undefined) throw new ApiProblem('idempotency_key_missing');
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw new ApiProblem('idempotency_key_invalid');
    return key;
  }

  /** Runs a write, refusing at once (503 + Retry-After) when too many writes wait for the database. */
  async function shedWhenOverloaded<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof OverloadedError) {
        options.onShed?.();
        throw new ApiProblem('overloaded', error.message, { headers: { 'retry-after': '1' } });
      }
      throw error;
    }
  }

  app.post(
    '/invoices',
    {
      config: { scope: 'issue' },
      validatorCompiler: domainValidated,
      schema: {
        operationId: 'issueInvoice',
        summary: 'Issue an invoice (202 once it is durably queued)',
        tags: ['invoices'],
        headers: IdempotencyHeaders,
        body: InvoiceRequest,
        response: { 202: InvoiceResource, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request.headers['idempotency-key']);
      const result = unlessRefused(await shedWhenOverloaded(() => invoicing.issue(request.body, key, { sellers: request.apiKey.sellers })));
      if (result.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/v1/invoices/${result.invoice.id}`).send(invoiceResource(result.invoice));
    },
  );

  app.post(
    '/invoices/:id/red-flush',
    {
      config: { scope: 'issue' },
      validatorCompiler: domainValidated,
      schema: {
        operationId: 'redFlushInvoice',
        summary: 'Red-flush (红冲) an issued invoice, whole or in part (202 once the red invoice is durably queued)',
        tags: ['invoices'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: RedFlushRequest,
        response: { 202: InvoiceResource, 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request.headers['idempotency-key']);
      const result = unlessRefused(await shedWhenOverloaded(() => invoicing.redFlush(request.params.id, request.body, key, { sellers: request.apiKey.sellers })));
      if (result.kind === 'replayed') void reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/v1/invoices/${result.invoice.id}`).send(invoiceResource(result.invoice));
    },
  );

  app.post(
    '/invoices/:id/red-flush/preview',
    {
      config: { scope: 'issue' },
      validatorCompiler: domainValidated,
      schema: {
        operationId: 'previewRedFlush',
        summary: 'The red invoice a red-flush request would make (lines, totals, amount in words); stores nothing',
        tags: ['invoices'],
        params: IdParams,
        body: RedFlushRequest,
        response: { 200: RedFlushPreview, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request) => unlessRefused(await invoicing.previewRedFlush(request.params.id, request.body, { sellers: request.apiKey.sellers })).red,
  );

  app.post(
    '/invoices/preview',
    {
      config: { scope: 'issue' },
      validatorCompiler: domainValidated,
      schema: {
        operationId: 'previewInvoice',
        summary: 'Validate and compute an invoice; stores nothing',
        tags: ['invoices'],
        body: InvoiceRequest,
        response: { 200: ComputedInvoiceSchema, 403: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request) => {
      return unlessRefused(await invoicing.preview(request.body, { sellers: request.apiKey.sellers })).invoice;
    },
  );

  app.get(
    '/invoices/:id',
    {
      config: { scope: 'read' },
      schema: { operationId: 'getInvoice', summary: 'One invoice, with its status, stage, number and last error', tags: ['invoices'], params: IdParams, response: { 200: InvoiceResource, 401: ProblemSchema, 404: ProblemSchema } },
    },
    async (request) => {
      const { id } = request.params;
      // Another seller's invoice does not exist for this key: 404, never 403.
      return viewResource(found(await reading.invoice(id, { sellers: request.apiKey.sellers }), `invoice ${id}`));
    },
  );

  app.get(
    '/invoices',
    {
      config: { scope: 'read' },
      schema: { operationId: 'listInvoices', summary: 'Invoices newest first, filtered, a page at a time', tags: ['invoices'], querystring: ListQuery, response: { 200: InvoiceList, 400: ProblemSchema, 401: ProblemSchema } },
    },
    async (request) => {
      const query = request.query;
      const from = isoParam(query.from);
      const to = isoParam(query.to);
      const page = await reading.page({
        limit: query.limit === undefined ? 20 : Number(query.limit),
        ...(query.status !== undefined && { status: query.status }),
        ...(query.stage !== undefined && { stage: query.stage }),
        ...(query.sellerTaxId !== undefined && { sellerTaxId: query.sellerTaxId }),
        ...(query.buyerTaxId !== undefined && { buyerTaxId: query.buyerTaxId }),
        ...(query.orderNo !== undefined && { orderNo: query.orderNo }),
        ...(query.number !== undefined && { number: query.number }),
        ...(query.buyerName !== undefined && { buyerName: query.buyerName }),
        // Stored as two-decimal text: "1060" and "1060.0" name the same total.
        ...(query.total !== undefined && { total: formatFen(parseMoneyOrThrow(query.total)) }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      }, { sellers: request.apiKey.sellers });
      return { data: page.views.map(viewResource), nextCursor: page.nextCursor };
    },
  );

  const DOCUMENT_TYPES = { pdf: 'application/pdf', xml: 'application/xml; charset=utf-8' } as const;
  for (const format of ['pdf', 'xml'] as const) {
    app.get(
      `/invoices/:id/${format}`,
      {
        config: { scope: 'read' },
        schema: {
          operationId: `getInvoice${format.toUpperCase()}`,
          summary: `The signed ${format.toUpperCase()} of an issued invoice`,
          tags: ['invoices'],
          params: IdParams,
          response: {
            200: Type.Unsafe<Buffer>(Type.String({ format: 'binary', description: `the ${format.toUpperCase()}, signed; ETag is its SHA-256` })),
            304: Type.Unsafe<undefined>(Type.Null({ description: 'unchanged since the ETag in If-None-Match' })),
            404: ProblemSchema,
            409: ProblemSchema,
          },
        },
      },
      async (request, reply) => {
        const document = unlessRefused(await reading.document(request.params.id, format, { sellers: request.apiKey.sellers }));
        const etag = `"${document.sha256}"`;
        void reply.header('etag', etag).header('cache-control', 'private, max-age=0, must-revalidate');
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply
          .type(DOCUMENT_TYPES[format])
          .header('content-disposition', `attachment; filename="fapiao-${document.number}.${format}"`)
          .send(Buffer.from(document.content));
      },
    );
  }

  app.get(
    '/invoices/:id/timeline',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getInvoiceTimeline',
        summary: "An invoice's history: each upstream attempt (outcome, timing, error) and each audit entry, oldest first",
        tags: ['invoices'],
        params: IdParams,
        response: {
          200: Timeline,
          401: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const timeline = await reading.timeline(id, { sellers: request.apiKey.sellers, upstreamWords: request.apiKey.scopes.includes('admin') });
      return {
        data: found(timeline, `invoice ${id}`).map((entry) => ({
          ...entry,
          at: new Date(entry.at).toISOString(),
          text: entry.kind === 'attempt' ? attemptWords(entry.what, entry.channel, entry.outcome, entry.errorCode) : auditWords(entry.what, entry.from, entry.to, entry.errorCode),
        })),
      };
    },
  );

  app.post(
    '/invoices/:id/deliver',
    {
      config: { scope: 'issue' },
      validatorCompiler: domainValidated,
      schema: {
        operationId: 'deliverInvoice',
        summary: 'Email an issued invoice (PDF and XML attached) to its buyer again, or to another address',
        tags: ['invoices'],
        params: IdParams,
        body: Type.Union([DeliverRequest, Type.Null()]),
        response: { 202: InvoiceResource, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const requester = { id: request.apiKey.id, sellers: request.apiKey.sellers, admin: request.apiKey.scopes.includes('admin') };
      const outcome = unlessRefused(await options.emailAgain({ invoiceId: request.params.id, body: request.body, requester }));
      return reply.code(202).send(viewResource({ ...(await reading.view(outcome.invoice)), redFlushes: undefined }));
    },
  );

  app.post(
    '/invoices/:id/withdraw',
    {
      config: { scope: 'issue' },
      schema: {
        operationId: 'withdrawRedInvoice',
        summary: 'Withdraw (撤销) a red invoice’s 红字确认单 that waits for the counterparty; the invoice then fails as withdrawn',
        tags: ['invoices'],
        params: IdParams,
        response: { 202: InvoiceResource, 404: ProblemSchema, 409: ProblemSchema, 503: ProblemSchema },
      },
    },
    async (request, reply) => {
      const result = unlessRefused(await options.withdrawals.withdraw(request.params.id, { sellers: request.apiKey.sellers }));
      return reply.code(202).send(invoiceResource(result.invoice));
    },
  );

  app.post(
    '/invoices/:id/retry',
    {
      config: { scope: 'issue' },
      schema: { operationId: 'retryInvoice', summary: 'Re-queue a failed invoice', tags: ['invoices'], params: IdParams, response: { 202: InvoiceResource, 404: ProblemSchema, 409: ProblemSchema } },
    },
    async (request, reply) => {
      const result = unlessRefused(await invoicing.retry(request.params.id, { sellers: request.apiKey.sellers }));
      return reply.code(202).send(invoiceResource(result.invoice));
    },
  );
};
