/**
 * Tells webhook subscribers when a channel goes down (its circuit opens, or it pauses for an
 * operator) and when it comes back (its circuit closes): `channel.down` / `channel.up`, written in
 * the store once per change however many processes see it. Never throws into the dispatcher.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChannelChange } from '../runtime/events.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { Database } from '../store/schema/index.js';
import { reportChannelState } from '../store/webhook-outbox.js';

export class ChannelReports {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { readonly db: Kysely<Database>; readonly capabilities: StoreCapabilities; readonly now: () => number; readonly log: Logger; readonly reported: () => void }) {}

  /** A change the channel health saw; reported in the order seen. */
  changed(change: ChannelChange): void {
    const state = change.kind === 'paused' || (change.kind === 'circuit' && change.state === 'open') ? 'down' : change.kind === 'circuit' && change.state === 'closed' ? 'up' : undefined;
    if (!state) return;
    const reason = change.kind === 'paused' || change.kind === 'circuit' ? change.cause : null;
    this.last = this.last.then(async () => {
      try {
        const outcome = await this.deps.db.transaction().execute((tx) => reportChannelState(tx, this.deps.capabilities, { channel: change.channel, state, reason, now: this.deps.now() }));
        if (outcome === 'reported') this.deps.reported();
      } catch (error) {
        this.deps.log.warn({ err: error, channel: change.channel, state }, 'could not record the channel change for webhooks');
      }
    });
  }

  /** Waits for the reports in flight. */
  settled(): Promise<void> {
    return this.last;
  }
}
