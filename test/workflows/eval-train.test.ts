// evaluate, trainModel and the per-epoch evaluation (workflows/epoch-eval.ts) with mocked activities.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CPU_QUEUE, evalWorkflowId } from '../../schemas/queues.ts';
import { SA } from '../../schemas/search-attributes.ts';
import type { EvalInput, EvalProgress } from '../../schemas/eval.ts';
import type {
  StageConfig,
  TrainModelInput,
  TrainProgress,
  TrainStageInput,
  TrainStageResult,
} from '../../schemas/train.ts';
import type { evaluate } from '../../workflows/evaluate.ts';
import type { TrainStatus, trainModel } from '../../workflows/train-model.ts';
import {
  ep,
  latch,
  runName,
  startWorkflowEnv,
  until,
  within,
  type Mocks,
  type WorkflowEnv,
} from '../support/workflow-env.ts';

let w: WorkflowEnv;
before(async () => {
  w = await startWorkflowEnv();
});
after(async () => {
  await w?.stop();
});

/** A bench of `rows` rows; each batch gets every other item right and leaves its first item to the judge. */
function bench(rows: number, malformed = 0): Mocks {
  return {
    describeBench: (i) => ({ kind: i.kind, rows, malformed }),
    evalBatch: (i) => ({ done: i.limit, correct: Math.floor(i.limit / 2), errored: 0, undecided: [i.offset] }),
    judgeBatch: (i) => ({ judged: i.rows.length, correct: i.rows.length }),
    commitEval: () => ({ rows: rows, shard: 'eval-shard', llmCalls: 0 }),
    writeEvalManifest: () => undefined,
  };
}

const evalInput = (run: string, over: Partial<EvalInput> = {}): EvalInput => ({
  run,
  bench: 'bench/mathvista-testmini.parquet',
  kind: 'mathvista',
  model: ep('model'),
  batchSize: 16,
  parallel: 2,
  ...over,
});

describe('evaluate (mocked activities)', { timeout: 60_000 }, () => {
  test('pages the bench in batches on the model queue, the judge decides the undecided, commits, counts and accuracy', async () => {
    w.mock(bench(40, 1));
    const run = runName('eval');
    const handle = await w.client.workflow.start<typeof evaluate>('evaluate', {
      taskQueue: CPU_QUEUE,
      workflowId: evalWorkflowId(run),
      args: [evalInput(run, { judge: ep('judge') })],
    });
    const p: EvalProgress = await handle.result();
    assert.deepEqual(
      w
        .inputs('evalBatch')
        .map((i) => [i.offset, i.limit])
        .sort((a, b) => a[0]! - b[0]!),
      [
        [0, 16],
        [16, 16],
        [32, 8],
      ],
    );
    assert.ok(w.inputs('evalBatch').every((i) => i.model.model === 'model-model' && i.itemAttempts === 3));
    assert.deepEqual(
      w
        .inputs('judgeBatch')
        .map((i) => i.rows)
        .sort(),
      [[0], [16], [32]],
    );
    assert.deepEqual([p.phase, p.total, p.done], ['finished', 40, 41]);
    assert.deepEqual(p.counts, { items: 40, correct: 8 + 8 + 4 + 3, errored: 0, malformed: 1, judged: 3 });
    assert.equal(p.accuracy, 23 / 40);
    assert.equal(w.inputs('commitEval').length, 1);
    const m = w.inputs('writeEvalManifest')[0]!;
    assert.deepEqual([m.status, m.judge, m.bench, m.prompt_style], ['completed', true, 'mathvista', 'sft']);
    const d = await handle.describe();
    assert.deepEqual([d.typedSearchAttributes.get(SA.run), d.typedSearchAttributes.get(SA.kind)], [run, 'eval']);
  });

  test('limit caps the rows; without a judge nothing is judged; a judge failing for good keeps the verifier verdicts', async () => {
    w.mock(bench(100));
    const run = runName('eval-limit');
    const p = await w.client.workflow.execute<typeof evaluate>('evaluate', {
      taskQueue: CPU_QUEUE,
      workflowId: evalWorkflowId(run),
      args: [evalInput(run, { limit: 20, batchSize: 8 })],
    });
    assert.deepEqual([p.total, p.counts.items, p.counts.judged], [20, 20, 0]);
    assert.equal(w.inputs('judgeBatch').length, 0);

    w.mock({
      ...bench(16),
      judgeBatch: () => {
        throw ApplicationFailure.nonRetryable('judge key refused', 'UsageError');
      },
    });
    const run2 = runName('eval-judge-down');
    const p2 = await w.client.workflow.execute<typeof evaluate>('evaluate', {
      taskQueue: CPU_QUEUE,
      workflowId: evalWorkflowId(run2),
      args: [evalInput(run2, { judge: ep('judge') })],
    });
    assert.deepEqual([p2.phase, p2.counts.items, p2.counts.correct, p2.counts.judged], ['finished', 16, 8, 0]);
    assert.equal(w.inputs('judgeBatch').length, 1, 'UsageError is not retried');
  });

  test('a malformed input fails at once naming the field', async () => {
    w.mock({});
    const run = runName('eval-bad');
    const handle = await w.client.workflow.start('evaluate', {
      taskQueue: CPU_QUEUE,
      workflowId: evalWorkflowId(run),
      args: [{ run, bench: 'b.parquet', kind: 'nope', model: ep('model') }],
    });
    await assert.rejects(
      handle.result(),
      (e) =>
        e instanceof WorkflowFailedError &&
        e.cause instanceof ApplicationFailure &&
        e.cause.type === 'InvalidInput' &&
        /^evaluate input: kind: /.test(e.cause.message),
    );
    assert.equal(w.calls.length, 0);
  });
});

const stage = (over: Partial<StageConfig> = {}): StageConfig => ({
  model: 'Qwen/Qwen2.5-VL-3B-Instruct',
  data: 'train.parquet',
  ...over,
});
function stageResult(i: TrainStageInput, over: Partial<TrainStageResult> = {}): TrainStageResult {
  const label = i.stage === 'sft' ? 'sft' : `grpo-e${i.stopAfterEpoch}`;
  return {
    stage: i.stage,
    step: 10 * (i.stopAfterEpoch ?? 1),
    maxSteps: null,
    epoch: i.stopAfterEpoch ?? 1,
    loss: 0.5,
    reward: i.stage === 'grpo' ? 0.7 : null,
    rewardStd: null,
    lr: 1e-5,
    tokensPerS: null,
    gpuMemGb: null,
    checkpoint: `ckpt/${label}`,
    attempt: 1,
    resumedFrom: i.resumeFrom ?? null,
    outputDir: `out/${i.stage}`,
    trainLoss: 0.5,
    rewardCalls: null,
    ...over,
  };
}
const trainId = (name: string) => `r1ov-train/${name}`;

describe('trainModel (mocked GPU activities)', { timeout: 120_000 }, () => {
  test('SFT then GRPO one epoch per activity: each epoch resumes from the last checkpoint, GRPO starts from the SFT checkpoint', async () => {
    const name = runName('train');
    w.mock({
      runTrainerStage: async (i) => {
        if (i.stage === 'sft') {
          // The trainer reports progress by signal while it runs; the workflow shows it in its query and memo.
          const last: TrainProgress = { ...stageResult(i), step: 7, checkpoint: null };
          await w.client.workflow.getHandle(i.workflowId!).signal('trainProgress', last);
          await until(
            'the progress signal in the query',
            async () =>
              (await w.client.workflow.getHandle(i.workflowId!).query<TrainStatus>('progress')).last?.step === 7,
          );
        }
        return stageResult(i);
      },
    });
    const input: TrainModelInput = { name, sft: stage(), grpo: stage({ model: 'sft' }), grpoEpochs: 2 };
    const handle = await w.client.workflow.start<typeof trainModel>('trainModel', {
      taskQueue: CPU_QUEUE,
      workflowId: trainId(name),
      args: [input],
    });
    const r = await handle.result();
    const calls = w.inputs('runTrainerStage');
    assert.deepEqual(
      calls.map((c) => [c.stage, c.stopAfterEpoch ?? null, c.resumeFrom ?? null, c.config.model]),
      [
        ['sft', null, null, 'Qwen/Qwen2.5-VL-3B-Instruct'],
        ['grpo', 1, null, 'ckpt/sft'],
        ['grpo', 2, 'ckpt/grpo-e1', 'ckpt/sft'],
      ],
    );
    assert.deepEqual(calls[1]!.modelFrom, { stage: 'sft', nodes: 1 });
    assert.equal(calls[1]!.config.epochs, 2);
    assert.ok(calls.every((c) => c.workflowId === trainId(name)));
    assert.deepEqual(
      [r.sft?.checkpoint, r.grpo.map((g) => g.checkpoint), r.evals],
      ['ckpt/sft', ['ckpt/grpo-e1', 'ckpt/grpo-e2'], []],
    );
    const d = await handle.describe();
    const memo = d.memo as Record<string, unknown>;
    assert.deepEqual([memo.phase, memo.grpoEpoch, memo.step, memo.checkpoint], ['done', 2, 20, 'ckpt/grpo-e2']);
    assert.deepEqual([d.typedSearchAttributes.get(SA.run), d.typedSearchAttributes.get(SA.kind)], [name, 'train']);
  });

  test('a max_steps cap reached early ends GRPO; several nodes run one activity per node rank', async () => {
    const name = runName('train-cap');
    w.mock({ runTrainerStage: (i) => stageResult(i, i.stage === 'grpo' ? { step: 10, maxSteps: 10 } : {}) });
    const r = await w.client.workflow.execute<typeof trainModel>('trainModel', {
      taskQueue: CPU_QUEUE,
      workflowId: trainId(name),
      args: [
        {
          name,
          sft: stage({ nodes: 2, rdzv_endpoint: 'node0.test:29500' }),
          grpo: stage({ model: 'sft' }),
          grpoEpochs: 3,
        },
      ],
    });
    const calls = w.inputs('runTrainerStage');
    assert.deepEqual(
      calls
        .filter((c) => c.stage === 'sft')
        .map((c) => c.nodeRank)
        .sort(),
      [0, 1],
    );
    assert.equal(calls.filter((c) => c.stage === 'grpo').length, 1, 'the cap was reached in epoch 1');
    assert.deepEqual(calls.find((c) => c.stage === 'grpo')!.modelFrom, { stage: 'sft', nodes: 2 });
    assert.equal(r.grpo.length, 1);
  });

  test('GRPO on "sft" without an SFT stage fails for good with TrainerConfigError', async () => {
    const name = runName('train-bad');
    w.mock({ runTrainerStage: (i) => stageResult(i) });
    const handle = await w.client.workflow.start<typeof trainModel>('trainModel', {
      taskQueue: CPU_QUEUE,
      workflowId: trainId(name),
      args: [{ name, grpo: stage({ model: 'sft' }) }],
    });
    await assert.rejects(
      handle.result(),
      (e) =>
        e instanceof WorkflowFailedError &&
        e.cause instanceof ApplicationFailure &&
        e.cause.type === 'TrainerConfigError',
    );
    assert.equal(w.inputs('runTrainerStage').length, 0);
  });

  test('a malformed input fails at once naming the field (several nodes need a rendezvous endpoint)', async () => {
    const name = runName('train-input');
    w.mock({ runTrainerStage: (i) => stageResult(i) });
    const handle = await w.client.workflow.start<typeof trainModel>('trainModel', {
      taskQueue: CPU_QUEUE,
      workflowId: trainId(name),
      args: [{ name, sft: stage({ nodes: 2 }) }],
    });
    await assert.rejects(
      handle.result(),
      (e) =>
        e instanceof WorkflowFailedError &&
        e.cause instanceof ApplicationFailure &&
        e.cause.type === 'InvalidInput' &&
        /^trainModel input: sft\.rdzv_endpoint: /.test(e.cause.message),
    );
    assert.equal(w.inputs('runTrainerStage').length, 0);
  });

  /** A checkpoint server: signals its URL to the training workflow, then serves (heartbeating) until cancelled. */
  const serving =
    (fail?: (serveId: string) => Error | null): Mocks['serveCheckpoint'] =>
    async (i) => {
      const err = fail?.(i.serveId);
      if (err) throw err;
      await w.client.workflow
        .getHandle(i.workflowId)
        .signal('checkpointServed', { serveId: i.serveId, url: `http://gpu.test/${i.serveId}/v1`, model: i.modelName });
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(50); // rejects once the cancel arrives with a heartbeat response
      }
    };

  test('per-epoch evaluation: each checkpoint is served, evaluated by an evaluate child against its URL, then the server is stopped', async () => {
    const name = runName('train-eval');
    w.mock({ ...bench(10), runTrainerStage: (i) => stageResult(i), serveCheckpoint: serving() });
    const input: TrainModelInput = {
      name,
      sft: stage(),
      grpo: stage({ model: 'sft' }),
      grpoEpochs: 1,
      eval: { benches: [{ file: 'held-out.parquet', kind: 'mathvista' }], serve: { heartbeat_timeout_s: 2 } },
    };
    const handle = await w.client.workflow.start<typeof trainModel>('trainModel', {
      taskQueue: CPU_QUEUE,
      workflowId: trainId(name),
      args: [input],
    });
    const r = await within('trainModel with evaluation', handle.result(), 60_000);
    assert.deepEqual(
      r.evals.map((e) => [e.label, e.run, e.status, e.accuracy, e.checkpoint, e.model]),
      [
        ['sft', `${name}.sft`, 'completed', 0.5, 'ckpt/sft', `${name}/sft`],
        ['grpo-e1', `${name}.grpo-e1`, 'completed', 0.5, 'ckpt/grpo-e1', `${name}/grpo-e1`],
      ],
    );
    assert.deepEqual(
      w.inputs('serveCheckpoint').map((s) => [s.label, s.serveId, s.checkpoint]),
      [
        ['sft', 'sft#1', 'ckpt/sft'],
        ['grpo-e1', 'grpo-e1#1', 'ckpt/grpo-e1'],
      ],
    );
    assert.deepEqual(
      [...new Set(w.inputs('evalBatch').map((b) => [b.model.baseUrl, b.model.model].join(' ')))],
      [`http://gpu.test/sft#1/v1 ${name}/sft`, `http://gpu.test/grpo-e1#1/v1 ${name}/grpo-e1`],
    );
    // Training waited for each server to be gone (WAIT_CANCELLATION_COMPLETED): the GRPO epoch started after the SFT eval.
    const order = w.calls.map((c) => c.name).filter((n) => n === 'runTrainerStage' || n === 'serveCheckpoint');
    assert.deepEqual(order, ['runTrainerStage', 'serveCheckpoint', 'runTrainerStage', 'serveCheckpoint']);
    const child = await w.client.workflow.getHandle(evalWorkflowId(`${name}.sft`)).describe();
    assert.equal(child.status.name, 'COMPLETED');
    assert.equal(child.typedSearchAttributes.get(SA.run), `${name}.sft`);
    const memo = (await handle.describe()).memo as { evalAccuracy?: Record<string, number | null> };
    assert.deepEqual(memo.evalAccuracy, { sft: 0.5, 'grpo-e1': 0.5 });
  });

  test('per-epoch evaluation: a server that dies under the evaluation cancels it, and serve + evaluate run again together', async () => {
    const name = runName('train-died');
    const evaluating = latch();
    const b = bench(4);
    w.mock({
      ...b,
      runTrainerStage: (i) => stageResult(i),
      serveCheckpoint: async (i) => {
        await w.client.workflow.getHandle(i.workflowId).signal('checkpointServed', {
          serveId: i.serveId,
          url: `http://gpu.test/${i.serveId}/v1`,
          model: i.modelName,
        });
        if (i.serveId === 'sft#1') {
          await evaluating.promise;
          throw new Error('server process exited with signal SIGKILL');
        }
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      },
      evalBatch: async (i) => {
        if (i.model.baseUrl.includes('sft#1')) {
          evaluating.open();
          for (;;) {
            Context.current().heartbeat();
            await Context.current().sleep(50); // the evaluation is cancelled when its server dies
          }
        }
        return b.evalBatch!(i);
      },
    });
    const input: TrainModelInput = {
      name,
      sft: stage(),
      eval: { benches: [{ file: 'held-out.parquet', kind: 'mathvista' }], serve: { heartbeat_timeout_s: 2 } },
    };
    const r = await within(
      'trainModel with a dying server',
      w.client.workflow.execute<typeof trainModel>('trainModel', {
        taskQueue: CPU_QUEUE,
        workflowId: trainId(name),
        args: [input],
      }),
      60_000,
    );
    assert.deepEqual(
      w.inputs('serveCheckpoint').map((s) => s.serveId),
      ['sft#1', 'sft#2'],
    );
    assert.deepEqual(
      r.evals.map((e) => [e.label, e.status, e.accuracy]),
      [['sft', 'completed', 0.5]],
    );
    assert.deepEqual(
      w.inputs('evalBatch').map((i) => i.model.baseUrl),
      ['http://gpu.test/sft#1/v1', 'http://gpu.test/sft#2/v1'],
    );
  });

  test('per-epoch evaluation with overlap: the next epoch trains while the last checkpoint is evaluated', async () => {
    const name = runName('train-overlap');
    const grpoStarted = latch();
    const b = bench(4);
    w.mock({
      ...b,
      serveCheckpoint: serving(),
      runTrainerStage: (i) => {
        if (i.stage === 'grpo') grpoStarted.open();
        return stageResult(i);
      },
      // The SFT evaluation can only finish once GRPO has started: without overlap this would never end.
      evalBatch: async (i) => {
        if (i.model.model.endsWith('/sft')) await grpoStarted.promise;
        return b.evalBatch!(i);
      },
    });
    const input: TrainModelInput = {
      name,
      sft: stage(),
      grpo: stage({ model: 'sft' }),
      grpoEpochs: 1,
      eval: {
        overlap: true,
        benches: [{ file: 'held-out.parquet', kind: 'mathvista' }],
        serve: { heartbeat_timeout_s: 2 },
      },
    };
    const r = await within(
      'trainModel with overlapping evaluation',
      w.client.workflow.execute<typeof trainModel>('trainModel', {
        taskQueue: CPU_QUEUE,
        workflowId: trainId(name),
        args: [input],
      }),
      60_000,
    );
    assert.deepEqual(r.evals.map((e) => [e.label, e.status]).sort(), [
      ['grpo-e1', 'completed'],
      ['sft', 'completed'],
    ]);
  });

  test('per-epoch evaluation: a server that fails to start is tried again; one that fails for good records a failed eval and training goes on', async () => {
    const name = runName('train-serve');
    w.mock({
      ...bench(4),
      runTrainerStage: (i) => stageResult(i),
      serveCheckpoint: serving((id) =>
        id === 'sft#1'
          ? new Error('CUDA out of memory')
          : id.startsWith('grpo-e1')
            ? ApplicationFailure.nonRetryable('no such checkpoint', 'TrainerConfigError')
            : null,
      ),
    });
    const input: TrainModelInput = {
      name,
      sft: stage(),
      grpo: stage({ model: 'sft' }),
      grpoEpochs: 1,
      eval: { benches: [{ file: 'held-out.parquet', kind: 'mathvista' }], serve: { heartbeat_timeout_s: 2 } },
    };
    const r = await within(
      'trainModel with failing servers',
      w.client.workflow.execute<typeof trainModel>('trainModel', {
        taskQueue: CPU_QUEUE,
        workflowId: trainId(name),
        args: [input],
      }),
      60_000,
    );
    assert.deepEqual(
      w.inputs('serveCheckpoint').map((s) => s.serveId),
      ['sft#1', 'sft#2', 'grpo-e1#1'],
    );
    const [sft, grpo] = r.evals;
    assert.deepEqual([sft!.status, sft!.accuracy], ['completed', 0.5]);
    assert.equal(grpo!.status, 'failed');
    assert.match(grpo!.error ?? '', /^serve: no such checkpoint/);
    assert.equal(r.grpo.length, 1, 'training finished despite the failed evaluation');
  });
});
