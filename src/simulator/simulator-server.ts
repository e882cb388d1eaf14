/**
 * The tax-platform simulator (shared/api.md, "The simulator"): a real HTTP(S) server speaking the
 * reference protocol, with its own durable ledger and injectable faults, for development, demos
 * and fault testing. Faults apply to /api routes only; /_admin never fails.
 */
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { NO_FAULTS, RateLimiter, updateFaults, type Faults } from './faults.js';
import { registerBaiwangRoutes, type BaiwangCredentials } from './baiwang-simulator.js';
import { registerNuonuoRoutes, type NuonuoCredentials } from './nuonuo-simulator.js';
import { redRefusal } from './red-check.js';
import { CONFIRMATION_WINDOW_MS, formStatus, SimulatorLedger, type LedgerRecord } from './simulator-ledger.js';
import { registerQuotaRoutes, SimulatorQuota } from './simulator-quota.js';
import { SYSTEM_CLOCK, type SimulatorClock } from './simulator-clock.js';
import { formatFen, parseMoney, type Fen } from '../domain/money.js';
import { quotaMonth } from '../domain/quota.js';

export interface SimulatorOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** false: a repeated serial number is issued again (an upstream that does not deduplicate). */
  readonly dedup: boolean;
  readonly faults: Faults;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** required: every red invoice of a special (专票) blue one waits for the counterparty's 红字确认单 confirmation. @default none */
  readonly confirmation?: 'none' | 'required';
  /** Which protocol it speaks: the reference one (docs/api.md), 诺诺's or 百望's, with the app's credentials. @default reference */
  readonly protocol?: { readonly kind: 'reference' } | { readonly kind: 'nuonuo'; readonly credentials: NuonuoCredentials } | { readonly kind: 'baiwang'; readonly credentials: BaiwangCredentials };
  /** Every seller's monthly 发票额度, tax-excluded fen (`--quota`); undefined: none unless set by PUT /_admin/quota. */
  readonly quotaFen?: Fen;
  /** The time the simulator issues and counts its quota by. @default the system clock */
  readonly clock?: SimulatorClock;
}

export interface RunningSimulator {
  readonly url: string;
  readonly ledger: SimulatorLedger;
  setFaults(update: Partial<Faults>): void;
  /** Token calls answered (诺诺 and 百望 modes), to prove a gateway keeps its token. */
  tokenCalls(): number;
  close(): Promise<void>;
}

interface SubmitBody {
  serialNo?: unknown;
  sellerTaxId?: unknown;
  orderNo?: unknown;
  total?: unknown;
  /** Present on a red invoice: the blue invoice's number and the bureau's reason code. */
  red?: { blueNumber?: unknown; reason?: unknown };
  invoice?: { type?: unknown; totals?: { amount?: unknown } };
}

/** The tax-excluded amount (合计金额) of a submitted invoice, fen; 0 when it does not say. */
function amountOf(body: SubmitBody): Fen {
  const amount = body.invoice?.totals?.amount;
  const parsed = typeof amount === 'string' ? parseMoney(amount, { allowNegative: true }) : undefined;
  return parsed?.ok ? parsed.fen : 0n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordJson(record: LedgerRecord, now: number) {
  // A waiting 红字确认单 lapses after 72 hours unanswered (state 07), and the red invoice with it.
  const lapsed = record.confirmation === '02' && now - record.acceptedAt > CONFIRMATION_WINDOW_MS;
  const confirmationStatus = lapsed ? '07' : record.confirmation;
  const ready = record.readyAt <= now;
  const status = lapsed ? 'rejected' : confirmationStatus === '02' ? 'awaiting_confirmation' : !ready ? 'processing' : record.outcome;
  return {
    serialNo: record.serialNo,
    status,
    number: status === 'issued' ? record.number : null,
    issuedAt: status === 'issued' ? new Date(record.readyAt).toISOString() : null,
    reason: lapsed ? '红字确认单超过72小时未确认，已作废' : status === 'rejected' ? record.reason : null,
    ...(record.billNo && { billNo: record.billNo, confirmationStatus }),
  };
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const ledger = new SimulatorLedger(options.dataDir);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const quota = new SimulatorQuota(options.quotaFen);
  let faults: Faults = { ...NO_FAULTS, ...options.faults };
  const limiter = new RateLimiter();
  const sockets = new Set<Socket>();
  // One instance type for both transports; the HTTPS variant differs only in its server generics.
  const app = (options.tls ? Fastify({ https: { cert: options.tls.cert, key: options.tls.key } }) : Fastify()) as unknown as FastifyInstance;

  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // Tells a gateway that what it issues here is not real (its documents say 模拟 / SIMULATED).
    void reply.header('x-fapiao-simulator', '1');
    if (faults.clockSkewSeconds !== 0) reply.header('date', new Date(Date.now() + faults.clockSkewSeconds * 1000).toUTCString());
    return payload;
  });

  /** The faults before any work; returns false when the call has been answered (or dropped) already. */
  async function before(reply: FastifyReply): Promise<boolean> {
    const now = Date.now();
    if (faults.outageUntil > now) {
      await reply.code(503).header('retry-after', Math.ceil((faults.outageUntil - now) / 1000)).send({ error: 'outage' });
      return false;
    }
    if (!limiter.allow(faults.rateLimit, now)) {
      await reply.code(429).header('retry-after', 1).send({ error: 'rate limited' });
      return false;
    }
    const delay = faults.latencyMs + Math.random() * faults.jitterMs;
    if (delay > 0) await sleep(delay);
    if (Math.random() < faults.errorRate) {
      await reply.code(503).send({ error: 'injected error' });
      return false;
    }
    return true;
  }

  function reset(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    request.raw.socket.resetAndDestroy();
  }

  const protocol = options.protocol ?? { kind: 'reference' };
  const gate = { faults: () => faults, before, reset };
  const tokenCounter =
    protocol.kind === 'nuonuo'
      ? registerNuonuoRoutes(app, { ledger, gate, credentials: protocol.credentials, confirmation: options.confirmation ?? 'none', quota, clock })
      : protocol.kind === 'baiwang'
        ? registerBaiwangRoutes(app, { ledger, gate, credentials: protocol.credentials, confirmation: options.confirmation ?? 'none', dedup: options.dedup, quota, clock })
        : undefined;
  registerQuotaRoutes(app, quota, clock);
  if (protocol.kind === 'reference') {
    app.get('/api/v1/ping', async (_request, reply) => {
      if (!(await before(reply))) return reply;
      return { ok: true, time: new Date().toISOString() };
    });

    app.post('/api/v1/invoices', async (request, reply) => {
      if (!(await before(reply))) return reply;
      const body = (request.body ?? {}) as SubmitBody;
      const { serialNo, sellerTaxId, orderNo, total } = body;
      if (typeof serialNo !== 'string' || typeof sellerTaxId !== 'string' || typeof orderNo !== 'string' || typeof total !== 'string') {
        return reply.code(400).send({ error: 'serialNo, sellerTaxId, orderNo and total are required strings' });
      }
      const resetNow = Math.random() < faults.resetRate;
      const resetBeforeWork = Math.random() < 0.5;
      if (resetNow && resetBeforeWork) return reset(request, reply);
      const given = body.red?.blueNumber;
      if (body.red !== undefined && typeof given !== 'string') return reply.code(400).send({ error: 'red.blueNumber is a required string on a red invoice' });
      const blueNumber = typeof given === 'string' ? given : undefined;
      const now = clock.now();
      const existing = options.dedup ? ledger.find(serialNo) : undefined;
      const amount = amountOf(body);
      const short = !existing && blueNumber === undefined ? quota.shortfall(sellerTaxId, amount, now) : undefined;
      if (short) {
        // Refused before anything is recorded: the same serial may be sent again once the quota allows.
        return reply.code(409).send({ code: 'QUOTA_EXCEEDED', error: `发票额度不足：本月剩余可用额度${formatFen(short.remainingFen)}元，本张发票不含税金额${formatFen(amount)}元`, remaining: formatFen(short.remainingFen) });
      }
      const refusal = existing ? null : blueNumber !== undefined ? redRefusal(ledger, { sellerTaxId, total, blueNumber }) : Math.random() < faults.rejectRate ? '购买方纳税人识别号不存在（模拟拒绝）' : null;
      if (!existing && !refusal) quota.use(sellerTaxId, quotaTaken(amount, blueNumber, body.red?.reason, now), now);
      if (!existing) {
        ledger.add({
          serialNo,
          sellerTaxId,
          orderNo,
          total,
          outcome: refusal ? 'rejected' : 'issued',
          reason: refusal,
          acceptedAt: now,
          readyAt: now + faults.processingMs,
          payload: JSON.stringify(request.body),
          ...(blueNumber !== undefined && { blueNumber }),
          // A 专票's buyer may have deducted its input tax: the buyer must confirm the form.
          ...(blueNumber !== undefined && options.confirmation === 'required' && body.invoice?.type === 'special' && { needsConfirmation: true }),
        });
      }
      if (resetNow) return reset(request, reply);
      if (Math.random() < faults.dropResponseRate) {
        // Committed, and the answer is never sent: the caller cannot know what happened.
        reply.hijack();
        return;
      }
      return reply.code(202).send(existing ? recordJson(existing, now) : { serialNo, status: 'processing' });
    });

    app.get('/api/v1/invoices/:serialNo', async (request, reply) => {
      if (!(await before(reply))) return reply;
      const record = ledger.find((request.params as { serialNo: string }).serialNo);
      if (!record) return reply.code(404).send({ error: 'not found' });
      return recordJson(record, clock.now());
    });

    // The month's quota of one seller (docs/api.md "The reference protocol"): tax-excluded yuan.
    app.get('/api/v1/quota', async (request, reply) => {
      if (!(await before(reply))) return reply;
      const sellerTaxId = (request.query as { sellerTaxId?: unknown }).sellerTaxId;
      if (typeof sellerTaxId !== 'string' || sellerTaxId === '') return reply.code(400).send({ error: 'sellerTaxId is required' });
      const figures = quota.figures(sellerTaxId, clock.now());
      if (!figures) return reply.code(404).send({ code: 'NO_QUOTA', error: `no monthly quota is kept for ${sellerTaxId}` });
      return { sellerTaxId, month: figures.month, total: formatFen(figures.totalFen), used: formatFen(figures.usedFen), remaining: formatFen(figures.remainingFen), updatedAt: new Date(figures.updatedAt).toISOString() };
    });

    app.get('/api/v1/invoices', async (request, reply) => {
      if (!(await before(reply))) return reply;
      const date = (request.query as { date?: string }).date;
      if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return reply.code(400).send({ error: 'date=YYYY-MM-DD is required' });
      const now = clock.now();
      // What a platform's day list says of each invoice: enough to match it with the caller's own.
      return {
        invoices: ledger.issuedOn(date, now).map((record) => ({
          ...recordJson(record, now),
          sellerTaxId: record.sellerTaxId,
          orderNo: record.orderNo,
          total: record.total,
          kind: record.kind,
          blueNumber: record.blueNumber,
        })),
      };
    });
  }

  /**
   * What an accepted invoice does to the quota: a blue one takes its amount; a red one gives its
   * (negative) amount back when its blue invoice was issued this month and it is no 销售折让 (04).
   */
  function quotaTaken(amount: Fen, blueNumber: string | undefined, reason: unknown, now: number): Fen {
    if (blueNumber === undefined) return amount;
    const blue = ledger.findByNumber(blueNumber);
    if (!blue || reason === '04' || quotaMonth(blue.readyAt) !== quotaMonth(now)) return 0n;
    return amount;
  }

  app.get('/_admin/ledger', async () =>
    ledger.issued(clock.now()).map((record) => ({
      serialNo: record.serialNo,
      number: record.number,
      sellerTaxId: record.sellerTaxId,
      orderNo: record.orderNo,
      total: record.total,
      issuedAt: new Date(record.readyAt).toISOString(),
      kind: record.kind,
      blueNumber: record.blueNumber,
    })),
  );

  // The counterparty's answer to a 红字确认单: { "agree": true } confirms it (the red invoice is
  // issued), false refuses it (state 05: the red invoice is refused).
  app.post('/_admin/confirmations/:billNo', async (request, reply) => {
    const { billNo } = request.params as { billNo: string };
    const agree = (request.body as { agree?: unknown } | null)?.agree;
    if (typeof agree !== 'boolean') return reply.code(400).send({ error: 'the body is { "agree": true } or { "agree": false }' });
    const form = ledger.findForm({ billNo });
    if (form) {
      // A form filed through 诺诺 (saveInvoiceRedConfirm); its red invoice is issued once it is 04.
      const status = formStatus(form, clock.now());
      if (status !== '02') return reply.code(409).send({ error: `form ${billNo} is not waiting (state ${status})` });
      const answered = ledger.answerForm(billNo, agree, clock.now())!;
      return { billNo, confirmationStatus: answered.status, billId: answered.billId };
    }
    const record = ledger.findByBill(billNo);
    if (!record) return reply.code(404).send({ error: `no confirmation form ${billNo}` });
    if (record.confirmation !== '02') return reply.code(409).send({ error: `form ${billNo} is not waiting (state ${record.confirmation ?? '—'})` });
    const answered = ledger.answerConfirmation(billNo, agree, clock.now())!;
    return { billNo, confirmationStatus: answered.confirmation, serialNo: answered.serialNo };
  });

  app.get('/_admin/faults', async () => faults);

  app.put('/_admin/faults', async (request, reply) => {
    const result = updateFaults(faults, request.body, Date.now());
    if (!result.ok) return reply.code(400).send({ error: result.message });
    faults = result.faults;
    return faults;
  });

  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    ledger,
    setFaults(update) {
      faults = { ...faults, ...update };
    },
    tokenCalls: () => tokenCounter?.tokenCalls() ?? 0,
    async close() {
      // Dropped answers leave sockets open on purpose; end them so close() does not wait forever.
      for (const socket of sockets) socket.destroy();
      await app.close();
      ledger.close();
    },
  };
}
