/** `fapiao sellers add|list`: the sellers API keys may issue for. */
import type { Command } from 'commander';
import { taxIdFault } from '../domain/tax-id.js';
import { listSellers, saveSeller } from '../store/seller-store.js';
import { UsageError } from './usage-error.js';
import { withStore } from './store-option.js';

interface AddOptions {
  taxId: string;
  name: string;
  address?: string;
  phone?: string;
  bankName?: string;
  bankAccount?: string;
  sandbox?: boolean;
  db?: string;
}

export function registerSellerCommands(program: Command): void {
  const sellers = program.command('sellers').description('seller profiles (销售方档案)');
  sellers
    .command('add')
    .description('register a seller, or update its profile')
    .requiredOption('--tax-id <id>', 'unified social credit code / taxpayer ID')
    .requiredOption('--name <name>', 'registered name (销售方名称)')
    .option('--address <text>')
    .option('--phone <text>')
    .option('--bank-name <text>')
    .option('--bank-account <text>')
    .option('--sandbox', 'a provider sandbox ID that is no real USCC (e.g. 诺诺 339902999999789113)')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .action(async (options: AddOptions) => {
      const fault = taxIdFault(options.taxId);
      if (fault && !options.sandbox) {
        throw new UsageError(`${options.taxId} is not a valid taxpayer ID (${fault}); a provider sandbox ID needs --sandbox`);
      }
      if (!/^[0-9A-Z]{15,20}$/.test(options.taxId)) throw new UsageError(`${options.taxId}: a taxpayer ID is 15–20 digits and upper-case letters`);
      const outcome = await withStore(options.db, (store) =>
        saveSeller(
          store.db,
          {
            taxId: options.taxId,
            name: options.name,
            sandbox: options.sandbox === true,
            ...(options.address !== undefined && { address: options.address }),
            ...(options.phone !== undefined && { phone: options.phone }),
            ...(options.bankName !== undefined && { bankName: options.bankName }),
            ...(options.bankAccount !== undefined && { bankAccount: options.bankAccount }),
          },
          Date.now(),
        ),
        'create',
      );
      process.stdout.write(`${outcome} seller ${options.taxId} ${options.name}\n`);
    });
  sellers
    .command('list')
    .description('list registered sellers')
    .option('--db <file>', 'SQLite database file (DATABASE_URL overrides)')
    .option('--json', 'as JSON')
    .action(async (options: { db?: string; json?: boolean }) => {
      const rows = await withStore(options.db, (store) => listSellers(store.db));
      if (options.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      for (const seller of rows) process.stdout.write(`${seller.taxId}  ${seller.name}${seller.sandbox ? '  (sandbox)' : ''}\n`);
    });
}
