/** `fapiao keys create|list|revoke`: API keys bound to sellers, or an operator's bound to none. */
import type { Command } from 'commander';
import { API_KEY_SCOPES, createApiKey, keyShapeFault, listApiKeys, revokeApiKey, type ApiKeyScope } from '../store/api-key-store.js';
import { UsageError } from './usage-error.js';
import { withStore } from './store-option.js';
import { errorMessage } from '../domain/error-message.js';

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90d", "12h", "30m" → ms. */
function parseDuration(text: string): number {
  const match = /^(\d+)([mhd])$/.exec(text);
  if (!match || Number(match[1]) === 0) throw new UsageError(`--expires ${text}: write a whole number and m, h or d, like 90d`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys');
  keys
    .command('create')
    .description('create an API key; the key is printed once, alone on the last line')
    .option('--seller <taxId>', 'a seller the key acts for (repeatable; none for --scope operator)', collect, [])
    .option('--scope <scopes>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`, 'issue,read')
    .option('--expires <duration>', 'e.g. 90d, 12h; never when omitted')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (options: { seller: string[]; scope: string; expires?: string; db?: string }) => {
      const scopes = options.scope.split(',').map((s) => s.trim());
      const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (unknown.length > 0) throw new UsageError(`unknown scope ${unknown.join(', ')}; scopes: ${API_KEY_SCOPES.join(', ')}`);
      const fault = keyShapeFault(scopes as ApiKeyScope[], options.seller);
      if (fault) throw new UsageError(fault);
      const now = Date.now();
      const expiresAt = options.expires ? now + parseDuration(options.expires) : null;
      const created = await withStore(options.db, async (store) => {
        try {
          return await createApiKey(store.db, { sellers: options.seller, scopes: scopes as ApiKeyScope[], expiresAt }, now);
        } catch (error) {
          throw new UsageError(errorMessage(error));
        }
      });
      process.stdout.write(
        `created ${created.id} for ${options.seller.length > 0 ? options.seller.join(', ') : 'no seller (operator)'} (scopes ${scopes.join(',')}${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ''})\n` +
          'the key is shown only now; keep it in your secret store:\n' +
          `${created.key}\n`,
      );
    });
  keys
    .command('list')
    .description('list API keys (never the secrets)')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (options: { db?: string }) => {
      const rows = await withStore(options.db, (store) => listApiKeys(store.db));
      const now = Date.now();
      for (const key of rows) {
        const state = key.revokedAt ? 'revoked' : key.expiresAt !== null && key.expiresAt <= now ? 'expired' : 'active';
        process.stdout.write(`${key.id}  ${state}  ${key.scopes.join(',')}  ${key.sellers.join(',')}\n`);
      }
    });
  keys
    .command('revoke')
    .description('revoke an API key at once')
    .argument('<keyId>', 'the key id shown by keys list (key_…)')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (keyId: string, options: { db?: string }) => {
      const found = await withStore(options.db, (store) => revokeApiKey(store.db, keyId, Date.now()));
      if (!found) throw new UsageError(`no key ${keyId}`);
      process.stdout.write(`revoked ${keyId}\n`);
    });
}
