/**
 * The channel for the reference protocol of docs/api.md (the simulator's): POST an invoice with
 * its serial number, GET it back by serial. undici with separate connect and response timeouts,
 * so a dead host fails fast (provably not sent) while a slow answer counts as uncertain.
 */
import { randomUUID } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { Agent, buildConnector, request } from 'undici';
import { RED_FLUSH_REASON_CODES } from '../../domain/red-flush.js';
import { parseMoney, type Fen } from '../../domain/money.js';
import type { QuotaReading } from '../../domain/quota.js';
import type { CallOptions, Channel, IssueRequest, PingResult, QueryOutcome, UpstreamOutcome, UpstreamRecord } from '../channel.js';
import { isCertificateError, readCertificateExpiry } from '../certificate-reading.js';
import { ChannelError } from '../channel-error.js';
import { answerPinned, type PinnedAddress } from '../pinned-address.js';
import { statusError } from './reference-codes.js';
import { retryAfterMs, transportError } from '../transport-error.js';
import { errorMessage } from '../../domain/error-message.js';

export interface ReferenceChannelOptions {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:9090 */
  readonly url: string;
  /** TCP (and TLS) connect timeout, ms. @default 5000 */
  readonly connectTimeoutMs: number;
  /** Time from sending to the end of the answer, ms. @default 30000 */
  readonly responseTimeoutMs: number;
  /** How soon to ask again about an invoice the upstream is still processing, ms. @default 500 */
  readonly pollAfterMs: number;
  /** Extra CA certificates (PEM) to trust, for upstreams with a private CA. */
  readonly ca?: string;
  /** Connect to this address instead of resolving the host (as curl --resolve); for `fapiao doctor`. */
  readonly pinnedAddress?: PinnedAddress;
  /** Receives timings by phase and the upstream's certificate expiry, for metrics. */
  readonly observer?: UpstreamObserver;
}

/**
 * What the channel reports about its connections: `dns` and `connect` (TCP and TLS) per new
 * connection, `first_byte` per call; and the expiry of the certificate each TLS connection saw.
 */
/** The reference protocol's health endpoint (shared/api.md, the simulator). */
export const PING_PATH = '/api/v1/ping';

export interface UpstreamObserver {
  phase(kind: 'connection' | 'submit' | 'query' | 'ping', phase: 'dns' | 'connect' | 'first_byte', seconds: number): void;
  certificate(expiresAt: number): void;
}

interface ReferenceRecord {
  serialNo?: string;
  status?: string;
  number?: string | null;
  issuedAt?: string | null;
  reason?: string | null;
  /** A red invoice's 红字确认单 and its state (02/03 waiting, 04 confirmed, 05–10 void). */
  billNo?: string | null;
  confirmationStatus?: string | null;
}

export class ReferenceChannel implements Channel {
  readonly name: string;
  private readonly config: ReferenceChannelOptions;
  private readonly agent: Agent;

  constructor(config: ReferenceChannelOptions) {
    this.config = Object.freeze({ ...config, url: config.url.replace(/\/+$/, '') });
    this.name = config.name;
    const observer = config.observer;
    // Name resolution timed through our own lookup, connection set-up through a wrapped connector:
    // both see every new connection of this channel's agent, and nothing else.
    const connector = buildConnector({
      timeout: config.connectTimeoutMs,
      ...(config.ca !== undefined && { ca: config.ca }),
      lookup: (hostname, options, callback) => {
        if (config.pinnedAddress) return answerPinned(config.pinnedAddress, options, callback as (...args: unknown[]) => void);
        const started = performance.now();
        dnsLookup(hostname, options, (...answer: unknown[]) => {
          observer?.phase('connection', 'dns', (performance.now() - started) / 1000);
          (callback as (...args: unknown[]) => void)(...answer);
        });
      },
    });
    this.agent = new Agent({
      connect: (options, callback) => {
        const started = performance.now();
        connector(options, (...result) => {
          const [error, socket] = result;
          if (!error && socket) {
            observer?.phase('connection', 'connect', (performance.now() - started) / 1000);
            const certificate = 'getPeerCertificate' in socket ? socket.getPeerCertificate() : undefined;
            if (certificate?.valid_to) observer?.certificate(Date.parse(certificate.valid_to));
          } else if (observer && options.protocol === 'https:' && isCertificateError(error)) {
            // An expired certificate is exactly when its expiry must show on the dashboard.
            void readCertificateExpiry({ host: options.hostname, port: Number(options.port) || 443, servername: options.servername ?? options.hostname, timeoutMs: config.connectTimeoutMs }).then(
              (expiresAt) => expiresAt !== undefined && observer.certificate(expiresAt),
            );
          }
          callback(...result);
        });
      },
      headersTimeout: config.responseTimeoutMs,
      bodyTimeout: config.responseTimeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  /** GET /api/v1/quota?sellerTaxId=…: the month's total, used and remaining (tax-excluded yuan). */
  async readQuota(sellerTaxId: string, options: CallOptions): Promise<QuotaReading | null> {
    const { status, body, retryAfter } = await this.call('GET', `/api/v1/quota?sellerTaxId=${encodeURIComponent(sellerTaxId)}`, options);
    if (status === 404) return null;
    if (status !== 200) throw statusError(status, body, retryAfter);
    const figures = parseRecord(body) as unknown as { total?: unknown; used?: unknown; remaining?: unknown; updatedAt?: unknown };
    const fen = (value: unknown): Fen => {
      const parsed = typeof value === 'string' ? parseMoney(value, { allowNegative: false }) : undefined;
      if (!parsed?.ok) throw new ChannelError('protocol_error', 'retry', `the quota answer has no readable amount: ${body.slice(0, 100)}`);
      return parsed.fen;
    };
    const asOf = typeof figures.updatedAt === 'string' ? Date.parse(figures.updatedAt) : NaN;
    return { totalFen: fen(figures.total), usedFen: fen(figures.used), remainingFen: fen(figures.remaining), asOf: Number.isFinite(asOf) ? asOf : Date.now() };
  }

  async issue(invoice: IssueRequest, options: CallOptions): Promise<UpstreamOutcome> {
    const { status, body, retryAfter, simulated } = await this.call('POST', '/api/v1/invoices', options, {
      serialNo: invoice.serialNo,
      sellerTaxId: invoice.sellerTaxId,
      orderNo: invoice.orderNo,
      total: invoice.invoice.totals.total,
      invoice: invoice.invoice,
      // A red invoice names its blue one by number, and the reason by the bureau's code (01–04).
      ...(invoice.red && { kind: 'red', red: { blueNumber: invoice.red.blueNumber, reason: RED_FLUSH_REASON_CODES[invoice.red.reason].bureau } }),
    });
    if (status !== 200 && status !== 202) throw statusError(status, body, retryAfter);
    const outcome = this.outcome(parseRecord(body), simulated);
    if (outcome.kind === 'not_found') throw new ChannelError('protocol_error', 'uncertain', 'the upstream answered a submit with no record');
    return outcome;
  }

  async listIssued(day: string, options: CallOptions): Promise<UpstreamRecord[]> {
    const { status, body, retryAfter, simulated } = await this.call('GET', `/api/v1/invoices?date=${encodeURIComponent(day)}`, options);
    if (status !== 200) throw statusError(status, body, retryAfter);
    let list: unknown;
    try {
      list = (JSON.parse(body) as { invoices?: unknown }).invoices;
    } catch {
      throw new ChannelError('protocol_error', 'retry', 'the day list is not JSON');
    }
    if (!Array.isArray(list)) throw new ChannelError('protocol_error', 'retry', 'the day list has no invoices array');
    return list.flatMap((item: unknown) => {
      const record = item as Record<string, unknown>;
      const { serialNo, number, issuedAt, sellerTaxId, total, kind } = record;
      if (record.status !== 'issued' || typeof serialNo !== 'string' || typeof number !== 'string' || typeof issuedAt !== 'string' || typeof sellerTaxId !== 'string' || typeof total !== 'string') return [];
      return [{ serialNo, number, issuedAt: Date.parse(issuedAt), sellerTaxId, total, kind: kind === 'red' ? 'red' : 'blue', simulated } as const];
    });
  }

  async query(_sellerTaxId: string, serialNo: string, options: CallOptions): Promise<QueryOutcome> {
    const { status, body, retryAfter, simulated } = await this.call('GET', `/api/v1/invoices/${encodeURIComponent(serialNo)}`, options);
    // The reference upstream keeps every record it ever accepted, so its 404 is the truth.
    if (status === 404) return { kind: 'not_found', authoritative: true };
    if (status !== 200) throw statusError(status, body, retryAfter);
    return this.outcome(parseRecord(body), simulated);
  }

  async ping(options: CallOptions): Promise<PingResult> {
    const started = performance.now();
    try {
      const { status } = await this.call('GET', PING_PATH, options);
      return status === 200 ? { ok: true, latencyMs: performance.now() - started } : { ok: false, message: `ping answered ${status}` };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  }

  /** Asks for a serial number no one ever sent: a read that needs the same credentials as an issue. */
  async checkCredentials(options: CallOptions): Promise<string> {
    const serialNo = `doctor-${randomUUID()}`;
    const outcome = await this.query('', serialNo, options);
    return outcome.kind === 'not_found' ? `a query for an unknown serial number was answered "not found"` : `a query was answered ${outcome.kind}`;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private outcome(record: ReferenceRecord, simulated: boolean): QueryOutcome {
    const confirmation = record.billNo && record.confirmationStatus ? { billNo: record.billNo, status: record.confirmationStatus } : undefined;
    switch (record.status) {
      case 'issued':
        if (!record.number || !record.issuedAt) throw new ChannelError('protocol_error', 'uncertain', 'issued without a number');
        return { kind: 'issued', number: record.number, issuedAt: Date.parse(record.issuedAt), simulated, ...(confirmation && { confirmation }) };
      case 'processing':
        return { kind: 'accepted', pollAfterMs: this.config.pollAfterMs };
      case 'awaiting_confirmation':
        if (!record.billNo) throw new ChannelError('protocol_error', 'uncertain', 'awaiting confirmation without a form number');
        return { kind: 'awaiting_confirmation', billNo: record.billNo, status: record.confirmationStatus ?? '02', pollAfterMs: this.config.pollAfterMs };
      case 'rejected':
        // A void 红字确认单 names its state: confirmation_05 (the buyer refused) … confirmation_07 (lapsed).
        return { kind: 'rejected', upstreamCode: confirmation ? `confirmation_${confirmation.status}` : 'rejected', message: record.reason ?? 'rejected by the upstream', ...(confirmation && { confirmation }) };
      default:
        throw new ChannelError('protocol_error', 'uncertain', `unknown status ${JSON.stringify(record.status)}`);
    }
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    options: CallOptions,
    payload?: unknown,
  ): Promise<{ status: number; body: string; retryAfter: number | undefined; simulated: boolean }> {
    const started = performance.now();
    const kind = path === PING_PATH ? 'ping' : method === 'POST' ? 'submit' : 'query';
    try {
      const response = await request(`${this.config.url}${path}`, {
        method,
        dispatcher: this.agent,
        signal: options.signal,
        ...(payload !== undefined && { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
      });
      this.config.observer?.phase(kind, 'first_byte', (performance.now() - started) / 1000);
      const body = await response.body.text();
      return {
        status: response.statusCode,
        body,
        retryAfter: retryAfterMs(response.headers['retry-after'], Date.now()),
        // The simulator says so in every answer; its invoices get the 模拟 / SIMULATED mark.
        simulated: response.headers['x-fapiao-simulator'] === '1',
      };
    } catch (error) {
      throw transportError(error);
    }
  }
}

function parseRecord(body: string): ReferenceRecord {
  try {
    return JSON.parse(body) as ReferenceRecord;
  } catch {
    throw new ChannelError('protocol_error', 'uncertain', `the upstream answered something that is not JSON: ${body.slice(0, 100)}`);
  }
}
