/**
 * Identifiers minted by the gateway. Invoice ids sort by creation time (a millisecond prefix),
 * which makes them the cursor of invoice lists; serial numbers are what the upstream sees.
 */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes drawn from a pool refilled 4 KiB at a time: one system call per ~150 ids, not two per id.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function pooledRandom(count: number): Buffer {
  if (poolOffset + count > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return bytes;
}

function randomChars(count: number, alphabet: string): string {
  const bytes = pooledRandom(count);
  let out = '';
  // 256 is a multiple of 32; for the 36-letter alphabet the bias is negligible for an identifier.
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

function timePrefix(ms: number): string {
  let out = '';
  for (let value = ms, i = 0; i < 10; i++, value = Math.floor(value / 32)) out = CROCKFORD[value % 32]! + out;
  return out;
}

/** `inv_` + 10 time characters + 16 random ones: sortable by creation, unguessable. */
export function newInvoiceId(nowMs: number): string {
  return `inv_${timePrefix(nowMs)}${randomChars(16, CROCKFORD)}`;
}

/** Ten characters of 5 bits: time prefixes exist for 0 ≤ ms < 32¹⁰ (the year 37,648). */
const PREFIX_LIMIT_MS = 32 ** 10;

/**
 * The smallest id an invoice created at `ms` or later can have: a date range over invoices is an
 * id range, which the seller's (seller, id) index answers in list order. Undefined for a time no
 * id can carry (the range is then left to created_at alone).
 */
export function invoiceIdFloor(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms >= PREFIX_LIMIT_MS) return undefined;
  return `inv_${timePrefix(Math.floor(ms))}`;
}

/**
 * The serial number (流水号) an invoice carries to the upstream: 20 upper-case letters and digits,
 * within every provider's limit (诺诺 orderNo ≤ 20).
 */
export function newSerialNo(nowMs: number): string {
  return `${timePrefix(nowMs)}${randomChars(10, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')}`;
}

/** An API key id (public) and its secret. */
export function newApiKey(): { id: string; key: string } {
  const id = `key_${randomChars(12, CROCKFORD).toLowerCase()}`;
  const secret = randomBytes(24).toString('base64url');
  return { id, key: `fk_${id.slice(4)}_${secret}` };
}

/** A webhook event id (`evt_`, sortable by creation): the `webhook-id` a receiver de-duplicates on. */
export function newEventId(nowMs: number): string {
  return `evt_${timePrefix(nowMs)}${randomChars(16, CROCKFORD)}`;
}

/** A webhook delivery (one event to one subscription). */
export function newWebhookDeliveryId(nowMs: number): string {
  return `whd_${timePrefix(nowMs)}${randomChars(16, CROCKFORD)}`;
}

/** A webhook subscription. */
export function newSubscriptionId(nowMs: number): string {
  return `wh_${timePrefix(nowMs)}${randomChars(12, CROCKFORD)}`;
}

/** An email delivery of an invoice. */
export function newEmailDeliveryId(nowMs: number): string {
  return `eml_${timePrefix(nowMs)}${randomChars(16, CROCKFORD)}`;
}

/** A batch of invoices submitted at once. */
export function newBatchId(nowMs: number): string {
  return `bat_${timePrefix(nowMs)}${randomChars(16, CROCKFORD)}`;
}
