/** GET /v1/channels as published in /openapi.json; the console's types are this schema's. */
import { Type } from 'typebox';

const Text = Type.Object({ zh: Type.String(), en: Type.String() });

export const ChannelList = Type.Object({
  data: Type.Array(
    Type.Object({
      name: Type.String(),
      circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
      pausedUntil: Type.Union([Type.String(), Type.Null()]),
      pauseReason: Type.Union([Type.String({ description: "the upstream's own words for operator keys; a fixed sentence otherwise" }), Type.Null()]),
      lastSuccessAt: Type.Union([Type.String(), Type.Null()]),
      lastFailureAt: Type.Union([Type.String(), Type.Null()]),
      failingSince: Type.Union([Type.String({ description: 'the first failure since the last success: since when the channel has been failing' }), Type.Null()]),
      lastError: Type.Union([
        Type.Object({
          code: Type.String({ description: 'a channel error code (docs/errors.md)' }),
          message: Type.String({ description: "the upstream's own words for operator keys; a fixed sentence for the code otherwise" }),
          text: Type.Object({ zh: Type.String(), en: Type.String() }, { description: 'our sentence for the code, in Chinese and English' }),
          at: Type.String(),
          cause: Type.Union([Text, Type.Null()], { description: "the likely cause, from the doctor's knowledge base" }),
          remedy: Type.Union([Text, Type.Null()], { description: "what to do about it, from the doctor's knowledge base" }),
        }),
        Type.Null(),
      ]),
      errorRate: Type.Number({ description: 'share of failed calls among the last 100' }),
      ratePerSecond: Type.Union([Type.Number({ description: "calls per second the channel is held to: configured, or learned from the upstream's 429s" }), Type.Null()]),
      rateLimitedUntil: Type.Union([Type.String({ description: "the channel waits out the upstream's Retry-After until then" }), Type.Null()]),
      backlog: Type.Integer({ description: "pending invoices bound to this channel: the key's own sellers', or all for an operator key" }),
      isolated: Type.Boolean({ description: 'isolated by an operator: no new work; what it holds is still resolved there by query' }),
      latencyMs: Type.Union([Type.Object({ p50: Type.Integer(), p95: Type.Integer() }, { description: 'how long its last answered calls (up to 100) took' }), Type.Null()]),
      certificateExpiresAt: Type.Union([Type.String({ description: "when the TLS certificate its upstream last presented expires" }), Type.Null()]),
      isolation: Type.Union([Type.Object({ reason: Type.String(), by: Type.String({ description: 'the API key id or the operator that isolated it' }), at: Type.String() }), Type.Null()]),
    }),
  ),
  unbound: Type.Object({
    backlog: Type.Integer({ description: 'pending invoices not yet bound to any channel' }),
    oldestCreatedAt: Type.Union([Type.String(), Type.Null()]),
  }),
});

/** POST /v1/channels/{name}/doctor: the doctor's layered checks against one channel. */
export const DoctorAnswer = Type.Object({
  target: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail')]),
  checks: Type.Array(
    Type.Object(
      {
        layer: Type.String({ description: 'local, db, dns, tcp, tls, http, clock, upstream or gateway' }),
        name: Type.String(),
        status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail'), Type.Literal('skip')]),
        code: Type.Union([Type.String({ description: 'a finding code (docs/doctor.md)' }), Type.Null()]),
        detail: Type.String({ description: 'what was measured, as the operator would read it off the tool' }),
        remedy: Type.Union([Text, Type.Null()], { description: 'the likely cause and the fix, in Chinese and English' }),
      },
      { additionalProperties: true },
    ),
  ),
});
