import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { SampleOutcomeSchema, type SampleOutcome } from '../../schemas/workflow.ts';

export interface AwaitSamplesInput {
  /** Sample workflows a build run carried over from an earlier run (workflows/build-dataset.ts). */
  workflowIds: string[];
  /** Return after this long with those that ended meanwhile (possibly none). */
  maxWaitMs: number;
  /**
   * Return this long after the first one ended, with every one that ended by then: the build frees their places in
   * its window at once instead of after `maxWaitMs` (it believed its window full meanwhile, and starved it).
   */
  gatherMs?: number;
}

/** How a sample workflow ended: its outcome, or null when it closed without one (terminated, failed, timed out, cancelled) or is gone (`missing`). */
export interface SampleEnd {
  workflowId: string;
  outcome: SampleOutcome | null;
  how: string;
}

/**
 * Wait for sample workflows to close and return their outcomes: a build run hears the completion only of the
 * children it started itself, so the ones an earlier run started (before a continue-as-new) are followed here,
 * one long poll per workflow, for at most `maxWaitMs` per call (or `gatherMs` after the first end).
 */
export async function awaitSamples(input: AwaitSamplesInput): Promise<SampleEnd[]> {
  const ctx = Context.current();
  const ended: SampleEnd[] = [];
  const stop = new AbortController();
  const beat = setInterval(() => ctx.heartbeat(), 2_000);
  let gathered: () => void = () => undefined;
  const gathering = new Promise<void>((res) => (gathered = res));
  let gatherTimer: NodeJS.Timeout | undefined;
  /** One more ended; the first starts the gathering time. */
  const settle = (e: SampleEnd) => {
    ended.push(e);
    if (input.gatherMs !== undefined && !gatherTimer) gatherTimer = setTimeout(gathered, input.gatherMs);
  };
  const end = async (workflowId: string): Promise<void> => {
    try {
      const parsed = SampleOutcomeSchema.safeParse(await ctx.client.workflow.getHandle(workflowId).result());
      if (!parsed.success)
        throw new Error(
          `sample workflow ${workflowId}: its result is not a sample outcome (${parsed.error.issues[0]?.message})`,
        );
      settle({ workflowId, outcome: parsed.data, how: 'completed' });
    } catch (err) {
      if (stop.signal.aborted) return;
      if (err instanceof WorkflowNotFoundError) {
        // Gone (deleted, or past the namespace's retention): asking again would fail forever; it gives up its place.
        settle({ workflowId, outcome: null, how: 'missing' });
        return;
      }
      if (!(err instanceof WorkflowFailedError)) throw err;
      settle({ workflowId, outcome: null, how: (err.cause?.name ?? 'failed').replace(/Failure$/, '').toLowerCase() });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await ctx.client.withAbortSignal(stop.signal, () =>
      Promise.race([
        Promise.all(input.workflowIds.map(end)),
        new Promise<void>((res) => {
          timer = setTimeout(res, input.maxWaitMs);
        }),
        gathering,
        ctx.cancelled,
      ]),
    );
  } finally {
    clearTimeout(timer);
    clearTimeout(gatherTimer);
    clearInterval(beat);
    stop.abort();
  }
  return ended;
}
