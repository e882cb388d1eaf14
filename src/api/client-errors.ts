/**
 * What Node's HTTP parser refuses before Fastify sees a request (a malformed request line, headers
 * over the limit, a request that took too long) answered as problem documents like every other
 * refusal, instead of Node's bare text.
 */
import type { Socket } from 'node:net';
import { problemBody, type ApiProblemCode } from './problem.js';

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let code: ApiProblemCode = 'request_invalid';
  let status = 400;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    code = 'headers_too_large';
    status = 431;
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    code = 'request_timeout';
    status = 408;
  }
  const body = JSON.stringify(problemBody(code));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
