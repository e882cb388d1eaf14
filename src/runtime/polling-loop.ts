/**
 * A background loop of rounds of work: the next round starts at once when a round says more may
 * be waiting, otherwise after the poll interval or an earlier wake() hint (a hint that arrives
 * during a round is kept, not lost). A round that throws is reported and the loop carries on after
 * the pause. The dispatcher and the document renderer both run on it.
 */
export type RoundResult = 'more' | 'idle';

export class PollingLoop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private woken = false;

  constructor(
    private readonly round: () => Promise<RoundResult>,
    private readonly pollIntervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Stops after the current round. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.done;
  }

  /** A hint that work may be waiting. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let result: RoundResult = 'idle';
      try {
        result = await this.round();
      } catch (error) {
        this.onError(error);
      }
      if (!this.running || result === 'more') continue;
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wakeUp = done;
    });
  }
}
