/**
 * Every failure leaves as a problem document (RFC 9457) with a stable code, and nothing a client
 * sends can cause a 5xx (design.md invariant 4): the error and not-found handlers, and the mapping
 * of Fastify's own errors and of a database that cannot take writes onto our codes.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { describeDatabaseError, storageFault } from '../../store/db-errors.js';
import type { StorageHealth } from '../../store/storage-health.js';
import { ApiProblem, problemBody, sendProblem } from '../problem.js';
import { queryErrors } from '../query-errors.js';

export interface ProblemAnswersOptions {
  /** Told about each write the database refused, so readiness reports it. */
  readonly storage: StorageHealth;
}

/** Fastify's own client-error codes, as our problems. */
const FASTIFY_CODES: Readonly<Record<string, ConstructorParameters<typeof ApiProblem>[0]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content_type_unsupported',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body_empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'json_malformed',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'json_malformed',
};

const STORAGE_DETAIL = {
  disk_full: 'the database disk is full; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  read_only: 'the database is read-only; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  io_error: 'the database reported an I/O error; nothing was stored; retry after Retry-After with the same Idempotency-Key',
  unavailable: 'the database cannot be reached; nothing was stored; retry after Retry-After with the same Idempotency-Key',
} as const;

/** A client error by its HTTP status, with the code that says the most about it. */
function clientProblem(status: number, message: string, url: string): ApiProblem {
  const path = url.split('?')[0];
  // A path a static handler refuses (../, an encoded traversal) names nothing that exists here.
  if (status === 403 || status === 404) return new ApiProblem('not_found', `no such resource: ${path}`);
  if (status === 413) return new ApiProblem('body_too_large', message);
  if (status === 414) return new ApiProblem('url_too_long', message);
  if (status === 415) return new ApiProblem('content_type_unsupported', message);
  if (status === 431) return new ApiProblem('headers_too_large', message);
  return new ApiProblem('request_invalid', message);
}

/** Errors the router raises before any route runs (Fastify's `frameworkErrors` option). */
export function frameworkProblem(error: FastifyError): ApiProblem {
  if (error.code === 'FST_ERR_BAD_URL') return new ApiProblem('url_invalid', error.message);
  // An id longer than any id we make: there is no such invoice.
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return new ApiProblem('not_found', 'no such resource: a path segment is longer than 100 characters, longer than any id');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && !/JSON/i.test(error.message)) {
    return clientProblem(error.statusCode, error.message, '');
  }
  return new ApiProblem('json_malformed', error.message);
}

const problemAnswers: FastifyPluginAsync<ProblemAnswersOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiProblem) return sendProblem(reply, error);
    if (error.validation) {
      const schema = error.validationContext === 'querystring' ? request.routeOptions.schema?.querystring : request.routeOptions.schema?.params;
      const errors = queryErrors(error.validation, schema);
      const detail = errors.map((item) => item.message).join('; ');
      return reply.code(400).type('application/problem+json; charset=utf-8').send({ ...problemBody('query_invalid', detail), errors });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(reply, new ApiProblem(mapped, error.message));
    if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
      return sendProblem(reply, new ApiProblem('json_malformed', error.message));
    }
    // An error that carries its own 4xx (a plugin refusing a path, say) is the client's: answer as
    // a problem with that meaning, never as a 500.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, clientProblem(error.statusCode, error.message, request.url));
    }
    const fault = storageFault(error);
    if (fault) {
      // Not the client's doing and not a bug: the database cannot take writes. Say so with its own
      // words in the log, and let the client retry with the same key (nothing was written).
      options.storage.recordFailure(error);
      request.log.error({ fault, cause: describeDatabaseError(error) }, 'the database refused a write');
      return sendProblem(reply, new ApiProblem('storage_unavailable', STORAGE_DETAIL[fault], { headers: { 'retry-after': '5' } }));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, new ApiProblem('internal_error'));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new ApiProblem('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));
};

export const problemAnswersPlugin = fp(problemAnswers, { name: 'problem-answers' });
