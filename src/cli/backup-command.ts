/** `fapiao backup DEST` and `fapiao restore SRC --data-dir DIR` for SQLite gateways. */
import { environment } from '../runtime/env.js';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { backupSqlite, restoreSqlite } from '../store/backup.js';
import { defaultDbFile } from './store-option.js';
import { UsageError } from './usage-error.js';
import { errorMessage } from '../domain/error-message.js';

function refusePostgres(): void {
  if (environment.databaseUrl) {
    throw new UsageError('this gateway uses PostgreSQL: back it up with pg_dump or point-in-time recovery (docs/operations.md), and copy <data>/keys');
  }
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('copy the database (invoices, audit log, documents), the signing key and the secrets key, online, while the gateway runs')
    .argument('<dest>', 'a new or empty directory')
    .option('--db <file>', 'SQLite database file (default fapiao.db in FAPIAO_DATA_DIR, else data/fapiao.db)')
    .action(async (dest: string, options: { db?: string }) => {
      refusePostgres();
      const dbFile = options.db ?? defaultDbFile();
      try {
        const started = performance.now();
        const { pages, bytes, secretsKey } = await backupSqlite(dbFile, environment.dataDir ?? dirname(dbFile), dest);
        const seconds = (performance.now() - started) / 1000;
        const mib = bytes / 1048576;
        process.stdout.write(
          `backed up ${dbFile} to ${join(dest, 'fapiao.db')} (${pages} pages, ${mib.toFixed(1)} MiB in ${seconds.toFixed(1)} s, ${(mib / Math.max(seconds, 0.001)).toFixed(0)} MiB/s), the signing key${secretsKey ? ' and the secrets key' : ''}\n`,
        );
        // A key given in the environment cannot be copied: without it the webhook secrets in the backup are useless.
        if (environment.secretsKey) process.stdout.write('secrets are sealed with FAPIAO_SECRETS_KEY, which is not in the backup: keep its value with the backup, as safely\n');
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
    });
  program
    .command('restore')
    .description('restore a backup: copy its database, signing key and secrets key into a new data directory, then check the database\'s integrity')
    .argument('<src>', 'a directory made by fapiao backup')
    .requiredOption('--data-dir <dir>', 'the new data directory, created if missing (it must not already hold a database)')
    .addHelpText('after', '\nThen check the audit chain (fapiao audit verify --db DIR/fapiao.db) and start the gateway on it (fapiao serve --db DIR/fapiao.db).')
    .action((src: string, options: { dataDir: string }) => {
      refusePostgres();
      let integrity: string;
      try {
        ({ integrity } = restoreSqlite(src, options.dataDir));
      } catch (error) {
        throw new UsageError(errorMessage(error));
      }
      process.stdout.write(`restored into ${options.dataDir} (integrity: ${integrity}); check the audit chain with: fapiao audit verify --db ${join(options.dataDir, 'fapiao.db')}\n`);
      if (integrity !== 'ok') process.exitCode = 1;
    });
}
