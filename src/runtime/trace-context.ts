/**
 * The gateway's own spans and the trace an invoice belongs to, through the OpenTelemetry API: with
 * tracing off (the default) every call here is a no-op of the API's, costing next to nothing. An
 * invoice keeps the W3C traceparent it was accepted under, so that every attempt, render and
 * webhook delivery — in any process, after any restart — joins that one trace.
 */
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { errorMessage } from '../domain/error-message.js';

const tracer = trace.getTracer('fapiao-gateway');
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traceparent of the span active now; null when tracing is off or nothing is traced. */
export function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent !== undefined && TRACEPARENT.test(carrier.traceparent) ? carrier.traceparent : null;
}

/** The trace id in a traceparent (32 hex digits); null for none or a malformed one. */
export function traceIdOf(traceparent: string | null): string | null {
  return traceparent === null ? null : (TRACEPARENT.exec(traceparent)?.[1] ?? null);
}

async function run<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Runs `work` in a span that is a child of the span active now (the request's, say). */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, (span) => run(span, work));
}

/**
 * Runs `work` in a span of the trace `traceparent` names (an invoice's), whatever is active now;
 * a new trace when it is null. Outgoing HTTP calls inside carry it on (the undici instrumentation).
 */
export function inInvoiceTrace<T>(name: string, traceparent: string | null, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = traceparent !== null && TRACEPARENT.test(traceparent) ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  return tracer.startActiveSpan(name, { attributes }, parent, (span) => run(span, work));
}

const flushes: Array<() => Promise<void>> = [];

/** Registered by the tracing setup: what to flush before the process exits. */
export function onTracingFlush(flush: () => Promise<void>): void {
  flushes.push(flush);
}

/** Sends the spans still buffered (before a process exits); never throws. */
export async function flushTracing(): Promise<void> {
  await Promise.allSettled(flushes.map((flush) => flush()));
}
