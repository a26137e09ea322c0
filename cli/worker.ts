import type { Command } from 'commander';
import { loadRunConfig } from '../core/config.ts';
import { startServer } from '../infra/server.ts';
import { runWorkers } from '../infra/worker.ts';
import { globals, log } from './context.ts';

export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('run workers for every task queue (r1ov-cpu, r1ov-llm-<role>, r1ov-gpu) or a chosen subset')
    .option('--queues <names...>', 'task queues to serve (comma or space separated)')
    .option('--config <file>', 'config whose roles set LLM queue rate limits (RPM) and concurrency')
    .option('--verbose', 'full log entries with stack traces (default: one line per failed attempt)')
    .action(async (o: { queues?: string[]; config?: string; verbose?: boolean }, cmd: Command) => {
      const { home } = globals(cmd);
      const queues = o.queues?.flatMap((q) => q.split(',')).filter(Boolean);
      await runWorkers({
        home,
        queues,
        config: loadRunConfig(o.config),
        verbose: o.verbose,
        onReady: (q, sizing) => log(`worker ready: ${q.join(', ')} (${sizing})`),
      });
    });
  program
    .command('up')
    .description('the embedded server and all workers, in the foreground (Ctrl-C stops the workers)')
    .option('--config <file>', 'config for LLM queue limits')
    .option('--verbose', 'full log entries with stack traces')
    .action(async (o: { config?: string; verbose?: boolean }, cmd: Command) => {
      const { home } = globals(cmd);
      const s = await startServer({ home, log });
      log(`Temporal at ${s.address}; Web UI ${s.uiUrl}`);
      await runWorkers({
        home,
        config: loadRunConfig(o.config),
        verbose: o.verbose,
        onReady: (q, sizing) => log(`worker ready: ${q.join(', ')} (${sizing})`),
      });
    });
}
