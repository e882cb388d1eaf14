/**
 * An operator's hands on the shared channels: isolate one (no new work; what it holds is still
 * resolved there by query), restore it, or run the doctor's layered checks against it. Only
 * configured channels exist; every change is audited by the store.
 */
import type { Kysely } from 'kysely';
import type { Refusal } from '../domain/refusal.js';
import type { Clock } from '../runtime/clock.js';
import { isolateChannel, restoreChannel } from '../store/channel-isolation.js';
import type { StoreCapabilities } from '../store/capabilities.js';
import type { Database } from '../store/schema/index.js';

export interface ChannelControlDeps<Report> {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly clock: Clock;
  /** The configured channels' names. */
  readonly names: readonly string[];
  /** Told when this process isolated or restored a channel, so its workers act on it at once. */
  readonly onIsolationChanged: () => void;
  /** The doctor's layers (DNS, TCP, TLS, HTTP, upstream) against one configured channel. */
  readonly doctor: (channel: string) => Promise<Report>;
}

type NotFound = Extract<Refusal, { kind: 'not_found' }>;
export type IsolationOutcome = { readonly kind: 'isolation'; readonly name: string; readonly isolated: boolean; readonly changed: boolean } | NotFound;

/** Said when the operator gives no reason. */
export const DEFAULT_ISOLATION_REASON = 'isolated by the operator';

export class ChannelControl<Report> {
  constructor(private readonly deps: ChannelControlDeps<Report>) {}

  async isolate(name: string, request: { readonly reason: string | undefined; readonly by: string }): Promise<IsolationOutcome> {
    if (!this.deps.names.includes(name)) return this.unknown(name);
    const result = await isolateChannel(this.deps.db, this.deps.capabilities, { channel: name, reason: request.reason ?? DEFAULT_ISOLATION_REASON, by: request.by, at: this.deps.clock.now() });
    this.deps.onIsolationChanged();
    return { kind: 'isolation', name, isolated: true, changed: result === 'isolated' };
  }

  async restore(name: string, request: { readonly by: string }): Promise<IsolationOutcome> {
    if (!this.deps.names.includes(name)) return this.unknown(name);
    const result = await restoreChannel(this.deps.db, this.deps.capabilities, { channel: name, by: request.by, at: this.deps.clock.now() });
    this.deps.onIsolationChanged();
    return { kind: 'isolation', name, isolated: false, changed: result === 'restored' };
  }

  async diagnose(name: string): Promise<{ readonly kind: 'diagnosed'; readonly report: Report } | NotFound> {
    if (!this.deps.names.includes(name)) return this.unknown(name);
    return { kind: 'diagnosed', report: await this.deps.doctor(name) };
  }

  private unknown(name: string): NotFound {
    return { kind: 'not_found', subject: `channel ${name}; configured: ${this.deps.names.join(', ')}` };
  }
}
