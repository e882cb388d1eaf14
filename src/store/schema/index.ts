/**
 * The database's tables as Kysely sees them. Times are integer milliseconds since the epoch in both
 * dialects (one comparison semantics, no time-zone surprises); JSON documents are text; money in
 * the columns that lists filter on is a decimal string, the invoice's own JSON holds the rest.
 */
import type { Generated, Selectable } from 'kysely';

export interface SellerTable {
  tax_id: string;
  name: string;
  address: string | null;
  phone: string | null;
  bank_name: string | null;
  bank_account: string | null;
  /** 1 for a provider sandbox ID that is no real USCC (domain.md decision 4). */
  sandbox: number;
  created_at: number;
}

export interface ApiKeyTable {
  /** The public part of the key, shown by `keys list` and in logs. */
  id: string;
  /** SHA-256 of the whole secret key, hex. The key itself is never stored. */
  secret_hash: string;
  /** Comma-separated: issue, read, admin. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface ApiKeySellerTable {
  key_id: string;
  seller_tax_id: string;
}

export interface InvoiceTable {
  id: string;
  seller_tax_id: string;
  order_no: string;
  buyer_tax_id: string | null;
  buyer_name: string;
  type: string;
  /** 价税合计 as a decimal string, for lists. */
  total: string;
  /** The request as accepted (normalised JSON), and the computed invoice (JSON). */
  request_json: string;
  computed_json: string;
  status: string;
  stage: string | null;
  /** Our key for this invoice at the upstream (流水号); the same on every attempt and query. */
  serial_no: string;
  /** The channel the invoice is bound to once an attempt may have reached it; null before. */
  channel: string | null;
  number: string | null;
  issued_at: number | null;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  lease_version: number;
  give_up_at: number;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
  /** 1 when issued through the simulator: documents are marked so nobody mistakes them. */
  simulated: Generated<number>;
  /** When a claim last bound it for sending (before the request left); null before (migration 008). */
  last_sent_at: number | null;
  /** `blue`, or `red` for a red invoice (红字发票, migration 010; older rows are blue). */
  kind: Generated<string>;
  /** A red invoice's blue invoice; null for a blue one. */
  blue_invoice_id: string | null;
  /** A red invoice's reason (sales_return, issued_in_error, service_stopped, sales_allowance). */
  red_reason: string | null;
  /** The 红字确认单 the upstream filed for a red invoice, and its state (02 waiting …), once it said. */
  confirmation_bill_no: Generated<string | null>;
  confirmation_status: Generated<string | null>;
  /** The W3C traceparent of the request that accepted it (migration 014); null while tracing is off. */
  trace_parent: Generated<string | null>;
}

/** Background work that is not an invoice's own state (migration 005); leased by src/store/job-queue.ts. */
export interface JobTable {
  /** Which kind of work: `documents` (render an issued invoice's PDF and XML). */
  queue: string;
  /** What it works on: an invoice id for `documents`. */
  subject_id: string;
  /** pending until its work is stored, then done. */
  status: string;
  attempts: Generated<number>;
  next_at: number;
  lease_until: number | null;
  /** Raised by every claim; a settle lands only with the version its claim read. */
  lease_version: Generated<number>;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** An upstream channel's access token (migration 006). */
export interface ChannelTokenTable {
  channel: string;
  token: string;
  expires_at: number;
  updated_at: number;
}

/** A channel an operator isolated (migration 007). */
export interface ChannelIsolationTable {
  channel: string;
  reason: string;
  isolated_by: string;
  isolated_at: number;
}

export interface InvoiceDocumentTable {
  invoice_id: string;
  /** pdf or xml */
  kind: string;
  content: Uint8Array;
  sha256: string;
  created_at: number;
}

export interface IdempotencyKeyTable {
  seller_tax_id: string;
  key: string;
  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  request_hash: string;
  invoice_id: string;
  created_at: number;
  expires_at: number;
}

export interface AttemptTable {
  id: Generated<number>;
  invoice_id: string;
  /** submit or query */
  kind: string;
  channel: string;
  serial_no: string;
  /** issued, accepted, rejected, not_found, retry, uncertain, operator */
  outcome: string;
  error_code: string | null;
  error_message: string | null;
  started_at: number;
  duration_ms: number;
}

export interface AuditLogTable {
  /** The chain this entry belongs to (audit_chains); `seq` counts within it. */
  chain: number;
  seq: number;
  at: number;
  invoice_id: string;
  event: string;
  from_state: string | null;
  to_state: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the head of the registry of chains — how many (`seq`) and the last creation link (`hash`). */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/**
 * One audit chain: its head (`seq`, `hash` of its last entry), locked only by the transaction
 * appending to it, and its creation `link` in the registry of chains.
 */
export interface AuditChainTable {
  chain: number;
  seq: number;
  hash: string;
  created_at: number;
  link: string;
}

export interface WebhookSubscriptionTable {
  id: string;
  url: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  /** JSON array of seller tax ids. */
  sellers: string;
  secret_sealed: string;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  failing_since: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventTable {
  id: string;
  type: string;
  /** An invoice id, or `channel:NAME`. */
  subject: string;
  sequence: number;
  seller_tax_id: string | null;
  snapshot: string;
  created_at: number;
}

export interface WebhookDeliveryTable {
  id: string;
  subscription_id: string;
  event_id: string;
  subject: string;
  sequence: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptTable {
  delivery_id: string;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

export interface ChannelReportTable {
  channel: string;
  state: 'down' | 'up';
  at: number;
}

/** A seller's monthly 发票额度 as last read, and the read's own schedule and lease (migration 017). */
export interface SellerQuotaTable {
  seller_tax_id: string;
  /** The channel the reading came from. */
  channel: string | null;
  /** The reading's month, YYYY-MM (Beijing). */
  month: string | null;
  /** Yuan as decimal text (tax-excluded). */
  total: string | null;
  used: string | null;
  remaining: string | null;
  /** When the upstream's figures were current. */
  as_of: number | null;
  /** Found used outside this gateway this month (yuan). */
  used_elsewhere: Generated<string>;
  /** Kept for high-priority invoices (yuan). */
  reserve: Generated<string>;
  /** The month whose quota.low event was sent. */
  low_reported_month: string | null;
  /** When this gateway last asked, and what went wrong if it failed. */
  read_at: number | null;
  read_error: string | null;
  /** The Beijing day of `reads_count` (upstreams limit reads per day). */
  reads_day: string | null;
  reads_count: Generated<number>;
  next_read_at: Generated<number>;
  /** Reads asked for by an operator, counted: one asked while a read was on its way is not lost. */
  read_asks: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: number | null;
  lease_version: Generated<number>;
  updated_at: number;
}

export interface EmailDeliveryTable {
  id: string;
  invoice_id: string;
  to_address: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
  message_id: string | null;
  requested_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface SignInThrottleTable {
  /** `address:A`, `name:N` or `pair:A|N` (src/domain/sign-in-throttle.ts). */
  key: string;
  failures: number;
  blocked_until: number | null;
  last_failure_at: number;
}

export interface ConsoleUserTable {
  username: string;
  role: 'operator' | 'admin' | 'clerk' | 'viewer';
  /** JSON array of seller tax ids. */
  sellers: string;
  password_hash: string;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  last_login_at: number | null;
  created_at: number;
  updated_at: number;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  recovery_codes: string | null;
}

export interface ConsoleSessionTable {
  token_hash: string;
  username: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

/** One row the readiness check writes while writes have been failing (migration 004). */
export interface StorageProbeTable {
  id: number;
  at: number;
  payload: string;
}

/** Many invoices submitted at once (migration 015); its rows are issued by the `batch` job queue. */
export interface BatchTable {
  id: string;
  seller_tax_id: string;
  mode: string;
  status: string;
  source: string;
  file_name: string | null;
  total: number;
  problems: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface BatchRowTable {
  batch_id: string;
  row_no: number;
  serial_no: string;
  status: string;
  request_json: string | null;
  invoice_id: string | null;
  errors: string | null;
  updated_at: number;
}

/** A row of an uploaded template while its batch is checked (migration 015). */
export interface BatchStagingTable {
  batch_id: string;
  sheet: number;
  row_no: number;
  serial_no: string | null;
  cells: string;
}

export interface Database {
  sellers: SellerTable;
  api_keys: ApiKeyTable;
  api_key_sellers: ApiKeySellerTable;
  invoices: InvoiceTable;
  idempotency_keys: IdempotencyKeyTable;
  attempts: AttemptTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_chains: AuditChainTable;
  invoice_documents: InvoiceDocumentTable;
  jobs: JobTable;
  channel_tokens: ChannelTokenTable;
  channel_isolations: ChannelIsolationTable;
  webhook_subscriptions: WebhookSubscriptionTable;
  webhook_events: WebhookEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  channel_reports: ChannelReportTable;
  email_deliveries: EmailDeliveryTable;
  console_users: ConsoleUserTable;
  console_sessions: ConsoleSessionTable;
  sign_in_throttles: SignInThrottleTable;
  storage_probe: StorageProbeTable;
  batches: BatchTable;
  batch_rows: BatchRowTable;
  batch_staging: BatchStagingTable;
  seller_quotas: SellerQuotaTable;
}

export type InvoiceRow = Selectable<InvoiceTable>;
export type SellerRow = Selectable<SellerTable>;
