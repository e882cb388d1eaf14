// The shapes the console reads from /v1 (docs/api.md), as far as the pages use them.
export interface Line {
  name: string;
  taxCode: string;
  spec?: string;
  unit?: string;
  quantity?: string;
  unitPrice?: string;
  amount: string;
  taxRate: string;
  tax: string;
  amountExcludingTax: string;
  amountIncludingTax: string;
  kind?: string;
}

export interface Invoice {
  id: string;
  orderNo: string;
  type: 'normal' | 'special';
  kind: 'blue' | 'red';
  seller: { taxId: string; name: string };
  buyer: { name: string; taxId?: string; email?: string; address?: string; phone?: string };
  priceIncludesTax: boolean;
  lines: Line[];
  remarks?: string;
  drawer?: string;
  totals: { amount: string; tax: string; total: string; totalInWords: string };
  status: 'pending' | 'issued' | 'rejected' | 'failed';
  stage: string | null;
  serialNo: string;
  number: string | null;
  issuedAt: string | null;
  channel: string | null;
  attempts: number;
  lastError: { code: string; message: string; at: string } | null;
  createdAt: string;
  updatedAt: string;
  blueInvoiceId: string | null;
  blueNumber: string | null;
  redReason: string | null;
  confirmation: { status: string; billNo: string | null } | null;
  redFlushes?: Array<{ id: string; status: string; total: string }>;
  redFlushableTotal?: string | null;
  documents: { status: string } | null;
  deliveries?: Array<{ channel: string; to: string; status: string; at: string; attempts: number; error: string | null }>;
  simulated: boolean;
}

export interface Channel {
  name: string;
  circuit: 'closed' | 'open' | 'half_open';
  pausedUntil: string | null;
  pauseReason: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failingSince: string | null;
  lastError: { code: string; message: string; at: string; cause: { zh: string; en: string } | null; remedy: { zh: string; en: string } | null } | null;
  errorRate: number;
  backlog: number;
  isolated: boolean;
  latencyMs: { p50: number; p95: number } | null;
  certificateExpiresAt: string | null;
}

export interface ChannelList {
  data: Channel[];
  unbound: { backlog: number; oldestCreatedAt: string | null };
}

export interface TimelineEntry {
  at: string;
  kind: 'attempt' | 'audit';
  what: string;
  channel: string | null;
  outcome: string | null;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  from: string | null;
  to: string | null;
}
