/** Every secret the gateway keeps sealed in its database, for the doctor to try with its key. */
import type { Kysely } from 'kysely';
import { SecretBox } from '../runtime/secret-box.js';
import type { Database } from './schema/index.js';

export async function sealedSecrets(db: Kysely<Database>): Promise<Array<{ readonly what: 'webhook secret' | 'channel token'; readonly sealed: string }>> {
  const webhooks = await db.selectFrom('webhook_subscriptions').select('secret_sealed').execute();
  const tokens = await db.selectFrom('channel_tokens').select('token').execute();
  return [
    ...webhooks.map((row) => ({ what: 'webhook secret' as const, sealed: row.secret_sealed })),
    ...tokens.filter((row) => SecretBox.isSealed(row.token)).map((row) => ({ what: 'channel token' as const, sealed: row.token })),
  ];
}
