/**
 * Where this process is in its life, as the probes and the API see it: starting (not started),
 * serving, draining (not ready, still serving: a load balancer is noticing) and closing (new
 * requests are refused with 503 and Retry-After while those in flight finish).
 */
export type LifecyclePhase = 'starting' | 'serving' | 'draining' | 'closing';

export class Lifecycle {
  private current: LifecyclePhase = 'starting';
  private drainingSince: number | null = null;

  get phase(): LifecyclePhase {
    return this.current;
  }

  /** Started once: /startupz answers 200 from now on, whatever comes later. */
  get started(): boolean {
    return this.current !== 'starting';
  }

  /** When the stop began (epoch ms); null while serving. */
  get stoppingSince(): number | null {
    return this.drainingSince;
  }

  serving(): void {
    if (this.current === 'starting') this.current = 'serving';
  }

  draining(now: number): void {
    this.drainingSince ??= now;
    if (this.current !== 'closing') this.current = 'draining';
  }

  closing(): void {
    this.current = 'closing';
  }
}
