/** An invoice's history for the console: each upstream attempt with its outcome and timing, and each audit entry. */
import type { Kysely } from 'kysely';
import type { Database } from './schema/index.js';

export interface TimelineEntry {
  readonly at: number;
  readonly kind: 'attempt' | 'audit';
  /** attempt: submit or query; audit: the event (accepted, issued, adopted, …). */
  readonly what: string;
  readonly channel: string | null;
  readonly outcome: string | null;
  readonly durationMs: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly from: string | null;
  readonly to: string | null;
}

export async function invoiceTimeline(db: Kysely<Database>, invoiceId: string): Promise<TimelineEntry[]> {
  const attempts = await db.selectFrom('attempts').selectAll().where('invoice_id', '=', invoiceId).orderBy('id').limit(500).execute();
  const audit = await db.selectFrom('audit_log').select(['at', 'event', 'from_state', 'to_state', 'detail']).where('invoice_id', '=', invoiceId).orderBy('at').limit(500).execute();
  const entries: TimelineEntry[] = [
    ...attempts.map((row) => ({ at: row.started_at, kind: 'attempt' as const, what: row.kind, channel: row.channel, outcome: row.outcome, durationMs: row.duration_ms, errorCode: row.error_code, errorMessage: row.error_message, from: null, to: null })),
    ...audit.map((row) => {
      const detail = row.detail ? (JSON.parse(row.detail) as { channel?: string; error?: string }) : {};
      return { at: row.at, kind: 'audit' as const, what: row.event, channel: detail.channel ?? null, outcome: null, durationMs: null, errorCode: detail.error ?? null, errorMessage: null, from: row.from_state, to: row.to_state };
    }),
  ];
  return entries.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'audit' ? -1 : 1));
}
