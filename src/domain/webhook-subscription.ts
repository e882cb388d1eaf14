/**
 * Reads a webhook subscription request (`POST /v1/webhooks`): the receiver's URL, the event types
 * (or "*"), and the sellers it hears of — or every problem at once. Pure: whether a host name
 * resolves to a private address is checked when delivering.
 */
import { fieldError, pointer, type FieldError } from './field-error.js';
import { receiverHostFault } from './outbound-address.js';
import { RequestReader } from './request-reader.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';

export interface SubscriptionRequest {
  readonly url: string;
  readonly events: readonly string[];
  /** Absent: every seller of the key. */
  readonly sellers?: readonly string[];
}

const URL_MAX = 2000;
const FIELDS = ['url', 'events', 'sellers'];

/** `allowPrivate`: a receiver may be a loopback or private address (development, tests; FAPIAO_WEBHOOK_ALLOW_PRIVATE). */
export interface SubscriptionRules {
  readonly allowPrivate: boolean;
}

function readUrl(reader: RequestReader, text: string | undefined, rules: SubscriptionRules): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.report(fieldError('/url', 'webhook_url_invalid'));
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    reader.report(fieldError('/url', 'webhook_url_invalid'));
    return undefined;
  }
  const fault = receiverHostFault(url.hostname);
  if (fault === 'malformed') {
    reader.report(fieldError('/url', 'webhook_url_invalid'));
    return undefined;
  }
  if (fault === 'private' && !rules.allowPrivate) {
    reader.report(fieldError('/url', 'webhook_url_private'));
    return undefined;
  }
  return url.toString();
}

export function readSubscriptionRequest(body: unknown, rules: SubscriptionRules): { kind: 'ok'; request: SubscriptionRequest } | { kind: 'invalid'; errors: readonly FieldError[] } {
  const reader = new RequestReader();
  const object = reader.object(body, '', true);
  if (!object) return { kind: 'invalid', errors: reader.errors };
  reader.onlyKnownFields(object, '', FIELDS);
  const url = readUrl(reader, reader.string(object, 'url', '', { required: true, max: URL_MAX }), rules);
  const events = readList(reader, object.events, '/events', true);
  if (events) {
    if (events.length === 0) reader.report(fieldError('/events', 'webhook_events_empty'));
    events.forEach((type, n) => {
      if (type !== '*' && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) reader.report(fieldError(pointer('/events', n), 'value_not_allowed', { allowed: ['*', ...WEBHOOK_EVENT_TYPES].join(', ') }));
    });
  }
  const sellers = readList(reader, object.sellers, '/sellers', false);
  if (reader.errors.length > 0 || url === undefined || events === undefined) return { kind: 'invalid', errors: reader.errors };
  return { kind: 'ok', request: { url, events: [...new Set(events)], ...(sellers && { sellers: [...new Set(sellers)] }) } };
}

/** An array of short strings, or undefined (and a problem unless absent and optional). */
function readList(reader: RequestReader, value: unknown, path: string, required: boolean): string[] | undefined {
  if (value === undefined || value === null) {
    if (required) reader.report(fieldError(path, 'field_required'));
    return undefined;
  }
  if (!Array.isArray(value) || value.length > 64) {
    reader.report(fieldError(path, 'type_invalid', { expected: 'array', example: '["invoice.issued"]' }));
    return undefined;
  }
  const items: string[] = [];
  value.forEach((item: unknown, n) => {
    if (typeof item !== 'string' || item.length === 0 || item.length > 64) reader.report(fieldError(pointer(path, n), 'type_invalid', { expected: 'string', example: '' }));
    else items.push(item);
  });
  return items;
}
