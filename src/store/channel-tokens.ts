/**
 * Where channels keep their access tokens (the TokenShelf of src/channels/nuonuo): one row per
 * channel, shared by every process on the database and kept across restarts, sealed at rest as
 * webhook secrets are (a token is a credential: whoever reads the database could issue with it).
 * A token stored in the clear by an older version is still read, and sealed when next renewed;
 * one that does not open (the key changed) is as good as none: the channel asks for a new one.
 */
import type { Kysely } from 'kysely';
import { SecretBox } from '../runtime/secret-box.js';
import type { Database } from './schema/index.js';

export interface StoredToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class ChannelTokens {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
    private readonly secrets: SecretBox,
  ) {}

  async read(channel: string): Promise<StoredToken | undefined> {
    const row = await this.db.selectFrom('channel_tokens').select(['token', 'expires_at']).where('channel', '=', channel).executeTakeFirst();
    if (!row) return undefined;
    if (!SecretBox.isSealed(row.token)) return { token: row.token, expiresAt: Number(row.expires_at) };
    try {
      return { token: this.secrets.open(row.token), expiresAt: Number(row.expires_at) };
    } catch {
      return undefined;
    }
  }

  async write(channel: string, token: StoredToken): Promise<void> {
    const values = { token: this.secrets.seal(token.token), expires_at: token.expiresAt, updated_at: this.now() };
    await this.db
      .insertInto('channel_tokens')
      .values({ channel, ...values })
      .onConflict((conflict) => conflict.column('channel').doUpdateSet(values))
      .execute();
  }
}
