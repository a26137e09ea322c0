import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { CPU_QUEUE, llmQueue } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type { EvalBatchResult, EvalCounts, EvalInput as EvalInputRaw, EvalProgress } from '../schemas/eval.ts';
import { evalInput } from './input-schemas.ts';

export const evalProgressQuery = defineQuery<EvalProgress>('progress');

const cpu = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['UsageError'] },
});

function llm(role: 'model' | 'judge', attempts: number) {
  return proxyActivities<Activities>({
    taskQueue: llmQueue(role),
    startToCloseTimeout: '30 minutes',
    scheduleToCloseTimeout: '6 hours', // a queue nobody serves must fail visibly, not hang forever
    heartbeatTimeout: '2 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: attempts,
      nonRetryableErrorTypes: ['UsageError'],
    },
  });
}

/**
 * Evaluate the model under test on one benchmark file: page the rows in batches (row offsets only: no item data in
 * history), a batch activity per page on the model's queue, the judge's queue for what the verifier left undecided,
 * then commit the staged rows to Parquet. Continues as new when the history grows.
 */
export async function evaluate(raw: EvalInputRaw): Promise<EvalProgress> {
  // Validated here (defaults applied): a script's malformed input fails the workflow at once, naming the field.
  const { EvalInputSchema, inputProblem } = await evalInput();
  const parsed = EvalInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(inputProblem('evaluate', parsed.error), 'InvalidInput');
  const input = parsed.data;
  const sa = workflowInfo().typedSearchAttributes;
  if (sa.get(SA.run) !== input.run || sa.get(SA.kind) !== 'eval')
    upsertSearchAttributes([
      { key: SA.run, value: input.run },
      { key: SA.kind, value: 'eval' },
    ]);
  const batchSize = input.batchSize ?? 16;
  const parallel = input.parallel ?? 4;
  const itemAttempts = input.itemAttempts ?? 3;
  const promptStyle = input.promptStyle ?? 'sft';
  const model = llm('model', itemAttempts + 2);
  const judge = llm('judge', 5);
  const st = input.state ?? {
    next: 0,
    total: -1,
    counts: { items: 0, correct: 0, errored: 0, malformed: 0, judged: 0 },
    startedAt: new Date().toISOString(),
  };
  const counts = st.counts as unknown as EvalCounts;
  let phase: EvalProgress['phase'] = 'running';
  const progress = (): EvalProgress => ({
    run: input.run,
    kind: input.kind,
    phase,
    total: st.total,
    done: counts.items + counts.malformed,
    counts: { ...counts },
    accuracy: counts.items > 0 ? counts.correct / counts.items : null,
  });
  setHandler(evalProgressQuery, progress);
  const common = { run: input.run, bench: input.bench, kind: input.kind, promptStyle };

  if (st.total < 0) {
    const d = await cpu.describeBench({
      ...common,
      model: input.model.model,
      judge: Boolean(input.judge),
      startedAt: st.startedAt,
    });
    st.total = input.limit !== undefined ? Math.min(d.rows, input.limit) : d.rows;
    counts.malformed = d.malformed;
  }

  const runBatch = async (offset: number) => {
    const r: EvalBatchResult = await model.evalBatch({
      ...common,
      offset,
      limit: Math.min(batchSize, st.total - offset),
      model: input.model,
      itemAttempts,
    });
    counts.items += r.done;
    counts.correct += r.correct;
    counts.errored += r.errored;
    if (input.judge && r.undecided.length > 0) {
      try {
        const j = await judge.judgeBatch({ run: input.run, rows: r.undecided, judge: input.judge });
        counts.judged += j.judged;
        counts.correct += j.correct;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // The judge failed for good: those items keep the verifier's verdict (wrong), decided_by 'none'.
      }
    }
  };

  while (st.next < st.total) {
    const wave: Promise<void>[] = [];
    for (let i = 0; i < parallel && st.next < st.total; i++) {
      wave.push(runBatch(st.next));
      st.next += batchSize;
    }
    await Promise.all(wave);
    if (st.next < st.total && workflowInfo().continueAsNewSuggested) {
      await cpu.commitEval({ run: input.run });
      return continueAsNew<typeof evaluate>({ ...input, state: st });
    }
  }
  phase = 'committing';
  await cpu.commitEval({ run: input.run });
  await cpu.writeEvalManifest({
    run: input.run,
    bench: input.kind,
    bench_file: input.bench,
    model: input.model.model,
    prompt_style: promptStyle,
    judge: Boolean(input.judge),
    status: 'completed',
    started_at: st.startedAt,
    updated_at: st.startedAt,
  });
  phase = 'finished';
  return progress();
}
