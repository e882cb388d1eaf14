// What the chaos tests' clients do: post an order until a 2xx comes back, always with the same
// idempotency key (the gateway may be killed under them), and read every invoice page by page.
import { request, type Agent } from 'undici';
import { validRequest } from '../support/invoice-request.js';

export interface ListedInvoice {
  id: string;
  orderNo: string;
  status: string;
  /** While pending: queued, submitting, uncertain, … (docs/api.md). */
  stage: string | null;
  attempts: number;
  serialNo: string;
  number: string | null;
  channel: string | null;
}

/** Posts one order to the gateway `nextUrl()` names (another on each try) until it is accepted; its id. */
export async function postUntilAccepted(nextUrl: () => string, key: string, orderNo: string, client: Agent): Promise<string> {
  const body = JSON.stringify(validRequest({ orderNo }));
  for (let attempt = 0; attempt < 2000; attempt++) {
    try {
      const response = await request(`${nextUrl()}/v1/invoices`, {
        method: 'POST',
        dispatcher: client,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `chaos-${orderNo}` },
        body,
      });
      const answer = (await response.body.json()) as { id?: string; code?: string };
      if (response.statusCode === 202 && answer.id) return answer.id;
      if (response.statusCode < 500) throw new Error(`order ${orderNo}: ${response.statusCode} ${JSON.stringify(answer)}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(`order ${orderNo}`)) throw error;
      // The gateway was killed under us or is restarting: retry with the same key.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`order ${orderNo} was never accepted`);
}

/** Pending invoices counted by stage and attempts, for a failure's message: where they are stuck. */
export function pendingSummary(invoices: readonly ListedInvoice[]): string {
  const counts = new Map<string, number>();
  for (const invoice of invoices) {
    const key = `${invoice.stage ?? invoice.status} (attempts ${invoice.attempts})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${count} ${key}`).join(', ');
}

/** Every invoice of the key's sellers matching `query` (e.g. `&status=pending`). */
export async function listInvoices(url: string, key: string, query: string, client: Agent): Promise<ListedInvoice[]> {
  const rows: ListedInvoice[] = [];
  let cursor: string | null = null;
  do {
    const response = await request(`${url}/v1/invoices?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`, { dispatcher: client, headers: { authorization: `Bearer ${key}` } });
    const page = (await response.body.json()) as { data: ListedInvoice[]; nextCursor: string | null };
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}
