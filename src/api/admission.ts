/**
 * How much of the offered load to admit, adjusted ten times a second from how busy the event
 * loop was. Written here rather than taken from @fastify/under-pressure: that plugin refuses
 * everything or nothing per sample, and measured on two cores it swung between a saturated loop
 * and an idle one, admitting ~600 invoices/s of 4,000 offered. Admitting a share that falls
 * multiplicatively under pressure and recovers additively (as TCP does) holds the loop just
 * below saturation and keeps accepting at close to the gateway's capacity. Only a crowd of
 * connections counts as pressure: a busy loop with few clients is start-up work or synchronous
 * commits serving them as fast as they ask.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface AdmissionOptions {
  /** Mean event-loop delay over a sample above which the admitted share falls, ms. */
  readonly maxEventLoopDelayMs: number;
  /** Busy share of a sample above which the admitted share falls (0–1). */
  readonly maxEventLoopUtilization: number;
  /**
   * Open connections below which nothing is shed, however busy the loop. SQLite's commits are
   * synchronous, so a few clients writing in a loop keep the loop fully busy with turns of 10–20
   * ms while being served at once: that is full use, not overload. Overload is clients piling up:
   * an offered rate above the service rate opens ever more connections. @default 128
   */
  readonly minCrowd?: number;
  readonly sampleMs?: number;
}

const FLOOR = 0.02;
/** Mean turn delay that, with a busy loop, means requests queue behind each other, ms. */
const SATURATED_TURN_MS = 10;
/** Requests arriving in one sample below which a busy loop is not taken for overload (200/s). */
const MIN_ARRIVALS = 20;

export class Admission {
  private share = 1;
  private arrivals = 0;
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: AdmissionOptions,
    /** Connections open now. */
    private readonly connections: () => number,
  ) {
    this.delay.enable();
    this.timer = setInterval(() => this.sample(), options.sampleMs ?? 100);
    this.timer.unref();
  }

  /** Whether to take this request; false means answer 503 at once. */
  admit(): boolean {
    this.arrivals++;
    return this.share >= 1 || Math.random() < this.share;
  }

  close(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    // The histogram's mean includes its own 10 ms resolution.
    const delayMs = Math.max(0, this.delay.mean / 1e6 - 10);
    this.delay.reset();
    const { maxEventLoopDelayMs: maxDelay, maxEventLoopUtilization: maxBusy } = this.options;
    const crowded = this.connections() >= (this.options.minCrowd ?? 128);
    // Saturated: busy nearly all the time, each turn long (many requests per turn), traffic
    // arriving (start-up is busy too), and a crowd of connections waiting. Or simply late.
    // Start-up (loading, JIT, migrations) is busy with long turns too, but has no crowd arriving.
    const arriving = this.arrivals >= MIN_ARRIVALS;
    this.arrivals = 0;
    const busy = arriving && maxBusy > 0 && utilization > maxBusy;
    const late = maxDelay > 0 && delayMs > maxDelay;
    const pressed = crowded && ((busy && delayMs > SATURATED_TURN_MS) || late);
    this.share = pressed ? Math.max(FLOOR, this.share * 0.8) : Math.min(1, this.share + 0.1);
  }
}
