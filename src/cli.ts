/**
 * The `fapiao` command: parses arguments and calls library functions, nothing more. Commands
 * import what they run (the gateway, the simulator, the store) when they run, so that starting
 * `fapiao` costs little: the doctor, --help and the small commands answer at once.
 * Exit codes: 0 success, 1 the input is invalid, 2 the command could not run (unreadable file,
 * bad arguments).
 */
import { Command, CommanderError } from 'commander';
import { environment } from './runtime/env.js';
import { registerAuditCommand } from './cli/audit-command.js';
import { registerBackupCommands } from './cli/backup-command.js';
import { registerChannelCommands } from './cli/channels-command.js';
import { registerDemoCommand } from './cli/demo-command.js';
import { registerDoctorCommand } from './cli/doctor-command.js';
import { registerImportCommand } from './cli/import-command.js';
import { registerKeyCommands } from './cli/keys-command.js';
import { registerUserCommands } from './cli/users-command.js';
import { registerReconcileCommand } from './cli/reconcile-command.js';
import { previewBytes, readInput } from './cli/preview-command.js';
import { registerSellerCommands } from './cli/sellers-command.js';
import { registerServeCommand } from './cli/serve-command.js';
import { registerSimulatorCommand } from './cli/simulator-command.js';
import { registerVerifyCommand } from './cli/verify-command.js';
import { UsageError } from './cli/usage-error.js';
import { errorMessage } from './domain/error-message.js';

export function buildProgram(): Command {
  const program = new Command('fapiao')
    .description('Fapiao Gateway: issue Chinese e-invoices (数电票) exactly once, through upstream failures')
    .version(environment.packageVersion ?? '0.1.0')
    .exitOverride();

  program
    .command('preview')
    .description('validate an invoice request and print the computed invoice (tax, totals, 大写) as JSON')
    .argument('<file>', 'the request as JSON, or - for standard input')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid (computed invoice on stdout), 1 invalid (problem document on stdout), 2 file unreadable.',
    )
    .action(async (file: string) => {
      let bytes: Uint8Array;
      try {
        bytes = await readInput(file);
      } catch (error) {
        process.stderr.write(`fapiao preview: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
        process.exitCode = 2;
        return;
      }
      const output = previewBytes(bytes);
      process.stdout.write(output.json);
      process.exitCode = output.exitCode;
    });

  registerServeCommand(program);
  registerSimulatorCommand(program);
  registerSellerCommands(program);
  registerKeyCommands(program);
  registerUserCommands(program);
  registerDemoCommand(program);
  registerVerifyCommand(program);
  registerAuditCommand(program);
  registerBackupCommands(program);
  registerChannelCommands(program);
  registerDoctorCommand(program);
  registerReconcileCommand(program);
  registerImportCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; argument mistakes with 2.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`fapiao: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`fapiao: ${errorMessage(error)}\n`);
    if (environment.debug && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
