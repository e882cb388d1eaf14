/**
 * Telling others: webhook subscriptions (the signing secret encrypted, as the scheme needs it back),
 * the outbox of events written in the transaction of the change they report, one delivery per
 * event and subscription with each attempt logged, the last channel state reported, and emails of
 * invoices to buyers. Deliveries are leased and settled as `jobs` rows (queues webhook, email). Frozen.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON arrays: event types (or ["*"]), and the sellers whose invoices it hears of.
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('sellers', 'text', (c) => c.notNull())
    // AES-256-GCM of the secret under the gateway's secrets key: HMAC signing needs it back.
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    // enabled, or disabled (410 Gone, or failing for days) with the reason.
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    .addColumn('failing_since', 'bigint')
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    // What the event is about, and its place among that subject's events: an invoice id, or channel:NAME.
    .addColumn('subject', 'varchar(72)', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('seller_tax_id', 'varchar(32)')
    // The subject as it was when the event happened (JSON): every attempt sends the same body.
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('webhook_events_sequence', ['subject', 'sequence'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(48)', (c) => c.primaryKey())
    .addColumn('subscription_id', 'varchar(40)', (c) => c.notNull().references('webhook_subscriptions.id').onDelete('cascade'))
    .addColumn('event_id', 'varchar(40)', (c) => c.notNull().references('webhook_events.id'))
    .addColumn('subject', 'varchar(72)', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    // pending until a 2xx (delivered) or the schedule runs out (failed).
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('webhook_deliveries_event', ['subscription_id', 'event_id'])
    .execute();
  // A delivery waits while an earlier one of its subject to the same subscription is pending.
  await db.schema.createIndex('webhook_deliveries_order_idx').on('webhook_deliveries').columns(['subscription_id', 'subject', 'sequence']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'varchar(48)', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    // The HTTP status, or null when there was no answer (error says why).
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  // The last state of each channel told to subscribers, so several processes report a change once.
  await db.schema
    .createTable('channel_reports')
    .addColumn('channel', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('state', 'varchar(8)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('email_deliveries')
    .addColumn('id', 'varchar(48)', (c) => c.primaryKey())
    .addColumn('invoice_id', 'varchar(40)', (c) => c.notNull().references('invoices.id'))
    .addColumn('to_address', 'text', (c) => c.notNull())
    // pending until the SMTP server takes it (sent) or the schedule runs out (failed).
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'bigint')
    .addColumn('message_id', 'text')
    .addColumn('requested_by', 'varchar(64)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_deliveries_invoice_idx').on('email_deliveries').column('invoice_id').execute();
}
