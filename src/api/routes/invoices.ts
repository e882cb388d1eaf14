/**
 * /v1/invoices: issue, preview, read, list, retry.
 *
 * Handlers translate between HTTP and the store: tax rules live in src/domain, durability and
 * idempotency in src/store (one transaction: invoice + idempotency record + audit entry). The
 * answer to an issue request is sent only after its commit (invariant 1); a request refused for
 * any reason changes nothing (invariant 4).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FieldError } from '../../domain/field-error.js';
import { invalidInvoiceDocument } from '../../domain/problem-document.js';
import { INVOICE_ID_FORM } from '../../domain/field-forms.js';
import { Invoicing, type InvoicingDeps } from '../../invoicing/invoicing.js';
import { OverloadedError } from '../../store/group-commit.js';
import { findInvoice, listInvoices } from '../../store/invoice-store.js';
import { findDocument } from '../../store/document-jobs.js';
import { redFlushesOf } from '../../store/red-flush-store.js';
import { emailDeliveriesOf, type EmailLimits } from '../../store/email-deliveries.js';
import { emailInvoiceAgain } from '../../invoicing/invoice-email.js';
import { formatFen, parseMoney } from '../../domain/money.js';
import { invoiceTimeline } from '../../store/invoice-timeline.js';
import { Type } from 'typebox';
import { invoiceResource } from '../invoice-resource.js';
import { ApiProblem } from '../problem.js';
import {
  ComputedInvoice,
  DeliverRequest,
  IdempotencyHeaders,
  IdParams,
  InvoiceList,
  InvoiceRequest,
  InvoiceResource,
  ListQuery,
  ProblemSchema,
  RedFlushRequest,
} from '../schemas/invoice.js';

/** What the use cases need (reader: lookups, GET and list), and the shed counter. */
export interface InvoiceRoutesOptions extends InvoicingDeps {
  /** Counts an accept refused because too many writes wait for the database. */
  readonly onShed?: () => void;
  /** Invoices are emailed to buyers (FAPIAO_SMTP_URL is set). */
  readonly emailEnabled: boolean;
  readonly emailLimits: EmailLimits;
}

// 1–128 printable ASCII characters, as Stripe's keys are in practice.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
// The body is validated by src/domain, which reports every problem with our codes.
const domainValidated = () => () => true;

/**
 * Whether a path segment can be an invoice id at all. Anything else is "not found" without asking
 * the database, which would refuse some text itself (PostgreSQL: a NUL byte) with an error.
 */
function isInvoiceId(id: string): boolean {
  return INVOICE_ID_FORM.test(id);
}

function parseMoneyOrThrow(text: string): bigint {
  const parsed = parseMoney(text, { allowNegative: true });
  if (!parsed.ok) throw new ApiProblem('query_invalid', `total ${text} is not an amount like 1060.00`);
  return parsed.fen;
}

function isoParam(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

export const invoiceRoutes: FastifyPluginAsyncTypebox<InvoiceRoutesOptions> = async (app, options) => {
  const { reader } = options;
  const invoicing = new Invoicing(options);
  const emailDeps = { db: options.db, capabilities: options.capabilities, clock: options.clock, emailEnabled: options.emailEnabled, limits: options.emailLimits };

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

  /** A refused request body as the problem document the API answers with. */
  function invalid(errors: readonly FieldError[]): ApiProblem {
    const document = invalidInvoiceDocument(errors);
    return new ApiProblem('invoice_invalid', document.detail, { errors: document.errors });
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
      const result = await shedWhenOverloaded(() => invoicing.issue(request.body, key, { sellers: request.apiKey.sellers }));
      if (result.kind === 'invalid') throw invalid(result.errors);
      if (result.kind === 'seller_forbidden') throw new ApiProblem('seller_forbidden', `this API key does not act for seller ${result.sellerTaxId}`);
      if (result.kind === 'key_reused') {
        throw new ApiProblem('idempotency_key_reused', `key ${JSON.stringify(key)} was first used for invoice ${result.invoiceId} with a different body`);
      }
      if (result.kind === 'order_no_taken') {
        throw new ApiProblem(
          'order_no_taken',
          `order number ${JSON.stringify(result.orderNo)} of seller ${result.sellerTaxId} already belongs to invoice ${result.invoiceId} (${result.status}); read that invoice, or retry it if it failed, instead of issuing again`,
          { members: { invoiceId: result.invoiceId }, headers: { location: `/v1/invoices/${result.invoiceId}` } },
        );
      }
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
      const { id } = request.params;
      const key = idempotencyKeyOf(request.headers['idempotency-key']);
      if (!isInvoiceId(id)) throw new ApiProblem('not_found', `no invoice ${id}`);
      const result = await shedWhenOverloaded(() => invoicing.redFlush(id, request.body, key, { sellers: request.apiKey.sellers }));
      switch (result.kind) {
        case 'not_found':
          throw new ApiProblem('not_found', `no invoice ${id}`);
        case 'red_of_red':
          throw new ApiProblem('red_flush_of_red', `invoice ${id} is a red invoice; flush its blue invoice instead`);
        case 'not_issued':
          throw new ApiProblem('invoice_not_issued', `invoice ${id} is ${result.status}; only an issued invoice can be red-flushed`);
        case 'key_reused':
          throw new ApiProblem('idempotency_key_reused', `key ${JSON.stringify(key)} was first used for invoice ${result.invoiceId} with a different request`);
        case 'invalid': {
          const document = invalidInvoiceDocument(result.errors);
          throw new ApiProblem('red_flush_invalid', document.detail, { errors: document.errors });
        }
        case 'exceeds': {
          const document = invalidInvoiceDocument(result.errors);
          throw new ApiProblem('red_flush_exceeds_blue', document.detail, { errors: document.errors });
        }
        case 'replayed':
          void reply.header('idempotent-replayed', 'true');
      }
      return reply.code(202).header('location', `/v1/invoices/${result.invoice.id}`).send(invoiceResource(result.invoice));
    },
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
        response: { 200: ComputedInvoice, 403: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request) => {
      const result = await invoicing.preview(request.body, { sellers: request.apiKey.sellers });
      if (result.kind === 'invalid') throw invalid(result.errors);
      if (result.kind === 'seller_forbidden') throw new ApiProblem('seller_forbidden', `this API key does not act for seller ${result.sellerTaxId}`);
      return result.invoice;
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
      const row = isInvoiceId(id) ? await findInvoice(reader, id, request.apiKey.sellers) : undefined;
      // Another seller's invoice does not exist for this key: 404, never 403.
      if (!row) throw new ApiProblem('not_found', `no invoice ${id}`);
      const deliveries = (await emailDeliveriesOf(reader, [row.id])).get(row.id) ?? [];
      // Only a blue invoice has red invoices to list: a red one costs no query for them.
      if (row.kind !== 'blue') return invoiceResource(row, undefined, deliveries);
      return invoiceResource(row, (await redFlushesOf(reader, [row.id])).get(row.id) ?? [], deliveries);
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
      const page = await listInvoices(reader, {
        sellers: request.apiKey.sellers,
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
      });
      const reds = await redFlushesOf(reader, page.rows.filter((row) => row.kind === 'blue').map((row) => row.id));
      return { data: page.rows.map((row) => invoiceResource(row, reds.get(row.id) ?? [])), nextCursor: page.nextCursor };
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
        const { id } = request.params;
        const row = isInvoiceId(id) ? await findInvoice(reader, id, request.apiKey.sellers) : undefined;
        if (!row) throw new ApiProblem('not_found', `no invoice ${id}`);
        if (row.status !== 'issued' || row.number === null) throw new ApiProblem('invoice_not_issued', `invoice ${id} is ${row.status}`);
        const document = await findDocument(reader, id, format);
        if (!document || row.documents_status !== 'done') {
          const detail = row.documents_error ? `rendering failed ${row.documents_attempts} time(s), last: ${row.documents_error}; it is retried` : undefined;
          throw new ApiProblem('documents_not_ready', detail, { headers: { 'retry-after': '1' } });
        }
        const etag = `"${document.sha256}"`;
        void reply.header('etag', etag).header('cache-control', 'private, max-age=0, must-revalidate');
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply
          .type(DOCUMENT_TYPES[format])
          .header('content-disposition', `attachment; filename="fapiao-${row.number}.${format}"`)
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
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                at: Type.String({ format: 'date-time' }),
                kind: Type.Union([Type.Literal('attempt'), Type.Literal('audit')]),
                what: Type.String({ description: 'attempt: submit or query; audit: the event' }),
                channel: Type.Union([Type.String(), Type.Null()]),
                outcome: Type.Union([Type.String(), Type.Null()]),
                durationMs: Type.Union([Type.Integer(), Type.Null()]),
                errorCode: Type.Union([Type.String(), Type.Null()]),
                errorMessage: Type.Union([Type.String(), Type.Null()]),
                from: Type.Union([Type.String(), Type.Null()]),
                to: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          401: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const row = isInvoiceId(id) ? await findInvoice(reader, id, request.apiKey.sellers) : undefined;
      if (!row) throw new ApiProblem('not_found', `no invoice ${id}`);
      const admin = request.apiKey.scopes.includes('admin');
      // The upstream's own words are for operators; others see the code.
      return { data: (await invoiceTimeline(reader, id)).map((entry) => ({ ...entry, at: new Date(entry.at).toISOString(), errorMessage: admin ? entry.errorMessage : null })) };
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
      const { id } = request.params;
      if (!isInvoiceId(id)) throw new ApiProblem('not_found', `no invoice ${id}`);
      const requester = { id: request.apiKey.id, sellers: request.apiKey.sellers, admin: request.apiKey.scopes.includes('admin') };
      const outcome = await emailInvoiceAgain(emailDeps, { invoiceId: id, body: request.body, requester });
      switch (outcome.kind) {
        case 'not_found':
          throw new ApiProblem('not_found', `no invoice ${id}`);
        case 'invalid':
          throw new ApiProblem('delivery_invalid', undefined, { errors: outcome.errors });
        case 'not_configured':
          throw new ApiProblem('email_not_configured', 'set FAPIAO_SMTP_URL (smtp://user:pass@host:port) and restart');
        case 'not_issued':
          throw new ApiProblem('invoice_not_issued', `invoice ${id} is ${outcome.status}`);
        case 'address_missing':
          throw new ApiProblem('delivery_address_missing', `invoice ${id} names no buyer email`);
        case 'address_forbidden':
          throw new ApiProblem('delivery_address_forbidden');
        case 'limited':
          throw new ApiProblem('email_limit_reached', outcome.by === 'invoice' ? `invoice ${id} was emailed ${options.emailLimits.perInvoice} times in 24 hours` : `this key asked for ${options.emailLimits.perRequester} emails in the last hour`, { headers: { 'retry-after': String(outcome.retryAfterSeconds) } });
        case 'queued': {
          const deliveries = (await emailDeliveriesOf(options.db, [id])).get(id) ?? [];
          return reply.code(202).send(invoiceResource(outcome.invoice, undefined, deliveries));
        }
      }
    },
  );

  app.post(
    '/invoices/:id/retry',
    {
      config: { scope: 'issue' },
      schema: { operationId: 'retryInvoice', summary: 'Re-queue a failed invoice', tags: ['invoices'], params: IdParams, response: { 202: InvoiceResource, 404: ProblemSchema, 409: ProblemSchema } },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!isInvoiceId(id)) throw new ApiProblem('not_found', `no invoice ${id}`);
      const result = await invoicing.retry(id, { sellers: request.apiKey.sellers });
      if (result.kind === 'not_found') throw new ApiProblem('not_found', `no invoice ${id}`);
      if (result.kind === 'not_failed') throw new ApiProblem('invoice_not_failed', `invoice ${id} is ${result.invoice.status}`);
      return reply.code(202).send(invoiceResource(result.invoice));
    },
  );
};
