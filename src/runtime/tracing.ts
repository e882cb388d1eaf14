/**
 * Turns OpenTelemetry tracing on, from the standard OTEL_* variables (off unless an OTLP endpoint
 * is given): a tracer provider exporting over OTLP/HTTP (protobuf, or JSON with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json), W3C trace context in and out, and the standard
 * instrumentations — Fastify through @fastify/otel (the older Fastify instrumentation is
 * deprecated), PostgreSQL through instrumentation-pg, outgoing HTTP through instrumentation-undici.
 * Loaded by bin/fapiao before anything else, only when tracing is on, so that pg is patched as it
 * is first imported and a gateway without tracing never loads the SDK.
 */
import { register } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler } from '@opentelemetry/sdk-trace';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { environment } from './env.js';
import { onTracingFlush } from './trace-context.js';

/** OTEL_TRACES_SAMPLER's common values; anything else samples every trace its parent samples. */
function sampler(name: string | undefined, arg: string | undefined): Sampler {
  const ratio = Number(arg ?? '1');
  const share = new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return share;
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: share });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Starts tracing when the environment asks for it; true when it did. */
export function startTracing(): boolean {
  const settings = environment.tracing;
  if (!settings.on) return false;
  if (settings.protocol === 'grpc') process.stderr.write('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: exporting over http/protobuf instead\n');
  // ESM imports are patched through import-in-the-middle's loader hook, registered before them.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const exporter = settings.protocol === 'http/json' ? new JsonExporter() : new ProtobufExporter();
  const resource = resourceFromAttributes({ 'service.name': settings.serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: sampler(settings.sampler, settings.samplerArg),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
      new PgInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
  });
  onTracingFlush(() => provider.forceFlush());
  return true;
}
