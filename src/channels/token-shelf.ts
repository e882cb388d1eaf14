/**
 * Where channels keep access tokens across restarts, shared by every process on one database
 * (src/store/channel-tokens.ts in a running gateway): platforms ration token calls.
 */
export interface KeptToken {
  readonly token: string;
  /** Epoch ms (诺诺's tokens last 24 h unless the app is set never to expire). */
  readonly expiresAt: number;
}

export interface TokenShelf {
  read(channel: string): Promise<KeptToken | undefined>;
  write(channel: string, token: KeptToken): Promise<void>;
}

/** A shelf for one process's lifetime: for a one-off run (`fapiao doctor` without its database) and tests. */
export class MemoryTokenShelf implements TokenShelf {
  private readonly kept = new Map<string, KeptToken>();
  async read(channel: string): Promise<KeptToken | undefined> {
    return this.kept.get(channel);
  }
  async write(channel: string, token: KeptToken): Promise<void> {
    this.kept.set(channel, token);
  }
}
