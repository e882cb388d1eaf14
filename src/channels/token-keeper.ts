/**
 * One channel's access token as every caller in a process shares it: the one kept, else the one on
 * the shelf (another process or an earlier run fetched it), else a new one — fetched once however
 * many callers ask at the same moment, and shelved before it is used. Platforms ration token calls.
 */
import type { KeptToken, TokenShelf } from './token-shelf.js';

// A token this close to its expiry is not used: a call could outlive it.
const EXPIRY_MARGIN_MS = 5 * 60_000;

export class TokenKeeper {
  private kept: KeptToken | undefined;
  private fetching: Promise<string> | undefined;

  constructor(
    private readonly config: {
      readonly channel: string;
      readonly shelf: TokenShelf;
      readonly now: () => number;
      /** Asks the platform for a new token. */
      readonly fetch: (signal: AbortSignal) => Promise<KeptToken>;
    },
  ) {}

  /** A token to send now: the one kept, or a new one when none is kept or it has lapsed. */
  async current(signal: AbortSignal): Promise<string> {
    if (this.usable(this.kept)) return this.kept.token;
    const shelved = await this.config.shelf.read(this.config.channel);
    if (this.usable(shelved)) {
      this.kept = shelved;
      return shelved.token;
    }
    return this.fetch(signal);
  }

  /** The platform refused `refused`: a new token, unless another caller already has one. */
  async renew(refused: string, signal: AbortSignal): Promise<string> {
    const shelved = await this.config.shelf.read(this.config.channel);
    if (shelved && shelved.token !== refused && this.usable(shelved)) {
      this.kept = shelved;
      return shelved.token;
    }
    if (this.kept?.token === refused) this.kept = undefined;
    return this.fetch(signal);
  }

  private usable(token: KeptToken | undefined): token is KeptToken {
    return token !== undefined && token.expiresAt - EXPIRY_MARGIN_MS > this.config.now();
  }

  private fetch(signal: AbortSignal): Promise<string> {
    this.fetching ??= this.fetchOnce(signal).finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchOnce(signal: AbortSignal): Promise<string> {
    const token = await this.config.fetch(signal);
    await this.config.shelf.write(this.config.channel, token);
    this.kept = token;
    return token.token;
  }
}
