/** `fapiao audit verify`: checks the registry of audit chains and every chain; exit 0 intact, 1 broken (naming the first broken entry). */
import type { Command } from 'commander';
import { verifyAuditChain } from '../store/audit-verify.js';
import { withStore } from './store-option.js';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('walk the registry of audit chains and every chain, and report the first broken entry')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .option('--json', 'as JSON')
    .action(async (options: { db?: string; json?: boolean }) => {
      const started = performance.now();
      const verdict = await withStore(options.db, (store) => verifyAuditChain(store.reader, store.capabilities));
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (options.json) process.stdout.write(JSON.stringify(verdict) + '\n');
      else if (verdict.ok) process.stdout.write(`intact: ${verdict.entries} entries in ${verdict.chains} chain${verdict.chains === 1 ? '' : 's'}, head ${verdict.head} (${seconds} s)\n`);
      else {
        process.stdout.write(
          `broken ${verdict.chain === null ? 'in the registry of chains' : verdict.seq === 0 ? `at chain ${verdict.chain}` : `at entry ${verdict.seq} of chain ${verdict.chain}`}${verdict.invoiceId ? ` (invoice ${verdict.invoiceId})` : ''}: ${verdict.problem}\n` +
            `${verdict.entries} entries before it are intact.\n`,
        );
      }
      if (!verdict.ok) process.exitCode = 1;
    });
}
