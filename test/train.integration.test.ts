/**
 * Training on a real Temporal dev server (CPU): a synthetic build is exported in the TRL layout, a tiny randomly
 * initialised Qwen2.5-VL is built from a config (no download), and `r1ov train` runs SFT then GRPO epochs as GPU
 * activities: heartbeats carry step/loss/reward into the workflow's memo, GRPO scores through the reward service,
 * each epoch's checkpoint is served and evaluated on a held-out bench through the evaluate workflow, bad config fails
 * without retries, and a worker SIGKILLed mid-training is replaced by a new one that resumes from the last checkpoint
 * (the step count continues, it does not restart).
 *
 * Needs the trainer's Python environment (`bash trainer/install.sh`); skips, saying so, without it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { trainerPython } from '../activities/train/run-trainer.ts';

const checkpointStep = (p: string) => Number(p.split('-').at(-1));
import { startCluster, eventually, exited, type Cluster } from './support/cluster.ts';
import { makeTrainingData } from './support/training-data.ts';

const python = trainerPython();
const skip = existsSync(python) ? false : `trainer not installed (${python} missing): run \`bash trainer/install.sh\``;

let cluster: Cluster;
let dir: string;
let data: string;
let model: string;
let client: Client;
let connection: Connection;

type TrainOut = {
  status: string;
  workflowId: string;
  result: { sft: Stage | null; grpo: Stage[]; evals: EpochEval[] } | null;
};
type EpochEval = {
  label: string;
  run: string;
  model: string;
  status: string;
  accuracy: number | null;
  items: number;
  checkpoint: string;
};
type Stage = {
  step: number;
  maxSteps: number | null;
  loss: number | null;
  reward: number | null;
  checkpoint: string | null;
  resumedFrom: string | null;
  attempt: number;
  rewardCalls: number | null;
  trainLoss: number | null;
};

const baseConfig = () => ({
  model,
  data,
  per_device_batch_size: 2,
  learning_rate: 0.003,
  warmup_ratio: 0,
  lr_scheduler: 'constant',
  min_pixels: 3136,
  max_pixels: 12544,
  seed: 1,
});
const writeConfig = (name: string, cfg: unknown) => {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(cfg));
  return f;
};
const memoOf = async (workflowId: string) => (await client.workflow.getHandle(workflowId).describe()).memo ?? {};
const sql = async (q: string) => (await cluster.cliJson<{ rows: Array<Record<string, unknown>> }>(['sql', q])).rows;

/** A held-out R1-OneVision-Bench TSV: `n` colour questions with small images. */
async function writeHeldOut(file: string, n: number): Promise<string> {
  const colours = [
    [220, 30, 30],
    [30, 180, 60],
    [40, 70, 220],
  ] as const;
  const lines = [['index', 'image', 'question', 'choices', 'answer', 'level', 'category'].join('\t')];
  for (let i = 0; i < n; i++) {
    const [r, g, b] = colours[i % 3]!;
    const png = await sharp({ create: { width: 28, height: 28, channels: 3, background: { r, g, b } } })
      .png()
      .toBuffer();
    const q = '"What colour is the image?\nOptions:\nA. red\nB. green\nC. blue"';
    lines.push(
      [
        String(100 + i),
        png.toString('base64'),
        q,
        '"[""red"", ""green"", ""blue""]"',
        'ABC'[i % 3]!,
        'High School',
        'Physics',
      ].join('\t'),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('training as GPU activities', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'r1ov-train-'));
    cluster = await startCluster();
    await cluster.startWorker();
    ({ data, model } = await makeTrainingData(cluster, dir, {
      samples: 16,
      parquet: 'learn-trl.parquet',
      model: 'tiny-qwen2_5_vl',
    }));
    connection = await Connection.connect({ address: cluster.server.address });
    client = new Client({ connection });
  });

  after(async () => {
    await connection?.close();
    await cluster?.stop();
  });

  test('SFT runs as an activity: loss falls, checkpoints written, memo shows step and loss', async () => {
    const cfg = writeConfig('sft', { ...baseConfig(), max_steps: 6, save_steps: 3, output_dir: join(dir, 'sft-out') });
    const out = await cluster.cliJson<TrainOut>(['train', 'sft', '--config', cfg, '--name', 'sft1', '--wait']);
    assert.equal(out.status, 'COMPLETED');
    const sft = out.result!.sft!;
    assert.equal(sft.step, 6);
    assert.equal(sft.checkpoint, join(dir, 'sft-out', 'checkpoint-6'));
    assert.ok(existsSync(join(sft.checkpoint!, 'trainer_state.json')));
    const state = JSON.parse(readFileSync(join(sft.checkpoint!, 'trainer_state.json'), 'utf8')) as {
      log_history: Array<{ loss?: number; step: number }>;
    };
    const losses = state.log_history.filter((h) => h.loss !== undefined).map((h) => h.loss!);
    assert.ok(losses.every(Number.isFinite) && losses.at(-1)! < losses[0]!, `loss did not fall: ${losses}`);
    const memo = await memoOf(out.workflowId);
    assert.equal(memo.phase, 'done');
    assert.equal(memo.step, 6);
    assert.equal(typeof memo.loss, 'number');
  });

  test('GRPO: one activity per epoch, rewards from the reward service, each epoch resumes the last', async () => {
    const cfg = writeConfig('grpo', {
      ...baseConfig(),
      max_samples: 4,
      save_steps: 50,
      num_generations: 2,
      max_completion_length: 8,
      beta: 0,
      learning_rate: 0.001,
      output_dir: join(dir, 'grpo-out'),
      reward_weights: { accuracy: 1, format: 0.5 },
    });
    const out = await cluster.cliJson<TrainOut>([
      'train',
      'grpo',
      '--config',
      cfg,
      '--name',
      'grpo1',
      '--epochs',
      '2',
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    const [e1, e2] = out.result!.grpo;
    assert.ok(e1 && e2, JSON.stringify(out.result));
    assert.equal(e1.step, 4); // 4 prompts, one per step (batch 2 = 1 prompt × 2 generations)
    assert.equal(e2.step, 8);
    assert.equal(e2.resumedFrom, e1.checkpoint);
    assert.ok(e1.rewardCalls! >= 2 && e2.rewardCalls! >= 2);
    assert.equal(typeof e2.reward, 'number');
    const memo = await memoOf(out.workflowId);
    assert.equal(memo.grpoEpoch, 2);
    assert.equal(typeof memo.reward, 'number');
  });

  test('each epoch (SFT, GRPO 1 and 2) is served and evaluated on a held-out bench; accuracies in the memo and eval_runs', async () => {
    const heldOut = await writeHeldOut(join(dir, 'held-out.tsv'), 3);
    const cfg = writeConfig('evalpipe', {
      name: 'ev1',
      sft: { ...baseConfig(), max_steps: 2, save_steps: 50, output_dir: join(dir, 'ev-sft') },
      grpo: {
        ...baseConfig(),
        model: 'sft',
        max_samples: 2,
        num_generations: 2,
        max_completion_length: 4,
        beta: 0,
        learning_rate: 0.001,
        save_steps: 50,
        output_dir: join(dir, 'ev-grpo'),
        reward_weights: { accuracy: 1, format: 0.5 },
      },
      // A short serve heartbeat: the cancellation that ends each epoch's server arrives within 0.8 × 5 s.
      eval: {
        benches: [{ file: heldOut }],
        max_tokens: 8,
        batch_size: 2,
        parallel: 2,
        serve: { max_batch_size: 4, heartbeat_timeout_s: 5 },
      },
    });
    const out = await cluster.cliJson<TrainOut>(['train', 'sft', '--config', cfg, '--epochs', '2', '--wait']);
    assert.equal(out.status, 'COMPLETED');
    const res = out.result!;
    assert.equal(res.grpo.length, 2);
    const labels = ['sft', 'grpo-e1', 'grpo-e2'];
    assert.deepEqual(
      res.evals.map((e) => [e.label, e.run, e.model, e.status, e.items]),
      labels.map((l) => [l, `ev1.${l}`, `ev1/${l}`, 'completed', 3]),
    );
    assert.deepEqual(
      res.evals.map((e) => e.checkpoint),
      [res.sft!.checkpoint, res.grpo[0]!.checkpoint, res.grpo[1]!.checkpoint],
    );
    // One eval run per epoch, in the tables `r1ov sql` queries; every item was answered by the served checkpoint.
    const runs = await sql(
      `select run, model, bench, items, status, accuracy from eval_runs where run like 'ev1.%' order by run`,
    );
    assert.deepEqual(
      runs.map((r) => [r.run, r.model, r.bench, Number(r.items), r.status]),
      ['grpo-e1', 'grpo-e2', 'sft'].map((l) => [`ev1.${l}`, `ev1/${l}`, 'r1ov-bench', 3, 'completed']),
    );
    const items =
      await sql(`select run, count(*) as n, count(*) filter (status = 'scored' and response is not null and tokens_out > 0) as answered
      from eval_items where run like 'ev1.%' group by run order by run`);
    assert.deepEqual(
      items.map((r) => [r.run, Number(r.n), Number(r.answered)]),
      ['grpo-e1', 'grpo-e2', 'sft'].map((l) => [`ev1.${l}`, 3, 3]),
    );
    // The Web UI's view: accuracy per epoch beside step/loss/reward.
    const memo = await memoOf(out.workflowId);
    assert.equal(memo.phase, 'done');
    assert.equal(memo.evaluating ?? null, null);
    const acc = memo.evalAccuracy as Record<string, number | null>;
    assert.deepEqual(Object.keys(acc).sort(), [...labels].sort());
    for (const l of labels) assert.equal(acc[l], res.evals.find((e) => e.label === l)!.accuracy);
    assert.ok(
      Object.values(acc).every((a) => typeof a === 'number' && a >= 0 && a <= 1),
      JSON.stringify(acc),
    );
    assert.equal(typeof memo.reward, 'number');
    // The evaluations are child workflows with the usual eval id, and no server outlived its evaluation.
    assert.equal((await client.workflow.getHandle('r1ov-eval/ev1.grpo-e2').describe()).status.name, 'COMPLETED');
    const servers = spawnSync('pgrep', ['-f', `r1ov_trainer serve --checkpoint ${dir}`], {
      encoding: 'utf8',
    }).stdout.trim();
    assert.equal(servers, '', 'a checkpoint server is still running');
  });

  test('bad config or data fails the workflow without retrying the activity', async () => {
    const cfg = writeConfig('bad', { ...baseConfig(), data: join(dir, 'bad.parquet'), max_steps: 2 });
    writeFileSync(join(dir, 'bad.parquet'), 'not parquet');
    const t0 = Date.now();
    const r = await cluster.cli(['train', 'sft', '--config', cfg, '--name', 'bad1', '--wait', '--json']);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).status, 'FAILED');
    assert.ok(Date.now() - t0 < 120_000);
    const history = await client.workflow.getHandle('r1ov-train/bad1').fetchHistory();
    const failed = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
    assert.equal(failed.length, 1);
    const msg = JSON.stringify(failed[0]!.activityTaskFailedEventAttributes!.failure);
    assert.match(msg, /cannot read .*bad\.parquet as Parquet/);
    assert.match(msg, /TrainerConfigError/);
    // Usage errors the CLI can see itself are exit 2 with one line, before anything starts.
    const usage = await cluster.cli([
      'train',
      'sft',
      '--config',
      writeConfig('typo', { ...baseConfig(), learning_rat: 1 }),
    ]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr.trim(), /^r1ov: train: .*learning_rat/);
  });

  test('SIGKILL of the worker mid-training: a new worker resumes from the last checkpoint', async () => {
    const cfg = writeConfig('long', {
      ...baseConfig(),
      max_steps: 20,
      save_steps: 2,
      output_dir: join(dir, 'long-out'),
    });
    const start = await cluster.cliJson<TrainOut>([
      'train',
      'sft',
      '--config',
      cfg,
      '--name',
      'long1',
      '--heartbeat-timeout',
      '10',
    ]);
    const worker = cluster.workers[0]!;
    // Wait until the activity has reported a checkpoint (the memo shows what its heartbeat carries), then kill.
    const killedAt = await eventually(
      'a checkpoint in the memo',
      async () => {
        const m = await memoOf(start.workflowId);
        return typeof m.checkpoint === 'string' && (m.step as number) >= 2 && (m.step as number) < 16
          ? { step: m.step as number, checkpoint: m.checkpoint }
          : undefined;
      },
      300_000,
      250,
    );
    worker.kill('SIGKILL');
    await exited(worker);
    // The trainer died with its worker (no orphan keeps writing checkpoints).
    await eventually(
      'the orphaned trainer to exit',
      () => {
        const ps = spawnSync('pgrep', ['-f', `r1ov_trainer sft --config ${join(dir, 'long-out')}`], {
          encoding: 'utf8',
        });
        return ps.stdout.trim() === '' ? true : undefined;
      },
      30_000,
    );
    await cluster.startWorker();
    const res = (await client.workflow.getHandle(start.workflowId).result()) as TrainOut['result'];
    const sft = res!.sft!;
    assert.equal(sft.step, 20);
    assert.ok(sft.attempt >= 2, `attempt ${sft.attempt}`);
    assert.ok(sft.resumedFrom, 'the retry did not resume');
    const resumedStep = Number(sft.resumedFrom!.split('-').at(-1));
    assert.ok(
      resumedStep >= checkpointStep(killedAt.checkpoint!),
      `resumed from ${sft.resumedFrom}; the heartbeat had ${killedAt.checkpoint}`,
    );
    // The step count continued: the final checkpoint's history has each step once, and the retry began past step 1.
    const state = JSON.parse(readFileSync(join(sft.checkpoint!, 'trainer_state.json'), 'utf8')) as {
      log_history: Array<{ loss?: number; step: number }>;
    };
    const steps = state.log_history.filter((h) => h.loss !== undefined).map((h) => h.step);
    assert.deepEqual(
      steps,
      [...new Set(steps)].sort((a, b) => a - b),
    );
    assert.equal(steps.at(-1), 20);
  });

  test('cancelling the workflow kills the trainer process group', async () => {
    const cfg = writeConfig('cancel', {
      ...baseConfig(),
      max_steps: 200,
      save_steps: 100,
      output_dir: join(dir, 'cancel-out'),
    });
    const start = await cluster.cliJson<TrainOut>([
      'train',
      'sft',
      '--config',
      cfg,
      '--name',
      'cancel1',
      '--heartbeat-timeout',
      '10',
    ]);
    const pattern = `r1ov_trainer sft --config ${join(dir, 'cancel-out')}`;
    const running = () => spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim() !== '';
    await eventually(
      'the trainer to log a step',
      async () => {
        const m = await memoOf(start.workflowId);
        return typeof m.step === 'number' && m.step >= 1 && running() ? true : undefined;
      },
      300_000,
      250,
    );
    const handle = client.workflow.getHandle(start.workflowId);
    await handle.cancel();
    await eventually('the trainer to exit', () => (running() ? undefined : true), 60_000);
    await eventually(
      'the workflow to close',
      async () => ((await handle.describe()).status.name === 'CANCELLED' ? true : undefined),
      60_000,
    );
  });
});
