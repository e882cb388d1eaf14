/**
 * The only body the API reads: JSON, parsed as `fapiao preview` parses files — strict UTF-8 (a GBK
 * body is refused rather than stored as mojibake on an invoice), no charset but UTF-8, nesting and
 * size bounded (src/domain/parse-json-body.ts). text/plain is no longer accepted, so a string can
 * never arrive where an invoice is judged.
 */
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { parseJsonBody } from '../../domain/parse-json-body.js';
import { ApiProblem } from '../problem.js';

export interface JsonBodyOptions {
  readonly bodyLimitBytes: number;
}

const jsonBody: FastifyPluginAsync<JsonBodyOptions> = async (app, options) => {
  app.removeContentTypeParser('application/json');
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const charset = /charset=([^;\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      return done(new ApiProblem('content_type_unsupported', `charset ${charset}: send the body as UTF-8 JSON`), undefined);
    }
    if (body.length === 0) return done(new ApiProblem('body_empty'), undefined);
    const parsed = parseJsonBody(body, options.bodyLimitBytes);
    if (parsed.ok) return done(null, parsed.value);
    const code = (['encoding_invalid', 'body_too_large', 'json_too_deep'] as const).find((known) => known === parsed.error.code) ?? 'json_malformed';
    return done(new ApiProblem(code, parsed.error.message), undefined);
  });
};

export const jsonBodyPlugin = fp(jsonBody, { name: 'json-body' });
