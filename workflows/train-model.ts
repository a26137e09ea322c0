import {
  ApplicationFailure,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { SA } from '../schemas/search-attributes.ts';
import { trainInput } from './input-schemas.ts';
import type { Activities } from '../activities/index.ts';
import { GPU_QUEUE, epochLabel } from '../schemas/queues.ts';
import type {
  EpochEval,
  TrainModelInput,
  TrainModelResult,
  TrainProgress,
  TrainStageInput,
  TrainStageResult,
} from '../schemas/train.ts';
import { epochEvaluator } from './epoch-eval.ts';

/** The GPU activity sends its last step/loss/reward here; the workflow shows them as memo in the Web UI. */
export const trainProgressSignal = defineSignal<[TrainProgress]>('trainProgress');
export const trainStatusQuery = defineQuery<TrainStatus>('progress');

export interface TrainStatus {
  name: string;
  phase: 'sft' | 'grpo' | 'done';
  grpoEpoch: number | null;
  last: TrainProgress | null;
  sft: TrainStageResult | null;
  grpo: TrainStageResult[];
  /** Labels of the epochs being evaluated now (comma-separated), if any. */
  evaluating: string | null;
  evals: EpochEval[];
}

const gpuActivities = (heartbeatTimeoutSec: number) =>
  proxyActivities<Activities>({
    taskQueue: GPU_QUEUE,
    // Training runs for hours: the heartbeat (every few seconds while the trainer lives) is what detects a dead worker.
    startToCloseTimeout: '7 days',
    heartbeatTimeout: `${heartbeatTimeoutSec} seconds`,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      maximumAttempts: 20,
      nonRetryableErrorTypes: ['TrainerConfigError', 'TrainerNotInstalled'],
    },
  });

/**
 * Train a model: SFT (one activity), then GRPO one epoch per activity, each resuming from the checkpoint the one
 * before left; with an `eval` section, each epoch's checkpoint is evaluated on the held-out benches (workflows/
 * epoch-eval.ts) and its accuracy shown beside step/loss/reward. Only small values cross history: configs,
 * checkpoint paths, the last metrics, accuracies.
 */
export async function trainModel(raw: TrainModelInput): Promise<TrainModelResult> {
  // Validated here: a script's malformed input fails the workflow at once, naming the field.
  const { TrainModelInputSchema, inputProblem } = await trainInput();
  const parsed = TrainModelInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(inputProblem('trainModel', parsed.error), 'InvalidInput');
  const input = parsed.data;
  const workflowId = workflowInfo().workflowId;
  const sa = workflowInfo().typedSearchAttributes;
  if (sa.get(SA.run) !== input.name || sa.get(SA.kind) !== 'train')
    upsertSearchAttributes([
      { key: SA.run, value: input.name },
      { key: SA.kind, value: 'train' },
    ]);
  const gpu = gpuActivities(input.heartbeatTimeoutSec ?? 120);
  const status: TrainStatus = {
    name: input.name,
    phase: input.sft ? 'sft' : 'grpo',
    grpoEpoch: null,
    last: null,
    sft: null,
    grpo: [],
    evaluating: null,
    evals: [],
  };
  let memoAt = '';
  const memo = () => {
    const l = status.last;
    const key = JSON.stringify([
      status.phase,
      status.grpoEpoch,
      l?.step,
      l?.loss,
      l?.reward,
      l?.checkpoint,
      status.evaluating,
      status.evals.length,
    ]);
    if (key === memoAt) return;
    memoAt = key;
    upsertMemo({
      kind: 'train',
      phase: status.phase,
      grpoEpoch: status.grpoEpoch,
      step: l?.step ?? null,
      loss: l?.loss ?? null,
      reward: l?.reward ?? null,
      checkpoint: l?.checkpoint ?? null,
      ...(input.eval
        ? {
            evaluating: status.evaluating,
            // Held-out accuracy per epoch, keyed by the eval run's suffix (`sft`, `grpo-e1`[.bench]); null: it failed.
            evalAccuracy: Object.fromEntries(status.evals.map((e) => [e.run.slice(input.name.length + 1), e.accuracy])),
          }
        : {}),
    });
  };
  if (input.eval?.benches.some((b) => !b.kind)) {
    throw ApplicationFailure.nonRetryable(
      'eval.benches: every bench needs its kind (the CLI detects it from the file)',
      'TrainerConfigError',
    );
  }
  const evaluateEpoch = input.eval
    ? epochEvaluator({
        name: input.name,
        workflowId,
        config: input.eval,
        onChange: (evaluating, results) => {
          status.evaluating = evaluating;
          status.evals = [...results];
          memo();
        },
      })
    : null;
  const pendingEvals: Promise<unknown>[] = [];
  // After each epoch's checkpoint: evaluate it now, or while the next epoch trains (eval.overlap).
  const afterEpoch = async (label: string, checkpoint: string | null, stage: NonNullable<TrainModelInput['sft']>) => {
    if (!evaluateEpoch || !checkpoint) return;
    const p = evaluateEpoch(label, checkpoint, stage);
    if (input.eval?.overlap) pendingEvals.push(p);
    else await p;
  };
  setHandler(trainStatusQuery, () => status);
  setHandler(trainProgressSignal, (p) => {
    status.last = p;
    memo();
  });
  memo();

  // Several nodes: one activity per node (each a torch.distributed.run of the same rendezvous); node 0 reports.
  const runStage = async (stageInput: TrainStageInput): Promise<TrainStageResult> => {
    const nodes = stageInput.config.nodes ?? 1;
    if (nodes <= 1) return gpu.runTrainerStage(stageInput);
    const results = await Promise.all(
      Array.from({ length: nodes }, (_, nodeRank) => gpu.runTrainerStage({ ...stageInput, nodeRank })),
    );
    return results[0]!;
  };
  let model = input.grpo?.model;
  if (input.sft) {
    status.sft = await runStage({ name: input.name, stage: 'sft', config: input.sft, workflowId });
    status.last = status.sft;
    memo();
    if (model === undefined || model === 'sft') model = status.sft.checkpoint ?? undefined;
    await afterEpoch(epochLabel('sft'), status.sft.checkpoint, input.sft);
  }
  if (input.grpo) {
    if (!model || model === 'sft')
      throw ApplicationFailure.nonRetryable(
        'grpo.model "sft" needs an sft stage that left a checkpoint',
        'TrainerConfigError',
      );
    const epochs = input.grpoEpochs ?? Math.max(1, Math.ceil(input.grpo.epochs ?? 1));
    const config = { ...input.grpo, model, epochs };
    // The SFT checkpoint may live on another host: the activity fetches it from the object store by its step.
    const modelFrom =
      input.sft && model === status.sft?.checkpoint
        ? { stage: 'sft' as const, nodes: input.sft.nodes ?? 1 }
        : undefined;
    status.phase = 'grpo';
    let resumeFrom: string | null = null;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      status.grpoEpoch = epoch;
      memo();
      const r: TrainStageResult = await runStage({
        name: input.name,
        stage: 'grpo',
        config,
        stopAfterEpoch: epoch,
        resumeFrom,
        workflowId,
        modelFrom,
      });
      status.grpo.push(r);
      status.last = r;
      resumeFrom = r.checkpoint;
      memo();
      await afterEpoch(epochLabel('grpo', epoch), r.checkpoint, config);
      // A max_steps cap can end training before the last epoch: nothing is left to run.
      if (r.maxSteps !== null && r.step >= r.maxSteps && r.maxSteps > 0) break;
    }
  }
  await Promise.all(pendingEvals);
  status.phase = 'done';
  memo();
  return { name: input.name, sft: status.sft, grpo: status.grpo, evals: status.evals };
}
