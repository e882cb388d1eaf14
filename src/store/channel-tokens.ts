/**
 * Where channels keep their access tokens (the TokenShelf of src/channels/nuonuo): one row per
 * channel, shared by every process on the database and kept across restarts.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema/index.js';

export interface StoredToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class ChannelTokens {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  async read(channel: string): Promise<StoredToken | undefined> {
    const row = await this.db.selectFrom('channel_tokens').select(['token', 'expires_at']).where('channel', '=', channel).executeTakeFirst();
    return row && { token: row.token, expiresAt: Number(row.expires_at) };
  }

  async write(channel: string, token: StoredToken): Promise<void> {
    const values = { token: token.token, expires_at: token.expiresAt, updated_at: this.now() };
    await this.db
      .insertInto('channel_tokens')
      .values({ channel, ...values })
      .onConflict((conflict) => conflict.column('channel').doUpdateSet(values))
      .execute();
  }
}
