import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { UsageError } from '../core/errors.ts';
import { connectClient, queuesWithoutWorkers, workflowUrl } from '../core/temporal.ts';
import { ControlOutput, RunStatusOutput } from '../schemas/cli.ts';
import { buildWorkflowId } from '../schemas/queues.ts';
import { BuildProgressSchema } from '../schemas/workflow.ts';
import { memoProgress, queryProgress, summaryText } from './build-progress.ts';
import { emit, globals, log } from './context.ts';
import { missingWorkersLine, neededQueues } from './watch.ts';

async function withRun<T>(
  cmd: Command,
  run: string,
  f: (
    h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>,
    ctx: Awaited<ReturnType<typeof connectClient>>,
  ) => Promise<T>,
): Promise<T> {
  const { home } = globals(cmd);
  const ctx = await connectClient(home);
  try {
    const handle = ctx.client.workflow.getHandle(buildWorkflowId(run));
    try {
      await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new UsageError(`run ${run}: no such build`);
      throw err;
    }
    return await f(handle, ctx);
  } finally {
    await ctx.close();
  }
}

export function registerControlCommands(program: Command): void {
  program
    .command('status')
    .argument('<run>')
    .description('progress of a build')
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const { json } = globals(cmd);
      await withRun(cmd, run, async (h, { client, target }) => {
        const d = await h.describe();
        let progress;
        if (d.status.name === 'COMPLETED') progress = BuildProgressSchema.parse(await h.result());
        else if (d.status.name !== 'RUNNING') progress = await memoProgress(h, d);
        else {
          // A query needs a worker; without one the server would hold it for many seconds: answer from the memo.
          const missing = await queuesWithoutWorkers(
            client,
            target.namespace,
            neededQueues([]).filter((q) => q.type === 'workflow'),
            1_000,
          );
          if (missing.length) log(missingWorkersLine(missing));
          progress = missing.length ? await memoProgress(h, d) : await queryProgress(client, h);
        }
        emit(
          json,
          RunStatusOutput,
          { run, workflowId: h.workflowId, status: d.status.name, progress, uiUrl: workflowUrl(target, h.workflowId) },
          () => summaryText(run, d.status.name, progress, target),
        );
      });
    });
  for (const action of ['pause', 'resume'] as const) {
    program
      .command(action)
      .argument('<run>')
      .description(
        `${action} a build (${action === 'pause' ? 'no new samples start; running ones finish' : 'start new samples again; also lifts a halt on a failing endpoint'})`,
      )
      .action(async (run: string, _o: unknown, cmd: Command) => {
        const { json } = globals(cmd);
        await withRun(cmd, run, async (h) => {
          await h.signal(action);
          emit(json, ControlOutput, { run, action, ok: true }, () => `${action}d ${run}`);
        });
      });
  }
  program
    .command('cancel')
    .argument('<run>')
    .description('cancel a build; finished samples stay in the shards')
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const { json } = globals(cmd);
      await withRun(cmd, run, async (h) => {
        await h.cancel();
        emit(json, ControlOutput, { run, action: 'cancel', ok: true }, () => `cancel requested for ${run}`);
      });
    });
}
