/**
 * Asks each channel that issues through a drawer's session with the tax bureau (诺诺 on 数电)
 * whether the drawer is still logged in, every few minutes, and pauses the channel while not: its
 * invoices then wait (or go to the next channel) instead of each being refused, and the
 * paused-channel alert fires before they pile up. While a login has lapsed it asks every 30 s and
 * lifts the pause as soon as the drawer is back. Not leased work: it writes nothing, and every
 * process may ask (the call changes nothing upstream).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Channel } from '../channels/channel.js';
import { isChannelError } from '../channels/channel-error.js';
import type { ChannelHealth } from './channel-health.js';

export interface DrawerWatchOptions {
  /** How often to ask while all is well, ms. */
  readonly intervalMs: number;
  /** The budget of one question, ms. */
  readonly callTimeoutMs: number;
  /** How often to ask while a login has lapsed, ms. @default 30000 */
  readonly recheckMs?: number;
}

export class DrawerWatch {
  private readonly watched: readonly Channel[];
  private readonly lapsed = new Set<string>();
  private readonly stopping = new AbortController();
  private done: Promise<void> = Promise.resolve();

  constructor(
    channels: readonly Channel[],
    private readonly health: ChannelHealth,
    private readonly log: Logger,
    private readonly options: DrawerWatchOptions,
  ) {
    this.watched = channels.filter((channel) => channel.drawerSession !== undefined);
  }

  start(): void {
    if (this.watched.length > 0 && this.options.intervalMs > 0) this.done = this.run();
  }

  /** Stops at once: a question in flight is abandoned. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done;
  }

  /** One round: every watched channel asked once. */
  async checkAll(): Promise<void> {
    await Promise.all(this.watched.map((channel) => this.check(channel)));
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await this.checkAll();
      try {
        await sleep(this.nextCheckMs(), undefined, { signal: this.stopping.signal });
      } catch {
        return;
      }
    }
  }

  private nextCheckMs(): number {
    return this.lapsed.size > 0 ? Math.min(this.options.intervalMs, this.options.recheckMs ?? 30_000) : this.options.intervalMs;
  }

  private async check(channel: Channel): Promise<void> {
    let lapse: string | undefined;
    try {
      const session = await channel.drawerSession!({ signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.callTimeoutMs)]) });
      if (!session.loggedIn || session.identityConfirmed === false) lapse = `${session.detail}: log in by QR code or SMS in the provider's console`;
    } catch (error) {
      if (!isChannelError(error) || error.code !== 'drawer_login_required') {
        // Not knowing is not a lapse: the invoices themselves will tell, and the breaker judges the channel.
        if (!this.stopping.signal.aborted) this.log.debug({ channel: channel.name, err: error }, 'drawer login state unknown');
        return;
      }
      lapse = error.message;
    }
    if (lapse !== undefined) {
      this.lapsed.add(channel.name);
      // Paused until just past the next question, so the pause (and its alert) holds while the login is lapsed.
      this.health.pause(channel.name, lapse, this.nextCheckMs() + this.options.callTimeoutMs);
    } else if (this.lapsed.delete(channel.name)) {
      this.health.resume(channel.name);
      this.log.info({ channel: channel.name }, 'channel resumed: the drawer is logged in again');
    }
  }
}
