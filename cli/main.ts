import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { oneLine, UsageError } from '../core/errors.ts';

const program = new Command('r1ov')
  .description('R1-Onevision cross-modal formalization, rebuilt as a durable data platform on Temporal')
  .option('--home <dir>', 'state directory (default $R1OV_HOME or ./.r1ov)')
  .option('--json', 'machine-readable result on stdout')
  .showHelpAfterError()
  .exitOverride();

type Register = (program: Command) => void;
/**
 * Each command module, loaded on demand: a scripted `r1ov sql` or `r1ov status` should not pay for the worker,
 * Temporal bundler, vega or the S3 SDK at start-up. Keys are the top-level command names each module registers;
 * help, and anything not named here, loads them all (in this order, which is the help's order).
 */
const modules: Array<[string[], () => Promise<Register>]> = [
  [['server'], async () => (await import('./server.ts')).registerServerCommands],
  [['worker', 'up'], async () => (await import('./worker.ts')).registerWorkerCommands],
  [['build'], async () => (await import('./build.ts')).registerBuildCommand],
  [['profile'], async () => (await import('./profile.ts')).registerProfileCommand],
  [['status', 'pause', 'resume', 'cancel'], async () => (await import('./control.ts')).registerControlCommands],
  [['sql'], async () => (await import('./sql.ts')).registerSqlCommand],
  [['rewards'], async () => (await import('./rewards.ts')).registerRewardsCommands],
  [['export'], async () => (await import('./export.ts')).registerExportCommand],
  [['train'], async () => (await import('./train.ts')).registerTrainCommands],
  [['view'], async () => (await import('./view.ts')).registerViewCommand],
  [['eval'], async () => (await import('./eval.ts')).registerEvalCommands],
  [['demo'], async () => (await import('./demo.ts')).registerDemoCommand],
  [['notebook'], async () => (await import('./notebook.ts')).registerNotebookCommand],
  [['codec-server'], async () => (await import('./codec-server.ts')).registerCodecServerCommand],
  [['cluster'], async () => (await import('./cluster.ts')).registerClusterCommands],
  [['perception'], async () => (await import('./perception.ts')).registerPerceptionCommands],
];

/** The command word of argv: the first argument that is neither a global option nor a global option's value. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--home') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

const word = commandWord(process.argv.slice(2));
const wanted = modules.filter(([names]) => word !== undefined && names.includes(word));
for (const [, load] of wanted.length ? wanted : modules) (await load())(program);

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
