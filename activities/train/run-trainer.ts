/**
 * GPU activity (queue r1ov-gpu): run `python -m r1ov_trainer sft|grpo` as a child process in its own process group,
 * turn its JSON-lines progress into heartbeats (and memo updates on the training workflow), resume from the
 * checkpoint in the last heartbeat on retry, kill the group on cancel, and fail non-retryably on bad config/data
 * (the trainer's exit code 2). For GRPO it starts the reward service on loopback for the stage's lifetime.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { writeFileAtomic } from '../../core/blobs.ts';
import { startRewardServer, type RewardServer } from '../../core/rewards/server.ts';
import type { StageConfig, TrainProgress, TrainStageInput, TrainStageResult } from '../../schemas/train.ts';
import { killGroup } from './process-group.ts';

export const trainerDir = fileURLToPath(new URL('../../trainer/', import.meta.url));

/** The trainer's Python: $R1OV_TRAINER_PYTHON, else trainer/.venv (made by `bash trainer/install.sh`). */
export function trainerPython(): string {
  return process.env.R1OV_TRAINER_PYTHON ?? join(trainerDir, '.venv', 'bin', 'python');
}

export const stageOutputDir = (home: string, name: string, stage: string, cfg: StageConfig) =>
  resolve(cfg.output_dir ?? join(home, 'train', name, stage));

type Event = Record<string, unknown> & { event: string };

const checkpointStep = (p: string) => Number(/checkpoint-(\d+)\/?$/.exec(p)?.[1] ?? -1);
const isCheckpoint = (p: string | null | undefined): p is string => !!p && existsSync(join(p, 'trainer_state.json'));

/** The newest complete `checkpoint-N` directory under a trainer's output dir (trainer_state.json is written last). */
export function latestCheckpoint(outputDir: string): string | null {
  if (!existsSync(outputDir)) return null;
  const found = readdirSync(outputDir).filter((d) => /^checkpoint-\d+$/.test(d)).map((d) => join(outputDir, d)).filter(isCheckpoint);
  return newestCheckpoint(found);
}

function newestCheckpoint(candidates: Array<string | null | undefined>): string | null {
  const ok = candidates.filter(isCheckpoint);
  return ok.length ? ok.reduce((a, b) => (checkpointStep(b) > checkpointStep(a) ? b : a)) : null;
}
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `python -m r1ov_trainer STAGE --config F --check`: config and data only; exit 2 → non-retryable. */
async function checkConfig(python: string, trainerArgs: string[]): Promise<void> {
  const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => {
    execFile(python, ['-m', 'r1ov_trainer', ...trainerArgs, '--check'], { cwd: trainerDir, encoding: 'utf8', timeout: 600_000 },
      (err, _stdout, stderr) => res({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, signal: (err?.signal ?? null) as NodeJS.Signals | null, stderr }));
  });
  if (r.status === 2) {
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    throw ApplicationFailure.nonRetryable(last.replace(/^r1ov-trainer: error: /, '') || 'bad trainer config or data', 'TrainerConfigError');
  }
  if (r.status !== 0) throw ApplicationFailure.retryable(`trainer --check exited ${r.status ?? r.signal}: ${r.stderr.slice(-500)}`, 'TrainerFailed');
}

export async function runTrainerStage(home: string, input: TrainStageInput): Promise<TrainStageResult> {
  const ctx = Context.current();
  const { info } = ctx;
  const previous = (info.heartbeatDetails ?? null) as TrainProgress | null;
  const outputDir = stageOutputDir(home, input.name, input.stage, input.config);
  // A retry resumes from the checkpoint the last attempt reported in its heartbeat, or a newer complete one in the
  // stage's output directory (heartbeats are throttled, so the newest checkpoint may not have reached the server).
  const resumeFrom = info.attempt > 1
    ? newestCheckpoint([previous?.checkpoint, latestCheckpoint(outputDir)]) ?? input.resumeFrom ?? null
    : input.resumeFrom ?? null;

  const python = trainerPython();
  if (!existsSync(python)) {
    throw ApplicationFailure.nonRetryable(`trainer not installed: ${python} is missing (run \`bash trainer/install.sh\`, or set R1OV_TRAINER_PYTHON)`, 'TrainerNotInstalled');
  }
  let rewards: RewardServer | null = null;
  const config: StageConfig & { output_dir: string } = { ...input.config, output_dir: outputDir, stage: input.stage, name: input.name };
  if (input.stage === 'grpo' && !config.reward_url) {
    rewards = await startRewardServer({ port: 0, host: '127.0.0.1' });
    config.reward_url = rewards.url;
  }
  mkdirSync(outputDir, { recursive: true });
  const configFile = join(outputDir, `r1ov-${input.stage}${input.stopAfterEpoch ? `-epoch${input.stopAfterEpoch}` : ''}.json`);
  writeFileAtomic(configFile, JSON.stringify(config, null, 2));

  const trainerArgs = [input.stage, '--config', configFile];
  if (resumeFrom) trainerArgs.push('--resume-from', resumeFrom);
  if (input.stopAfterEpoch) trainerArgs.push('--stop-after-epoch', String(input.stopAfterEpoch));
  const nproc = input.config.num_processes ?? 1;
  if (nproc > 1) await checkConfig(python, trainerArgs); // torchrun hides the trainer's exit 2: validate first
  // Several GPUs: torch.distributed.run starts one rank per GPU in the same process group; rank 0 reports progress.
  const args = nproc > 1
    ? ['-m', 'torch.distributed.run', '--standalone', `--nproc_per_node=${nproc}`, '-m', 'r1ov_trainer', ...trainerArgs]
    : ['-m', 'r1ov_trainer', ...trainerArgs];

  const progress: TrainProgress = {
    stage: input.stage, step: previous?.step ?? 0, maxSteps: null, epoch: null, loss: null, reward: null, rewardStd: null,
    lr: null, tokensPerS: null, gpuMemGb: null, checkpoint: resumeFrom, attempt: info.attempt, resumedFrom: resumeFrom,
  };
  let end: Event | null = null;
  const stderrTail: string[] = [];

  const child = spawn(python, args, {
    cwd: trainerDir,
    detached: true, // its own process group: cancel kills the trainer and everything it forked
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', R1OV_TRAINER_PARENT_PID: String(process.pid) },
  });
  const onCancel = () => killGroup(child);
  ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });

  // Memo on the training workflow: the last step/loss/reward, at most every few seconds.
  let lastSignal = 0;
  const notify = async (force = false) => {
    if (!input.workflowId || (!force && Date.now() - lastSignal < 5_000)) return;
    lastSignal = Date.now();
    try {
      await ctx.client.workflow.getHandle(input.workflowId).signal('trainProgress', progress);
    } catch { /* the memo is a view: never fail training for it */ }
  };

  // Model loading can be silent for minutes: beat on a timer too, well inside the heartbeat timeout.
  const beat = setInterval(() => ctx.heartbeat(progress), Math.min(5_000, Math.max(500, (info.heartbeatTimeoutMs ?? 60_000) / 4)));
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
      throw ApplicationFailure.nonRetryable(last.replace(/^r1ov-trainer: error: /, '') || 'bad trainer config or data', 'TrainerConfigError');
    }
    if (code !== 0 || !end) {
      throw ApplicationFailure.retryable(`trainer ${input.stage} exited ${code ?? signal} at step ${progress.step}: ${stderrTail.slice(-3).join(' | ').slice(0, 1500)}`, 'TrainerFailed', progress);
    }
    const e = end as Event;
    progress.step = num(e.step) ?? progress.step;
    progress.epoch = num(e.epoch) ?? progress.epoch;
    progress.checkpoint = typeof e.checkpoint === 'string' ? e.checkpoint : progress.checkpoint;
    await notify(true);
    return { ...progress, outputDir, trainLoss: num(e.train_loss), rewardCalls: num(e.reward_calls) };
  } finally {
    clearInterval(beat);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    killGroup(child, 2_000);
    await rewards?.close();
  }
}
