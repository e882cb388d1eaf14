/**
 * /v1/batches: many invoices at once, as the 电子税务局 template (multipart/form-data, `file`) or as
 * JSON rows. The upload streams to a private temporary file within its size limit, the use case
 * checks and stores it, and the rows are issued in the background; the result reads back as JSON or
 * as a workbook. This plugin alone accepts multipart bodies and larger JSON.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parseJsonBody } from '../../domain/parse-json-body.js';
import { writeWorkbook } from '../../documents/spreadsheet.js';
import { BATCH_MODES, type BatchImport, type BatchSource } from '../../invoicing/batch-import.js';
import { RESULT_COLUMNS, resultRows, type BatchReading } from '../../invoicing/batch-reading.js';
import { ApiProblem } from '../problem.js';
import { found, unlessRefused } from '../refusal-problems.js';
import { IdParams, ProblemSchema } from '../schemas/invoice.js';

export interface BatchRoutesOptions {
  readonly batches: BatchImport;
  readonly reading: BatchReading;
  /** Largest upload: the .xlsx file, or the JSON body. */
  readonly maxUploadBytes: number;
}

type Mode = (typeof BATCH_MODES)[number];

/**
 * A multipart body the parser refuses (no boundary, cut short, too many parts, a file past the
 * limit) is the client's fault: 413 or 400 with the parser's words, never a 500.
 */
function multipartProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  const message = error instanceof Error ? error.message : 'the multipart body cannot be read';
  if (status === 413) return new ApiProblem('body_too_large', message);
  return new ApiProblem('batch_invalid', `the multipart/form-data body cannot be read: ${message}`);
}

function modeOf(value: unknown): Mode {
  if (value === undefined || value === null || value === '') return 'each';
  if (typeof value === 'string' && (BATCH_MODES as readonly string[]).includes(value)) return value as Mode;
  throw new ApiProblem('batch_invalid', 'mode is "each" (every valid row is issued) or "all" (all rows or none)', {
    errors: [{ path: '/mode', code: 'value_not_allowed', message: 'must be one of: each, all', messageZh: '取值只能是：each, all' }],
  });
}

const BatchAccepted = Type.Object({ id: Type.String(), status: Type.String({ description: 'accepted (rows being issued) or refused (mode "all" and a row broke a rule: nothing is issued)' }) });
const BatchErrorSchema = Type.Object({
  sheet: Type.Optional(Type.String()),
  row: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  code: Type.String(),
  message: Type.String(),
  messageZh: Type.String(),
});
const Counts = Type.Object({ accepted: Type.Integer(), refused: Type.Integer(), issued: Type.Integer(), pending: Type.Integer(), failed: Type.Integer() });
const BatchSummary = {
  id: Type.String(),
  status: Type.String({ description: 'refused | accepted | done (no row waits and no invoice is pending)' }),
  mode: Type.String(),
  source: Type.String(),
  fileName: Type.Union([Type.String(), Type.Null()]),
  sellerTaxId: Type.String(),
  createdAt: Type.String(),
  total: Type.Integer(),
  counts: Counts,
  problems: Type.Optional(Type.Array(BatchErrorSchema)),
};
const BatchResource = Type.Object({
  ...BatchSummary,
  rows: Type.Array(
    Type.Object({
      row: Type.Integer(),
      serialNo: Type.String(),
      status: Type.String({ description: 'refused, waiting, or the invoice status' }),
      invoiceId: Type.Optional(Type.String()),
      number: Type.Optional(Type.String()),
      total: Type.Optional(Type.String()),
      errors: Type.Optional(Type.Array(BatchErrorSchema)),
    }),
  ),
});
const BatchRequest = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('each'), Type.Literal('all')])),
    invoices: Type.Array(Type.Object({ serialNo: Type.String({ maxLength: 20, description: '发票流水号: the idempotency key and order number of the row' }) }, { additionalProperties: true }), { minItems: 1 }),
  },
  { description: 'JSON rows, or multipart/form-data with `file` (the .xlsx template), `seller` and `mode`' },
);

export const batchRoutes: FastifyPluginAsyncTypebox<BatchRoutesOptions> = async (app, options) => {
  const limit = options.maxUploadBytes;
  // This plugin's own parsers: JSON up to the upload limit, and multipart for the file.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limit }, (_request, body: Buffer, done) => {
    if (body.length === 0) return done(new ApiProblem('body_empty'), undefined);
    const parsed = parseJsonBody(body, limit);
    if (parsed.ok) return done(null, parsed.value);
    const code = (['encoding_invalid', 'body_too_large', 'json_too_deep'] as const).find((known) => known === parsed.error.code) ?? 'json_malformed';
    return done(new ApiProblem(code, parsed.error.message), undefined);
  });
  await app.register(multipart, { limits: { fileSize: limit, files: 1, fields: 4, fieldSize: 256, parts: 6, headerPairs: 50 } });

  app.post(
    '/batches',
    {
      config: { scope: 'issue' },
      bodyLimit: limit,
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'submitBatch',
        summary: 'Issue many invoices: the 电子税务局 template (.xlsx, multipart) or JSON rows; every row is checked before any is issued',
        tags: ['batches'],
        body: BatchRequest,
        response: { 202: BatchAccepted, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (request, reply) => {
      const actor = { sellers: request.apiKey.sellers };
      let outcome;
      if (request.isMultipart()) {
        const folder = await mkdtemp(join(tmpdir(), 'fapiao-batch-'));
        try {
          const fields: Record<string, string> = {};
          let file: { path: string; name: string | null } | undefined;
          try {
            for await (const part of request.parts()) {
              if (part.type === 'field') {
                fields[part.fieldname] = String(part.value);
                continue;
              }
              if (part.fieldname !== 'file' || file) {
                part.file.resume();
                continue;
              }
              const path = join(folder, 'upload.xlsx');
              await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
              if (part.file.truncated) throw new ApiProblem('body_too_large', `the file is larger than ${limit} bytes`);
              file = { path, name: part.filename || null };
            }
          } catch (error) {
            throw multipartProblem(error);
          }
          if (!file) throw new ApiProblem('batch_invalid', 'send the template as the multipart field "file"', { errors: [{ path: '/file', code: 'field_required', message: 'this field is required', messageZh: '此字段必填' }] });
          const seller = fields.seller ?? (actor.sellers.length === 1 ? actor.sellers[0] : undefined);
          if (!seller) throw new ApiProblem('batch_invalid', 'name the seller (field "seller"): this key acts for several', { errors: [{ path: '/seller', code: 'field_required', message: 'this field is required', messageZh: '此字段必填' }] });
          const source: BatchSource = { kind: 'xlsx', path: file.path, fileName: file.name, sellerTaxId: seller };
          outcome = await options.batches.submit(actor, request.apiKey.id, modeOf(fields.mode), source);
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      } else {
        const body = request.body as { mode?: unknown; invoices?: unknown } | null;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiProblem('batch_invalid', 'send { "mode": "each", "invoices": [ … ] }');
        outcome = await options.batches.submit(actor, request.apiKey.id, modeOf(body.mode), { kind: 'json', invoices: body.invoices });
      }
      const stored = unlessRefused(outcome);
      return reply.code(202).header('location', `/v1/batches/${stored.batchId}`).send({ id: stored.batchId, status: stored.status });
    },
  );

  app.get(
    '/batches',
    {
      config: { scope: 'read' },
      schema: { operationId: 'listBatches', summary: 'The latest batches of the key’s sellers, newest first', tags: ['batches'], response: { 200: Type.Object({ data: Type.Array(Type.Object(BatchSummary)) }), 401: ProblemSchema } },
    },
    async (request) => ({ data: await options.reading.list({ sellers: request.apiKey.sellers }, 50) }),
  );

  app.get(
    '/batches/:id',
    {
      config: { scope: 'read' },
      schema: { operationId: 'getBatch', summary: 'A batch: counts by status and each row’s result', tags: ['batches'], params: IdParams, response: { 200: BatchResource, 401: ProblemSchema, 404: ProblemSchema } },
    },
    async (request) => found(await options.reading.view(request.params.id, { sellers: request.apiKey.sellers }), `batch ${request.params.id}`),
  );

  app.get(
    '/batches/:id/result.xlsx',
    {
      config: { scope: 'read' },
      schema: { operationId: 'getBatchResult', summary: 'The batch’s result as a workbook: each row with its invoice number or its errors', tags: ['batches'], params: IdParams, response: { 200: Type.Unsafe<PassThrough>(Type.String({ format: 'binary', description: 'the result workbook (.xlsx)' })), 401: ProblemSchema, 404: ProblemSchema } },
    },
    async (request, reply) => {
      const view = found(await options.reading.view(request.params.id, { sellers: request.apiKey.sellers }), `batch ${request.params.id}`);
      const stream = new PassThrough();
      void writeWorkbook(stream, [{ name: '开票结果', columns: RESULT_COLUMNS, rows: resultRows(view) }]).catch((error: unknown) => stream.destroy(error as Error));
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="${view.id}-result.xlsx"`)
        .send(stream);
    },
  );
};
