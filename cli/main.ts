import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { oneLine, UsageError } from '../core/errors.ts';
import { registerBuildCommand } from './build.ts';
import { registerControlCommands } from './control.ts';
import { registerServerCommands } from './server.ts';
import { registerSqlCommand } from './sql.ts';
import { registerWorkerCommands } from './worker.ts';
import { registerRewardsCommands } from './rewards.ts';
import { registerExportCommand } from './export.ts';
import { registerTrainCommands } from './train.ts';
import { registerViewCommand } from './view.ts';
import { registerEvalCommands } from './eval.ts';
import { registerDemoCommand } from './demo.ts';
import { registerNotebookCommand } from './notebook.ts';
import { registerCodecServerCommand } from './codec-server.ts';

const program = new Command('r1ov')
  .description('R1-Onevision cross-modal formalization, rebuilt as a durable data platform on Temporal')
  .option('--home <dir>', 'state directory (default $R1OV_HOME or ./.r1ov)')
  .option('--json', 'machine-readable result on stdout')
  .showHelpAfterError()
  .exitOverride();

registerServerCommands(program);
registerWorkerCommands(program);
registerBuildCommand(program);
registerControlCommands(program);
registerSqlCommand(program);
registerRewardsCommands(program);
registerExportCommand(program);
registerTrainCommands(program);
registerViewCommand(program);
registerEvalCommands(program);
registerDemoCommand(program);
registerNotebookCommand(program);
registerCodecServerCommand(program);

function fail(code: number, message: string): never {
  const json = process.argv.includes('--json');
  if (json) process.stdout.write(`${JSON.stringify({ error: message, code })}\n`);
  process.stderr.write(`r1ov: ${message}\n`);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0);
    process.exit(2); // commander already printed the usage problem
  }
  if (err instanceof UsageError || err instanceof ZodError) fail(2, oneLine(err));
  fail(1, oneLine(err));
}
