/**
 * GPU activity (queue r1ov-gpu): run `python -m r1ov_trainer sft|grpo` as a child process in its own process group,
 * turn its JSON-lines progress into heartbeats (and memo updates on the training workflow), resume from the
 * checkpoint in the last heartbeat on retry, kill the group on cancel, and fail non-retryably on bad config/data
 * (the trainer's exit code 2). For GRPO it starts the reward service on loopback for the stage's lifetime, and
 * with `rollout: { engine: vllm, mode: server }` the policy's vLLM server (launch-plan.ts). Multi-node: one such
 * activity per node, each launching torch.distributed.run with the run's rendezvous. With an S3 store, every
 * checkpoint is uploaded as it is written and a retry on any host downloads the newest one (checkpoint-store.ts).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { writeFileAtomic } from '../../core/blobs.ts';
import { heartbeatWhile } from '../heartbeat.ts';
import { trainerDir, trainerPython } from '../../core/trainer.ts';
import { startRewardServer, type RewardServer } from '../../core/rewards/server.ts';
import { storeFor, type ObjectStore } from '../../core/storage/index.ts';
import type { StageConfig, TrainProgress, TrainStageInput, TrainStageResult } from '../../schemas/train.ts';
import {
  downloadCheckpoint,
  pruneStoredCheckpoints,
  storedCheckpointSteps,
  uploadCheckpoint,
} from './checkpoint-store.ts';
import { LaunchPlanError, planLaunch, visibleGpus } from './launch-plan.ts';
import { killGroup } from './process-group.ts';
import { freeLocalPort, startVllmServer, VllmStartError, type RunningVllm } from './vllm-server.ts';

export { trainerDir, trainerPython };

export const stageOutputDir = (home: string, name: string, stage: string, cfg: StageConfig) =>
  resolve(cfg.output_dir ?? join(home, 'train', name, stage));

type Event = Record<string, unknown> & { event: string };

export const checkpointStep = (p: string) => Number(/checkpoint-(\d+)\/?$/.exec(p)?.[1] ?? -1);
const isCheckpoint = (p: string | null | undefined): p is string => !!p && existsSync(join(p, 'trainer_state.json'));

/** The newest complete `checkpoint-N` directory under a trainer's output dir (trainer_state.json is written last). */
export function latestCheckpoint(outputDir: string): string | null {
  if (!existsSync(outputDir)) return null;
  const found = readdirSync(outputDir)
    .filter((d) => /^checkpoint-\d+$/.test(d))
    .map((d) => join(outputDir, d))
    .filter(isCheckpoint);
  return newestCheckpoint(found);
}

function newestCheckpoint(candidates: Array<string | null | undefined>): string | null {
  const ok = candidates.filter(isCheckpoint);
  return ok.length ? ok.reduce((a, b) => (checkpointStep(b) > checkpointStep(a) ? b : a)) : null;
}
/** GPUs on this machine, for placing a vLLM server (nvidia-smi; 0 when there is none). */
function gpuCount(): number {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 30_000,
    })
      .trim()
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `python -m r1ov_trainer ARGS`, briefly (config check, adapter merge): exit 2 → non-retryable. */
async function runTrainerTool(python: string, args: string[]): Promise<string> {
  const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (res) => {
      execFile(
        python,
        ['-m', 'r1ov_trainer', ...args],
        { cwd: trainerDir, encoding: 'utf8', timeout: 3_600_000, maxBuffer: 16 * 2 ** 20 },
        (err, stdout, stderr) =>
          res({
            status: err ? (typeof err.code === 'number' ? err.code : null) : 0,
            signal: (err?.signal ?? null) as NodeJS.Signals | null,
            stdout,
            stderr,
          }),
      );
    },
  );
  if (r.status === 2) {
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    throw ApplicationFailure.nonRetryable(
      last.replace(/^r1ov-trainer: error: /, '') || 'bad trainer config or data',
      'TrainerConfigError',
    );
  }
  if (r.status !== 0)
    throw ApplicationFailure.retryable(
      `trainer ${args[0]} exited ${r.status ?? r.signal}: ${r.stderr.slice(-500)}`,
      'TrainerFailed',
    );
  return r.stdout;
}

/** Nodes of a multi-node stage running in this worker: two on one machine would share its GPUs. */
const nodesHere = new Set<string>();

/**
 * Bring `path` (a checkpoint another host wrote, named by the workflow) onto this host from the store; the local
 * copy lands in `outputDir`. Null when it is neither here nor in the store.
 */
export async function fetchCheckpoint(
  store: ObjectStore,
  name: string,
  stage: string,
  path: string,
  outputDir: string,
  nodes: number,
): Promise<string | null> {
  if (isCheckpoint(path)) return path;
  const step = checkpointStep(path);
  if (store.kind !== 's3' || step < 0) return null;
  if (!(await storedCheckpointSteps(store, name, stage, nodes)).includes(step)) return null;
  return downloadCheckpoint(store, name, stage, step, outputDir, nodes);
}

export async function runTrainerStage(home: string, input: TrainStageInput): Promise<TrainStageResult> {
  const ctx = Context.current();
  const { info } = ctx;
  const previous = (info.heartbeatDetails ?? null) as TrainProgress | null;
  const outputDir = stageOutputDir(home, input.name, input.stage, input.config);
  const store = storeFor(home);
  const nodes = input.config.nodes ?? 1;
  const envRank = process.env.R1OV_NODE_RANK;
  const nodeRank = input.config.node_rank ?? input.nodeRank ?? (envRank && /^\d+$/.test(envRank) ? Number(envRank) : 0);
  const busyKey = `${input.name}/${input.stage}`;
  // Downloads and merges before the trainer starts can outlast the heartbeat timeout: beat through them too, keeping
  // the last attempt's details so a retry still finds its checkpoint.
  const beatEvery = Math.min(5_000, Math.max(500, (info.heartbeatTimeoutMs ?? 60_000) / 4));
  const beating = <T>(work: Promise<T>): Promise<T> => heartbeatWhile(work, { everyMs: beatEvery, details: previous });
  if (nodes > 1 && nodesHere.has(busyKey)) {
    throw ApplicationFailure.retryable(
      `another node of ${busyKey} runs on this worker: each node needs its own machine`,
      'NodeBusy',
    );
  }
  // Checkpoints named by the workflow (the previous epoch's, the SFT model) may have been written on another host.
  let inputResume = input.resumeFrom ?? null;
  if (inputResume) {
    inputResume = await beating(fetchCheckpoint(store, input.name, input.stage, inputResume, outputDir, nodes));
    if (!inputResume)
      throw ApplicationFailure.retryable(
        `checkpoint ${input.resumeFrom} is not on this worker nor in ${store.location}`,
        'CheckpointMissing',
      );
  }
  const modelFrom = input.modelFrom;
  if (modelFrom && !existsSync(input.config.model)) {
    const local = await beating(
      fetchCheckpoint(
        store,
        input.name,
        modelFrom.stage,
        input.config.model,
        join(home, 'train', input.name, modelFrom.stage),
        modelFrom.nodes,
      ),
    );
    if (!local)
      throw ApplicationFailure.retryable(
        `model ${input.config.model} is not on this worker nor in ${store.location}`,
        'CheckpointMissing',
      );
    input = { ...input, config: { ...input.config, model: local } };
  }
  // A retry resumes from the newest checkpoint it can find: the one the last attempt reported in its heartbeat, a
  // newer complete one in the stage's output directory (heartbeats are throttled), or, with an S3 store, the newest
  // one any host uploaded (downloaded here first).
  let resumeFrom = inputResume;
  if (info.attempt > 1) {
    // The heartbeat's path counts only inside this worker's output directory: another host's path may exist here by
    // coincidence (or be a stale copy), and with an S3 store the bucket is the shared truth.
    const mine =
      previous?.checkpoint && resolve(previous.checkpoint).startsWith(`${outputDir}/`) ? previous.checkpoint : null;
    const local = newestCheckpoint([mine, latestCheckpoint(outputDir)]);
    const stored =
      store.kind === 's3'
        ? ((await beating(storedCheckpointSteps(store, input.name, input.stage, nodes)))[0] ?? -1)
        : -1;
    const best = Math.max(local ? checkpointStep(local) : -1, stored, inputResume ? checkpointStep(inputResume) : -1);
    resumeFrom =
      best < 0
        ? null
        : local && checkpointStep(local) === best
          ? local
          : inputResume && checkpointStep(inputResume) === best
            ? inputResume
            : await beating(downloadCheckpoint(store, input.name, input.stage, best, outputDir, nodes));
  }

  const python = trainerPython();
  if (!existsSync(python)) {
    throw ApplicationFailure.nonRetryable(
      `trainer not installed: ${python} is missing (run \`bash trainer/install.sh\`, or set R1OV_TRAINER_PYTHON)`,
      'TrainerNotInstalled',
    );
  }
  let rewards: RewardServer | null = null;
  const config: StageConfig & { output_dir: string } = {
    ...input.config,
    output_dir: outputDir,
    stage: input.stage,
    name: input.name,
  };
  if (input.stage === 'grpo' && !config.reward_url) {
    rewards = await startRewardServer({ port: 0, host: '127.0.0.1' });
    config.reward_url = rewards.url;
  }
  mkdirSync(outputDir, { recursive: true });
  const configFile = join(
    outputDir,
    `r1ov-${input.stage}${input.stopAfterEpoch ? `-epoch${input.stopAfterEpoch}` : ''}.json`,
  );
  writeFileAtomic(configFile, JSON.stringify(config, null, 2));

  const trainerArgs = [input.stage, '--config', configFile];
  if (resumeFrom) trainerArgs.push('--resume-from', resumeFrom);
  if (input.stopAfterEpoch) trainerArgs.push('--stop-after-epoch', String(input.stopAfterEpoch));
  const serverMode =
    input.stage === 'grpo' &&
    config.rollout?.engine === 'vllm' &&
    config.rollout.mode === 'server' &&
    !config.rollout.server_url;
  if (serverMode && existsSync(join(config.model, 'adapter_config.json'))) {
    // vLLM serves full models: a LoRA SFT checkpoint is merged first (the trainer then finds the merge done).
    const merged = join(
      outputDir,
      `merged-${config.model
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .at(-1)}`,
    );
    await beating(runTrainerTool(python, ['merge-adapter', '--adapter', config.model, '--out', merged]));
    config.model = merged;
    writeFileAtomic(configFile, JSON.stringify(config, null, 2));
  }
  let plan;
  try {
    plan = planLaunch({
      python,
      trainerArgs,
      stage: input.stage,
      config,
      nodeRank,
      rdzvId: `${input.name}-${input.stage}${input.stopAfterEpoch ? `-e${input.stopAfterEpoch}` : ''}`,
      vllmPort: serverMode ? config.rollout?.server_port || (await freeLocalPort()) : 0,
      gpus: visibleGpus(process.env, Number(process.env.R1OV_GPUS ?? 0) || (serverMode ? gpuCount() : 0)),
    });
  } catch (err) {
    if (err instanceof LaunchPlanError) throw ApplicationFailure.nonRetryable(err.message, 'TrainerConfigError');
    throw err;
  }
  if (plan.checkFirst) await beating(runTrainerTool(python, [...trainerArgs, '--check'])); // torchrun hides the trainer's exit 2
  if (nodes > 1) nodesHere.add(busyKey);
  let vllm: RunningVllm | null = null;
  if (plan.vllm) {
    try {
      vllm = await startVllmServer(plan.vllm, {
        cwd: trainerDir,
        timeoutMs: (config.rollout?.server_timeout_s ?? 240) * 1000 * 5,
        signal: ctx.cancellationSignal,
      });
    } catch (err) {
      nodesHere.delete(busyKey);
      if (err instanceof VllmStartError) throw ApplicationFailure.retryable(err.message, 'VllmServerFailed');
      throw err;
    }
  }
  const args = plan.trainer.args;

  const progress: TrainProgress = {
    stage: input.stage,
    step: previous?.step ?? 0,
    maxSteps: null,
    epoch: null,
    loss: null,
    reward: null,
    rewardStd: null,
    lr: null,
    tokensPerS: null,
    gpuMemGb: null,
    checkpoint: resumeFrom,
    attempt: info.attempt,
    resumedFrom: resumeFrom,
  };
  let end: Event | null = null;
  const stderrTail: string[] = [];

  const child = spawn(python, args, {
    cwd: trainerDir,
    detached: true, // its own process group: cancel kills the trainer and everything it forked
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...plan.trainer.env, PYTHONUNBUFFERED: '1', R1OV_TRAINER_PARENT_PID: String(process.pid) },
  });
  // Each checkpoint goes to the object store as soon as it is written, one at a time, while training goes on.
  let uploads: Promise<void> = Promise.resolve();
  let uploadError: unknown = null;
  const keep = Math.max(2, config.save_total_limit ?? 3);
  const upload = (dir: string) => {
    if (store.kind !== 's3') return;
    uploads = uploads.then(async () => {
      try {
        await uploadCheckpoint(store, input.name, input.stage, nodeRank, dir);
        await pruneStoredCheckpoints(store, input.name, input.stage, nodeRank, keep);
      } catch (err) {
        // The trainer rotates old checkpoints (save_total_limit): a newer one is on its way. Anything else fails the try.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') uploadError ??= err;
      }
    });
  };
  const onCancel = () => killGroup(child);
  ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });

  // Memo on the training workflow: the last step/loss/reward, at most every few seconds.
  let lastSignal = 0;
  const notify = async (force = false) => {
    if (!input.workflowId || (!force && Date.now() - lastSignal < 5_000)) return;
    lastSignal = Date.now();
    try {
      await ctx.client.workflow.getHandle(input.workflowId).signal('trainProgress', progress);
    } catch {
      /* the memo is a view: never fail training for it */
    }
  };

  // Model loading can be silent for minutes: beat on a timer too, well inside the heartbeat timeout.
  const beat = setInterval(() => ctx.heartbeat(progress), beatEvery);
  try {
    const lines = createInterface({ input: child.stdout! });
    const stderrLines = createInterface({ input: child.stderr! });
    stderrLines.on('line', (l) => {
      if (!l.trim()) return;
      stderrTail.push(l);
      if (stderrTail.length > 40) stderrTail.shift();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
      child.once('error', rej);
      child.once('close', (code, signal) => res({ code, signal }));
    });
    for await (const line of lines) {
      let ev: Event;
      try {
        ev = JSON.parse(line) as Event;
      } catch {
        continue; // not a progress line
      }
      if (ev.event === 'log') {
        progress.step = num(ev.step) ?? progress.step;
        progress.maxSteps = num(ev.max_steps) ?? progress.maxSteps;
        progress.epoch = num(ev.epoch) ?? progress.epoch;
        progress.loss = num(ev.loss) ?? progress.loss;
        progress.reward = num(ev.reward) ?? progress.reward;
        progress.rewardStd = num(ev.reward_std) ?? progress.rewardStd;
        progress.lr = num(ev.lr) ?? progress.lr;
        progress.tokensPerS = num(ev.tokens_per_s) ?? progress.tokensPerS;
        progress.gpuMemGb = num(ev.gpu_mem_gb) ?? progress.gpuMemGb;
      } else if (ev.event === 'checkpoint' && typeof ev.checkpoint === 'string') {
        progress.checkpoint = ev.checkpoint;
        progress.step = num(ev.step) ?? progress.step;
        upload(ev.checkpoint);
      } else if (ev.event === 'start') {
        progress.step = num(ev.step) ?? progress.step;
        progress.maxSteps = num(ev.max_steps);
      } else if (ev.event === 'end') {
        end = ev;
      }
      ctx.heartbeat(progress);
      void notify(ev.event === 'checkpoint' || ev.event === 'end');
    }
    const { code, signal } = await exited;
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled');
    const last = stderrTail.at(-1) ?? '';
    if (code === 2) {
      throw ApplicationFailure.nonRetryable(
        last.replace(/^r1ov-trainer: error: /, '') || 'bad trainer config or data',
        'TrainerConfigError',
      );
    }
    if (code !== 0 || !end) {
      throw ApplicationFailure.retryable(
        `trainer ${input.stage} exited ${code ?? signal} at step ${progress.step}: ${stderrTail.slice(-3).join(' | ').slice(0, 1500)}`,
        'TrainerFailed',
        progress,
      );
    }
    const e = end as Event;
    progress.step = num(e.step) ?? progress.step;
    progress.epoch = num(e.epoch) ?? progress.epoch;
    progress.checkpoint = typeof e.checkpoint === 'string' ? e.checkpoint : progress.checkpoint;
    // Done only once the final checkpoint is in the store: the next stage may start on another host.
    await uploads;
    if (uploadError)
      throw ApplicationFailure.retryable(
        `checkpoint upload to ${store.location} failed: ${(uploadError as Error).message}`,
        'CheckpointUploadFailed',
        progress,
      );
    await notify(true);
    return { ...progress, outputDir, trainLoss: num(e.train_loss), rewardCalls: num(e.reward_calls) };
  } finally {
    clearInterval(beat);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    killGroup(child, 2_000);
    vllm?.stop();
    nodesHere.delete(busyKey);
    await uploads;
    await rewards?.close();
  }
}
