import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { UsageError } from '../core/errors.ts';
import { connectClient, workflowUrl } from '../core/temporal.ts';
import { ControlOutput, RunStatusOutput } from '../schemas/cli.ts';
import { buildWorkflowId } from '../schemas/queues.ts';
import { queryProgress, summaryText } from './build.ts';
import { emit, globals } from './context.ts';

async function withRun<T>(cmd: Command, run: string, f: (h: ReturnType<Awaited<ReturnType<typeof connectClient>>['client']['workflow']['getHandle']>, ctx: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> {
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
  program.command('status').argument('<run>').description('progress of a build').action(async (run: string, _o: unknown, cmd: Command) => {
    const { json } = globals(cmd);
    await withRun(cmd, run, async (h, { target }) => {
      const d = await h.describe();
      const progress = d.status.name === 'COMPLETED' ? await h.result() : await queryProgress(h);
      emit(json, RunStatusOutput, { run, workflowId: h.workflowId, status: d.status.name, progress, uiUrl: workflowUrl(target, h.workflowId) },
        () => summaryText(run, d.status.name, progress, target));
    });
  });
  for (const action of ['pause', 'resume'] as const) {
    program.command(action).argument('<run>').description(`${action} a build (${action === 'pause' ? 'no new samples start; running ones finish' : 'start new samples again'})`)
      .action(async (run: string, _o: unknown, cmd: Command) => {
        const { json } = globals(cmd);
        await withRun(cmd, run, async (h) => {
          await h.signal(action);
          emit(json, ControlOutput, { run, action, ok: true }, () => `${action}d ${run}`);
        });
      });
  }
  program.command('cancel').argument('<run>').description('cancel a build; finished samples stay in the shards')
    .action(async (run: string, _o: unknown, cmd: Command) => {
      const { json } = globals(cmd);
      await withRun(cmd, run, async (h) => {
        await h.cancel();
        emit(json, ControlOutput, { run, action: 'cancel', ok: true }, () => `cancel requested for ${run}`);
      });
    });
}
