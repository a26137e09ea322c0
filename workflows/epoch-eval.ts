import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { EvalInputParsed, EvalProgress } from '../schemas/eval.ts';
import { CPU_QUEUE, GPU_QUEUE, evalWorkflowId, trainEvalRunName } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type { CheckpointServed, EpochEval, StageConfig, TrainEval } from '../schemas/train.ts';
import { evaluate } from './evaluate.ts';

/** The serve activity tells the training workflow where its checkpoint answers. */
export const checkpointServedSignal = defineSignal<[CheckpointServed]>('checkpointServed');

export interface EpochEvaluatorOptions {
  name: string;
  workflowId: string;
  config: TrainEval;
  /** Called when an evaluation starts (label) or ends (null), and when results arrive. */
  onChange: (evaluating: string | null, results: EpochEval[]) => void;
}

function reason(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}
const isFinal = (err: unknown) =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable;

/**
 * Held-out evaluation of training checkpoints: serve the checkpoint on the GPU queue (an activity that lives until
 * cancelled and signals its URL), run the evaluate workflow as a child per bench against that URL, then cancel the
 * server and wait until it is gone. A server that dies under the evaluation cancels the children and the whole
 * serve + evaluate try starts again (the URL changes with the server, so they are retried together).
 * A failed evaluation is recorded, never fatal: training goes on.
 */
export function epochEvaluator(
  opts: EpochEvaluatorOptions,
): (label: string, checkpoint: string, stage: StageConfig) => Promise<EpochEval[]> {
  const { name, config: cfg } = opts;
  const served = new Map<string, CheckpointServed>();
  setHandler(checkpointServedSignal, (s) => {
    served.set(s.serveId, s);
  });
  const gpu = proxyActivities<Activities>({
    taskQueue: GPU_QUEUE,
    startToCloseTimeout: '30 days', // it serves until cancelled; the heartbeat detects a dead worker
    // Short: the beats come from a timer, and the cancellation that ends serving arrives with one (throttled to 0.8×).
    heartbeatTimeout: `${cfg.serve?.heartbeat_timeout_s ?? 30} seconds`,
    // Wait for the server's process group to be gone before training goes on: the GPU memory must be free.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 1 }, // retried here, together with the evaluation that uses its URL
  });
  const results: EpochEval[] = [];
  const benches = cfg.benches;

  const runBench = async (
    b: TrainEval['benches'][number],
    label: string,
    url: string,
    checkpoint: string,
  ): Promise<EpochEval> => {
    const run = trainEvalRunName(name, label, benches.length > 1 ? b.name : undefined);
    const model = `${name}/${label}`;
    const input: EvalInputParsed = {
      run,
      bench: b.file,
      kind: b.kind!,
      promptStyle: cfg.prompt_style ?? 'sft',
      limit: b.limit,
      model: {
        role: 'model',
        baseUrl: url,
        model,
        concurrency: cfg.concurrency ?? 16,
        timeoutMs: (cfg.timeout_s ?? 600) * 1000,
        temperature: cfg.temperature ?? 0,
        maxTokens: cfg.max_tokens ?? 1024,
      },
      batchSize: cfg.batch_size ?? 16,
      parallel: cfg.parallel ?? 4,
      itemAttempts: cfg.item_attempts ?? 3,
    };
    const child = await startChild(evaluate, {
      workflowId: evalWorkflowId(run),
      taskQueue: CPU_QUEUE,
      args: [input],
      typedSearchAttributes: [
        { key: SA.run, value: run },
        { key: SA.source, value: b.file.slice(0, 200) },
      ],
      memo: { kind: 'eval', bench: b.file, model, train: name, label },
    });
    const p: EvalProgress = await child.result();
    return {
      label,
      run,
      bench: b.file,
      model,
      checkpoint,
      status: 'completed',
      accuracy: p.accuracy,
      items: p.counts.items,
      correct: p.counts.correct,
      errored: p.counts.errored,
      error: null,
    };
  };

  const active: string[] = [];
  const changed = () => opts.onChange(active.length ? active.join(',') : null, results);

  return async (label, checkpoint, stage) => {
    active.push(label);
    changed();
    const model = `${name}/${label}`;
    const failed = (i: number, error: string): EpochEval => ({
      label,
      run: trainEvalRunName(name, label, benches.length > 1 ? benches[i]!.name : undefined),
      bench: benches[i]!.file,
      model,
      checkpoint,
      status: 'failed',
      accuracy: null,
      items: 0,
      correct: 0,
      errored: 0,
      error,
    });
    const readySec = cfg.serve?.ready_timeout_s ?? 1800;
    let lastError = 'not evaluated';
    let out: EpochEval[] | null = null;
    for (let t = 1; t <= (cfg.attempts ?? 3) && !out; t++) {
      const serveId = `${label}#${t}`;
      const serveScope = new CancellationScope();
      const server: { ended: { err: unknown } | null } = { ended: null };
      const serving = serveScope
        .run(() =>
          gpu.serveCheckpoint({
            name,
            label,
            serveId,
            checkpoint,
            modelName: model,
            workflowId: opts.workflowId,
            serve: cfg.serve ?? {},
            minPixels: stage.min_pixels,
            maxPixels: stage.max_pixels,
            maxTokens: cfg.max_tokens,
          }),
        )
        .then(
          () => {
            server.ended = { err: new Error('the checkpoint server stopped') };
          },
          (err: unknown) => {
            server.ended = { err };
          },
        );
      const stopServing = async () => {
        serveScope.cancel();
        await serving;
      };
      await condition(() => served.has(serveId) || server.ended !== null, `${readySec} seconds`);
      const ready = served.get(serveId);
      if (!ready) {
        const final = server.ended !== null && isFinal(server.ended.err);
        lastError = server.ended ? `serve: ${reason(server.ended.err)}` : `serve: no answer within ${readySec} s`;
        await stopServing();
        if (final) break;
        continue;
      }
      const evalScope = new CancellationScope();
      const evals = evalScope.run(() =>
        Promise.allSettled(benches.map((b) => runBench(b, label, ready.url, checkpoint))),
      );
      const first = await Promise.race([evals, serving.then(() => 'server-died' as const)]);
      if (first === 'server-died') {
        lastError = `serve: ${reason(server.ended?.err)}`;
        evalScope.cancel();
        await evals;
        continue;
      }
      await stopServing();
      out = first.map((r, i) => (r.status === 'fulfilled' ? r.value : failed(i, reason(r.reason))));
    }
    out ??= benches.map((_b, i) => failed(i, lastError));
    results.push(...out);
    active.splice(active.indexOf(label), 1);
    changed();
    return out;
  };
}
