import {
  ParentClosePolicy, WorkflowIdReusePolicy, allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle,
  isCancellation, CancellationScope, proxyActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { CPU_QUEUE, sampleWorkflowId } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type { BuildInput, BuildProgress, BuildState, SampleOutcome } from '../schemas/workflow.ts';
import { sampleLifecycle } from './sample-lifecycle.ts';
import { pauseBuild, progressQuery, resumeBuild, sampleFinished } from './signals.ts';

const cpu = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['UsageError'] },
});

// Shard commits heartbeat every few seconds: a worker that dies mid-commit is noticed in seconds, and the retry on
// another worker rewrites the same shard.
const committer = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['UsageError'] },
});

function initialState(): BuildState {
  return {
    cursor: { file: 0, row: 0 }, ingested: 0, counts: { done: 0, rejected: 0, quarantined: 0 }, byStage: {},
    inFlight: [], uncommitted: 0, shards: 0, pages: 0, startedAtMs: Date.now(), paused: false, generation: 0,
  };
}

/**
 * A dataset build: page the source, keep a sliding window of sampleLifecycle children, commit finished records
 * to shards in batches, continue-as-new as history grows. Children report back with the `sampleFinished` signal.
 */
export async function buildDataset(input: BuildInput): Promise<BuildProgress> {
  const { run, config } = input;
  const s: BuildState = input.state ?? initialState();
  const inFlight = new Set(s.inFlight);
  let phase: BuildProgress['phase'] = s.cursor ? 'ingesting' : 'draining';

  const progress = (): BuildProgress => {
    const finished = s.counts.done + s.counts.rejected + s.counts.quarantined;
    const elapsedSec = Math.max(0.001, (Date.now() - s.startedAtMs) / 1000);
    return {
      run, phase, paused: s.paused, ingested: s.ingested, inFlight: inFlight.size, counts: { ...s.counts }, byStage: { ...s.byStage },
      finished, shards: s.shards, elapsedSec, ratePerSec: finished / elapsedSec, sourceExhausted: s.cursor === null,
    };
  };
  setHandler(progressQuery, progress);
  setHandler(pauseBuild, () => void (s.paused = true));
  setHandler(resumeBuild, () => void (s.paused = false));
  setHandler(sampleFinished, (o: SampleOutcome) => {
    const id = sampleWorkflowId(run, o.sampleId);
    if (!inFlight.delete(id)) return; // a duplicate report (retried signal): already counted
    s.counts[o.status]++;
    const key = `${o.status}:${o.stage}`;
    s.byStage[key] = (s.byStage[key] ?? 0) + 1;
    s.uncommitted++;
  });

  const commit = async () => {
    if (s.uncommitted === 0) return;
    const pending = s.uncommitted;
    const r = await committer.commitShard({ run });
    s.uncommitted -= pending;
    if (r.rows > 0) s.shards++;
  };

  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || s.pages >= config.pagesPerRun;
  const carryOn = async (): Promise<never> => {
    await condition(allHandlersFinished);
    s.inFlight = [...inFlight];
    s.pages = 0;
    s.generation++;
    return continueAsNew<typeof buildDataset>({ ...input, state: s });
  };

  try {
    if (s.generation === 0 && s.pages === 0 && s.ingested === 0) await cpu.writeRunManifest({ run, source: input.source, status: 'running', counts: s.counts, config });

    while (s.cursor) {
      await condition(() => !s.paused && inFlight.size < config.window);
      const remaining = input.limit === undefined ? undefined : input.limit - s.ingested;
      if (remaining !== undefined && remaining <= 0) { s.cursor = null; break; }
      const page = await cpu.ingestPage({ run, source: input.source, subsets: input.subsets, cursor: s.cursor, remaining, config });
      for (const ref of page.refs) {
        await condition(() => !s.paused && inFlight.size < config.window);
        const workflowId = sampleWorkflowId(run, ref.sampleId);
        inFlight.add(workflowId);
        s.ingested++;
        await startChild(sampleLifecycle, {
          workflowId,
          args: [{ run, ref, parentId: workflowInfo().workflowId, config, endpoints: input.endpoints }],
          taskQueue: CPU_QUEUE,
          parentClosePolicy: ParentClosePolicy.ABANDON, // children outlive each continue-as-new of the build
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [
            { key: SA.run, value: run },
            { key: SA.source, value: ref.source },
            { key: SA.stage, value: 'route' },
          ],
        });
      }
      s.cursor = page.next;
      s.pages++;
      if (s.uncommitted >= config.commitEvery) await commit();
      if (shouldContinueAsNew()) await carryOn();
    }

    phase = 'draining';
    while (inFlight.size > 0) {
      await condition(() => inFlight.size === 0 || s.uncommitted >= config.commitEvery || workflowInfo().continueAsNewSuggested);
      if (s.uncommitted >= config.commitEvery) await commit();
      if (inFlight.size > 0 && workflowInfo().continueAsNewSuggested) await carryOn();
    }
    phase = 'committing';
    await commit();
    phase = 'finished';
    await cpu.writeRunManifest({ run, source: input.source, status: 'completed', counts: s.counts, config });
    return progress();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancel: stop the children still running, keep everything already finished queryable.
    await CancellationScope.nonCancellable(async () => {
      phase = 'cancelled';
      await Promise.all([...inFlight].map((id) => getExternalWorkflowHandle(id).cancel().catch(() => undefined)));
      s.uncommitted = Math.max(s.uncommitted, 1);
      await commit();
      await cpu.writeRunManifest({ run, source: input.source, status: 'cancelled', counts: s.counts, config });
    });
    throw err;
  }
}
