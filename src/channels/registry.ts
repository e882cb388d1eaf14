/**
 * Builds each channel from its configuration by protocol. A new protocol is one folder beside
 * `reference/`, `nuonuo/` and `baiwang/` plus one entry here; the dispatcher, the doctor and GET /v1/channels
 * see only the Channel port.
 */
import type { ChannelConfig } from '../runtime/config.js';
import type { Channel } from './channel.js';
import type { PinnedAddress } from './pinned-address.js';
import { BaiwangChannel } from './baiwang/baiwang-channel.js';
import { NuonuoChannel } from './nuonuo/nuonuo-channel.js';
import type { TokenShelf } from './token-shelf.js';
import { PING_PATH, ReferenceChannel, type UpstreamObserver } from './reference/reference-channel.js';

export interface ChannelBuildDeps {
  readonly upstream: { readonly connectTimeoutMs: number; readonly responseTimeoutMs: number; readonly pollAfterMs: number };
  /** Timings and certificate expiry of one channel's connections, for metrics. */
  readonly observer: (channel: string) => UpstreamObserver;
  /** Where channels with access tokens keep them (the database in a running gateway). */
  readonly tokens: TokenShelf;
  /** For `fapiao doctor`: extra CAs to trust, and the address its network layers checked. */
  readonly reach?: { readonly ca?: string; readonly pinnedAddress?: PinnedAddress };
}

/**
 * Where `fapiao doctor`'s http layer sends its GET: the reference protocol's ping endpoint, or for
 * a platform without one its business address, where any HTTP answer shows the server is reached.
 */
export interface ReachabilityProbe {
  readonly url: string;
  /** What the report names. */
  readonly shown: string;
  /** Any answer below 500 (but 429) is as good as a 200. */
  readonly anyAnswer: boolean;
}

export function reachabilityProbe(config: ChannelConfig): ReachabilityProbe {
  if (config.protocol === 'nuonuo' || config.protocol === 'baiwang') return { url: config.url, shown: new URL(config.url).pathname, anyAnswer: true };
  return { url: `${config.url.replace(/\/+$/, '')}${PING_PATH}`, shown: PING_PATH, anyAnswer: false };
}

type Builder<C extends ChannelConfig> = (config: C, deps: ChannelBuildDeps) => Channel;

const BUILDERS: {
  readonly reference: Builder<Extract<ChannelConfig, { protocol?: 'reference' }>>;
  readonly nuonuo: Builder<Extract<ChannelConfig, { protocol: 'nuonuo' }>>;
  readonly baiwang: Builder<Extract<ChannelConfig, { protocol: 'baiwang' }>>;
} = {
  reference: (config, deps) => new ReferenceChannel({ name: config.name, url: config.url, ...deps.upstream, ...deps.reach, observer: deps.observer(config.name) }),
  nuonuo: (config, deps) =>
    new NuonuoChannel({
      name: config.name,
      url: config.url,
      tokenUrl: config.tokenUrl,
      appKey: config.appKey,
      appSecret: config.appSecret,
      ...(config.extensionNumber !== undefined && { extensionNumber: config.extensionNumber }),
      ...(config.clerk !== undefined && { clerk: config.clerk }),
      ...(config.settleWindowMs !== undefined && { settleWindowMs: config.settleWindowMs }),
      ...deps.upstream,
      ...deps.reach,
      tokens: deps.tokens,
    }),
  baiwang: (config, deps) =>
    new BaiwangChannel({
      name: config.name,
      url: config.url,
      appKey: config.appKey,
      appSecret: config.appSecret,
      username: config.username,
      password: config.password,
      ...(config.salt !== undefined && { salt: config.salt }),
      ...(config.settleWindowMs !== undefined && { settleWindowMs: config.settleWindowMs }),
      ...deps.upstream,
      ...deps.reach,
      tokens: deps.tokens,
    }),
};

export function buildChannel(config: ChannelConfig, deps: ChannelBuildDeps): Channel {
  if (config.protocol === 'nuonuo') return BUILDERS.nuonuo(config, deps);
  if (config.protocol === 'baiwang') return BUILDERS.baiwang(config, deps);
  return BUILDERS.reference(config, deps);
}
