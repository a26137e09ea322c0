// `r1ov train sft|grpo --config FILE [--name NAME] [--wait]` (docs/ARCHITECTURE.md, the command line contract): start a TrainModel workflow.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { RUN_NAME_RE } from '../core/home.ts';
import { connectClient, workflowUrl } from '../core/temporal.ts';
import { loadBench } from '../activities/eval/loaders.ts';
import type { BenchKind } from '../schemas/eval.ts';
import { CPU_QUEUE, GPU_QUEUE, epochLabel, trainEvalRunName } from '../schemas/queues.ts';
import {
  StageConfigSchema,
  TrainFileSchema,
  completionLengthIssue,
  grpoIssues,
  TrainModelInputSchema,
  TrainPipelineSchema,
  trainWorkflowId,
  type EpochEval,
  type StageConfig,
  type TrainEval,
  type TrainEvalBench,
  type TrainModelInput,
} from '../schemas/train.ts';
import type { TrainStatus, trainModel } from '../workflows/train-model.ts';
import { emit, globals, log, positiveInt } from './context.ts';
import { neededQueues, watchQueues } from './watch.ts';

export const TrainOutput = z.object({
  name: z.string(),
  workflowId: z.string(),
  started: z.boolean(),
  uiUrl: z.string().nullable(),
  status: z.string(),
  result: z.unknown().nullable(),
});

function readConfigFile(file: string): unknown {
  if (!existsSync(file)) throw new UsageError(`train: no such config file: ${file}`);
  const text = readFileSync(file, 'utf8');
  try {
    return ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `train: ${file}: not valid ${extname(file).match(/ya?ml/i) ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

/** Paths in a config are relative to the config file (the worker runs elsewhere); hub ids stay as they are. */
function resolvePaths(cfg: StageConfig, base: string): StageConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const out: StageConfig = { ...cfg, data: abs(cfg.data) };
  if (cfg.output_dir) out.output_dir = abs(cfg.output_dir);
  if (cfg.deepspeed) out.deepspeed = abs(cfg.deepspeed);
  if (cfg.model !== 'sft' && (cfg.model.startsWith('.') || existsSync(resolve(base, cfg.model))))
    out.model = abs(cfg.model);
  if (!existsSync(out.data))
    throw new UsageError(
      `train: data: no such file: ${out.data} (write one with \`r1ov export RUN --format trl --out FILE\`)`,
    );
  return out;
}

/** Validate a config file for `r1ov train <stage>` and turn it into the workflow's input. */
export function prepareTrain(
  stage: 'sft' | 'grpo',
  file: string,
  name?: string,
  grpoEpochs?: number,
  heartbeatTimeoutSec?: number,
): TrainModelInput {
  const raw = readConfigFile(file);
  const parsed = TrainFileSchema.safeParse(raw);
  if (!parsed.success) {
    // Report against the single-stage shape unless the file is a pipeline: that is the message a user can act on.
    const isPipeline = typeof raw === 'object' && raw !== null && ('sft' in raw || 'grpo' in raw);
    const err = (isPipeline ? TrainPipelineSchema : StageConfigSchema).safeParse(raw).error ?? parsed.error;
    const issue = err.issues[0]!;
    throw new UsageError(`train: ${file}: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const base = dirname(resolve(file));
  const cfg = parsed.data;
  const pipeline =
    'sft' in cfg || 'grpo' in cfg
      ? (cfg as { name?: string; sft?: StageConfig; grpo?: StageConfig; eval?: TrainEval })
      : null;
  const runName =
    name ?? pipeline?.name ?? (pipeline ? undefined : (cfg as StageConfig).name) ?? basename(file, extname(file));
  if (!RUN_NAME_RE.test(runName))
    throw new UsageError(`train: name ${JSON.stringify(runName)}: use letters, digits, '.', '_' or '-'`);
  let sft: StageConfig | undefined;
  let grpo: StageConfig | undefined;
  if (pipeline) {
    if (stage === 'sft') {
      if (!pipeline.sft) throw new UsageError(`train sft: ${file} has no sft section`);
      sft = pipeline.sft;
      grpo = pipeline.grpo;
    } else {
      if (!pipeline.grpo) throw new UsageError(`train grpo: ${file} has no grpo section`);
      grpo = pipeline.grpo;
      if (grpo.model === 'sft')
        throw new UsageError('train grpo: grpo.model "sft" needs `r1ov train sft` (which runs SFT, then GRPO)');
    }
  } else if (stage === 'sft') sft = cfg as StageConfig;
  else grpo = cfg as StageConfig;
  for (const [s, c] of [
    ['sft', sft],
    ['grpo', grpo],
  ] as const) {
    if (c?.stage && c.stage !== s) throw new UsageError(`train: the ${s} config says stage ${JSON.stringify(c.stage)}`);
  }
  if (grpo && grpo.model === 'sft' && !sft) throw new UsageError('train: grpo.model "sft" needs an sft stage');
  const grpoIssue = grpo && grpoIssues(grpo)[0];
  if (grpoIssue)
    throw new UsageError(`train: ${file}: ${pipeline ? 'grpo.' : ''}${grpoIssue.path}: ${grpoIssue.message}`);
  const lengthIssue = sft && grpo && completionLengthIssue(sft, grpo);
  if (lengthIssue) throw new UsageError(`train: ${file}: grpo.max_completion_length: ${lengthIssue}`);
  const evalCfg = pipeline?.eval && {
    ...pipeline.eval,
    benches: pipeline.eval.benches.map((b) => ({ ...b, file: isAbsolute(b.file) ? b.file : resolve(base, b.file) })),
  };
  return TrainModelInputSchema.parse({
    name: runName,
    sft: sft && resolvePaths(sft, base),
    grpo: grpo && resolvePaths(grpo, base),
    grpoEpochs,
    heartbeatTimeoutSec,
    eval: evalCfg,
  });
}

/**
 * The eval section, ready for the workflow: each bench file loaded once (missing or unreadable → usage error) and
 * its kind detected when not given; with several benches each gets a name (the suffix of its eval runs).
 */
export async function resolveTrainEval(input: TrainModelInput): Promise<TrainModelInput> {
  if (!input.eval) return input;
  const benches: Array<TrainEvalBench & { kind: BenchKind }> = [];
  for (const b of input.eval.benches) {
    const loaded = await loadBench(b.file, b.kind).catch((e: unknown) => {
      throw e instanceof UsageError ? new UsageError(`train: eval.benches: ${e.message.replace(/^--bench /, '')}`) : e;
    });
    if (loaded.items.length === 0) throw new UsageError(`train: eval.benches: ${b.file} has no usable rows`);
    benches.push({ ...b, kind: loaded.kind });
  }
  if (benches.length > 1) {
    const repeated = (k: string) => benches.filter((b) => b.kind === k).length > 1;
    benches.forEach((b, i) => {
      b.name ??= repeated(b.kind) ? `bench${i + 1}` : b.kind;
    });
    if (new Set(benches.map((b) => b.name)).size !== benches.length)
      throw new UsageError('train: eval.benches: bench names repeat');
  }
  // The longest eval run name must be a valid run name.
  const epochs = input.grpo ? (input.grpoEpochs ?? Math.max(1, Math.ceil(input.grpo.epochs ?? 1))) : 0;
  const labels = [...(input.sft ? [epochLabel('sft')] : []), ...(epochs ? [epochLabel('grpo', epochs)] : [])];
  for (const label of labels) {
    for (const b of benches) {
      const run = trainEvalRunName(input.name, label, benches.length > 1 ? b.name : undefined);
      if (!RUN_NAME_RE.test(run))
        throw new UsageError(
          `train: eval run name ${JSON.stringify(run)} is too long or invalid: shorten the training name`,
        );
    }
  }
  return TrainModelInputSchema.parse({ ...input, eval: { ...input.eval, benches } });
}

const evalLine = (e: EpochEval) =>
  `eval ${e.label}${e.run.endsWith(e.label) ? '' : ` (${e.run})`}: ${
    e.status === 'completed'
      ? `accuracy ${e.accuracy === null ? '–' : `${(100 * e.accuracy).toFixed(1)}%`} (${e.correct}/${e.items}, errored ${e.errored})`
      : `failed: ${e.error}`
  }`;

async function waitForTraining(handle: WorkflowHandle, quiet: boolean): Promise<{ status: string; result: unknown }> {
  let closed = false;
  const done = handle
    .result()
    .then(
      (r) => r,
      () => null,
    )
    .finally(() => (closed = true));
  let lastKey = '';
  let evalsShown = 0;
  while (!closed) {
    try {
      const s = (await handle.query('progress')) as TrainStatus;
      if (!quiet) for (const e of (s.evals ?? []).slice(evalsShown)) log(evalLine(e));
      evalsShown = s.evals?.length ?? 0;
      const l = s.last;
      const key = JSON.stringify([s.phase, l?.step]);
      if (!quiet && l && key !== lastKey) {
        lastKey = key;
        log(
          `${s.phase}${s.grpoEpoch ? ` epoch ${s.grpoEpoch}` : ''}: step ${l.step}${l.maxSteps ? `/${l.maxSteps}` : ''}` +
            `${l.loss !== null ? ` loss ${l.loss.toFixed(4)}` : ''}${l.reward !== null ? ` reward ${l.reward.toFixed(3)}` : ''}` +
            `${l.checkpoint ? ` (checkpoint ${l.checkpoint})` : ''}`,
        );
      }
    } catch {
      /* no worker yet */
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 2_000))]); // display cadence only
  }
  const desc = await handle.describe();
  return { status: desc.status.name, result: desc.status.name === 'COMPLETED' ? await done : null };
}

export function registerTrainCommands(program: Command): void {
  const train = program
    .command('train')
    .description('train a model on an export (TRL SFT / GRPO for Qwen2.5-VL on the r1ov-gpu queue)');
  for (const stage of ['sft', 'grpo'] as const) {
    train
      .command(stage)
      .description(
        stage === 'sft'
          ? 'supervised fine-tuning (then GRPO if the config has a grpo section)'
          : 'GRPO, one activity per epoch',
      )
      .requiredOption('--config <file>', 'trainer config (JSON or YAML; see trainer/examples/)')
      .option(
        '--name <name>',
        "training run name (workflow id r1ov-train/<name>; default: the config's name or file name)",
      )
      .option('--epochs <n>', 'GRPO epochs (one activity each)', positiveInt('--epochs'))
      .option(
        '--heartbeat-timeout <sec>',
        'retry a silent trainer elsewhere after this long (default 120)',
        positiveInt('--heartbeat-timeout'),
      )
      .option('--wait', 'wait for training to finish, printing progress')
      .action(
        async (
          o: { config: string; name?: string; epochs?: number; heartbeatTimeout?: number; wait?: boolean },
          cmd: Command,
        ) => {
          const { home, json } = globals(cmd);
          const input = await resolveTrainEval(prepareTrain(stage, o.config, o.name, o.epochs, o.heartbeatTimeout));
          const { client, target, close } = await connectClient(home);
          const stopWatching = new AbortController();
          try {
            const workflowId = trainWorkflowId(input.name);
            let started = true;
            let handle: WorkflowHandle<typeof trainModel>;
            try {
              handle = await client.workflow.start<typeof trainModel>('trainModel', {
                workflowId,
                taskQueue: CPU_QUEUE,
                args: [input],
                memo: { kind: 'train', phase: input.sft ? 'sft' : 'grpo' },
              });
            } catch (e) {
              if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
              handle = client.workflow.getHandle<typeof trainModel>(workflowId);
              started = false;
            }
            const uiUrl = workflowUrl(target, workflowId);
            if (!json) log(`${started ? 'started' : 'attached to'} ${workflowId}${uiUrl ? ` — ${uiUrl}` : ''}`);
            // No silent waits: say whether the CPU and GPU queues training needs have workers (cli/watch.ts).
            if ((await handle.describe()).status.name === 'RUNNING')
              await watchQueues(
                client,
                target,
                neededQueues([], [{ name: GPU_QUEUE, type: 'activity' }]),
                log,
                stopWatching.signal,
              );
            let status = 'RUNNING';
            let result: unknown = null;
            if (o.wait) ({ status, result } = await waitForTraining(handle, json));
            stopWatching.abort();
            emit(
              json,
              TrainOutput,
              { name: input.name, workflowId, started, uiUrl, status, result },
              () => `training ${input.name}: ${status}${result ? `\n${JSON.stringify(result, null, 2)}` : ''}`,
            );
            if (o.wait && status !== 'COMPLETED') process.exitCode = 1;
          } finally {
            stopWatching.abort();
            await close();
          }
        },
      );
  }
}
