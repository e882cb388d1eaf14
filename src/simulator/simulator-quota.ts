/**
 * The simulator's 发票额度: a monthly quota per seller, counted on tax-excluded amounts as the
 * bureau counts it (docs/quota.md). An invoice that would pass it is refused before anything is
 * recorded; a same-month red invoice gives its amount back (not a 销售折让); the month's turn
 * (Beijing time) starts again from the seller's base; an operator may raise a month's total or
 * book what was "used elsewhere" (the 电子税务局 by hand). Kept in memory: a restart starts over.
 */
import type { FastifyInstance } from 'fastify';
import { quotaMonth } from '../domain/quota.js';
import { formatFen, parseMoney, type Fen } from '../domain/money.js';
import type { SimulatorClock } from './simulator-clock.js';

interface SellerQuota {
  month: string;
  /** This month's total (a raise changes it until the month turns). */
  totalFen: Fen;
  /** The total each new month starts with. */
  baseFen: Fen;
  usedHereFen: Fen;
  usedElsewhereFen: Fen;
  /** When the figures last changed (诺诺's amountUpdateTime). */
  updatedAt: number;
}

export interface QuotaFigures {
  readonly sellerTaxId: string;
  readonly month: string;
  readonly totalFen: Fen;
  readonly usedFen: Fen;
  readonly usedElsewhereFen: Fen;
  readonly remainingFen: Fen;
  readonly updatedAt: number;
}

export class SimulatorQuota {
  private readonly sellers = new Map<string, SellerQuota>();

  /** `defaultFen`: every seller's monthly total (`--quota`); undefined: only sellers given one by PUT /_admin/quota have a quota. */
  constructor(private readonly defaultFen: Fen | undefined) {}

  /** The seller's figures at `now`, or undefined when it has no quota here (unlimited). */
  figures(sellerTaxId: string, now: number): QuotaFigures | undefined {
    const quota = this.current(sellerTaxId, now);
    if (!quota) return undefined;
    const usedFen = quota.usedHereFen + quota.usedElsewhereFen;
    const left = quota.totalFen - usedFen;
    return { sellerTaxId, month: quota.month, totalFen: quota.totalFen, usedFen, usedElsewhereFen: quota.usedElsewhereFen, remainingFen: left > 0n ? left : 0n, updatedAt: quota.updatedAt };
  }

  /** Why an invoice of `amountFen` cannot be issued now, or undefined when the quota covers it. */
  shortfall(sellerTaxId: string, amountFen: Fen, now: number): { readonly remainingFen: Fen } | undefined {
    const figures = this.figures(sellerTaxId, now);
    if (!figures || amountFen <= figures.remainingFen) return undefined;
    return { remainingFen: figures.remainingFen };
  }

  /** A blue invoice issued (positive) or a red one giving back (negative), at `now`. */
  use(sellerTaxId: string, amountFen: Fen, now: number): void {
    const quota = this.current(sellerTaxId, now);
    if (!quota || amountFen === 0n) return;
    quota.usedHereFen += amountFen;
    quota.updatedAt = now;
  }

  /** An operator's change: this month's total (赋额调整) and what was used elsewhere this month. */
  set(sellerTaxId: string, change: { readonly totalFen?: Fen; readonly usedElsewhereFen?: Fen }, now: number): QuotaFigures {
    let quota = this.current(sellerTaxId, now);
    if (!quota) {
      const totalFen = change.totalFen ?? 0n;
      quota = { month: quotaMonth(now), totalFen, baseFen: totalFen, usedHereFen: 0n, usedElsewhereFen: 0n, updatedAt: now };
      this.sellers.set(sellerTaxId, quota);
    }
    if (change.totalFen !== undefined) quota.totalFen = change.totalFen;
    if (change.usedElsewhereFen !== undefined) quota.usedElsewhereFen = change.usedElsewhereFen;
    quota.updatedAt = now;
    return this.figures(sellerTaxId, now)!;
  }

  private current(sellerTaxId: string, now: number): SellerQuota | undefined {
    const month = quotaMonth(now);
    let quota = this.sellers.get(sellerTaxId);
    if (!quota) {
      if (this.defaultFen === undefined) return undefined;
      quota = { month, totalFen: this.defaultFen, baseFen: this.defaultFen, usedHereFen: 0n, usedElsewhereFen: 0n, updatedAt: now };
      this.sellers.set(sellerTaxId, quota);
    }
    if (quota.month !== month) {
      // 月初赋额: a new month starts from the base, with nothing used.
      Object.assign(quota, { month, totalFen: quota.baseFen, usedHereFen: 0n, usedElsewhereFen: 0n, updatedAt: now });
    }
    return quota;
  }
}

/** The figures as the admin endpoints show them: yuan as two-decimal text. */
export function figuresJson(figures: QuotaFigures) {
  return {
    sellerTaxId: figures.sellerTaxId,
    month: figures.month,
    total: formatFen(figures.totalFen),
    used: formatFen(figures.usedFen),
    usedElsewhere: formatFen(figures.usedElsewhereFen),
    remaining: formatFen(figures.remainingFen),
    updatedAt: new Date(figures.updatedAt).toISOString(),
  };
}

/** A non-negative yuan amount as fen, or the words saying what is wrong with it. */
function yuan(value: unknown, field: string): Fen | string {
  const parsed = typeof value === 'string' ? parseMoney(value, { allowNegative: false }) : undefined;
  return parsed?.ok ? parsed.fen : `${field} must be a non-negative amount in yuan as a string, e.g. "100000.00"`;
}

/**
 * `GET /_admin/quota?sellerTaxId=…` and `PUT /_admin/quota { sellerTaxId, total?, usedElsewhere? }`:
 * the operator's view of a seller's month, and the two changes the bureau makes without the
 * gateway's knowledge — a raise (赋额调整) and invoices issued elsewhere (usedElsewhere is this
 * month's whole figure, not an addition).
 */
export function registerQuotaRoutes(app: FastifyInstance, quota: SimulatorQuota, clock: SimulatorClock): void {
  app.get('/_admin/quota', async (request, reply) => {
    const sellerTaxId = (request.query as { sellerTaxId?: unknown }).sellerTaxId;
    if (typeof sellerTaxId !== 'string' || sellerTaxId === '') return reply.code(400).send({ error: 'sellerTaxId is required' });
    const figures = quota.figures(sellerTaxId, clock.now());
    if (!figures) return reply.code(404).send({ error: `no monthly quota is kept for ${sellerTaxId}` });
    return figuresJson(figures);
  });
  app.put('/_admin/quota', async (request, reply) => {
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply.code(400).send({ error: 'expected { "sellerTaxId", "total"?, "usedElsewhere"? }' });
    const unknown = Object.keys(body).find((key) => !['sellerTaxId', 'total', 'usedElsewhere'].includes(key));
    if (unknown) return reply.code(400).send({ error: `unknown field ${unknown}: sellerTaxId, total, usedElsewhere` });
    if (typeof body.sellerTaxId !== 'string' || body.sellerTaxId === '') return reply.code(400).send({ error: 'sellerTaxId is required' });
    const change: { totalFen?: Fen; usedElsewhereFen?: Fen } = {};
    for (const [field, key] of [['total', 'totalFen'], ['usedElsewhere', 'usedElsewhereFen']] as const) {
      if (body[field] === undefined) continue;
      const fen = yuan(body[field], field);
      if (typeof fen === 'string') return reply.code(400).send({ error: fen });
      change[key] = fen;
    }
    if (quota.figures(body.sellerTaxId, clock.now()) === undefined && change.totalFen === undefined) {
      return reply.code(400).send({ error: `${body.sellerTaxId} has no quota yet: give its total` });
    }
    return figuresJson(quota.set(body.sellerTaxId, change, clock.now()));
  });
}
