/**
 * Training whose checkpoints live in the object store (activities/train/checkpoint-store.ts), on a real Temporal dev
 * server and the local S3-compatible server: the GPU worker on one host (its own home) is SIGKILLed once its first
 * checkpoint is committed to the bucket; a worker with a different, empty home takes the retried activity, downloads
 * that checkpoint and finishes from it (the step count continues), and the final checkpoint is in the bucket too.
 *
 * Needs the trainer's Python environment (`bash trainer/install.sh`); skips, saying so, without it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { trainerPython } from '../activities/train/run-trainer.ts';
import { startCluster, eventually, exited, type Cluster } from './support/cluster.ts';
import { makeTrainingData } from './support/training-data.ts';
import { startS3Server, type S3Server } from './support/s3-server.ts';

const python = trainerPython();
const skip = existsSync(python) ? false : `trainer not installed (${python} missing): run \`bash trainer/install.sh\``;
const BUCKET = 'r1ov-train';
const PREFIX = 'ckpt/';

let cluster: Cluster;
let s3: S3Server;
let dir: string;
let data: string;
let model: string;
let client: Client;
let connection: Connection;

const committedSteps = async (name: string): Promise<number[]> => {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}train/${name}/sft/` }));
  return (r.Contents ?? [])
    .map((o) => /node0\/checkpoint-(\d+)\/r1ov-checkpoint\.json$/.exec(o.Key!)?.[1])
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
};

describe('training checkpoints in the object store', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'r1ov-train-s3-'));
    [cluster, s3] = await Promise.all([startCluster(), startS3Server()]);
    // The training data: a small synthetic build exported in the TRL layout (local store), and a tiny model.
    const local = await cluster.startWorker();
    ({ data, model } = await makeTrainingData(cluster, dir, {
      samples: 8,
      parquet: 'learn-trl.parquet',
      model: 'tiny',
    }));
    local.kill('SIGKILL');
    await exited(local);
    connection = await Connection.connect({ address: cluster.server.address });
    client = new Client({ connection });
  });

  after(async () => {
    await connection?.close();
    await cluster?.stop();
    await s3?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'killed after its first checkpoint upload, the run resumes on a worker with another home and finishes',
    { timeout: 10 * 60_000 },
    async () => {
      const storeEnv = { ...(await s3.env(BUCKET, PREFIX)), TEMPORAL_ADDRESS: cluster.server.address };
      const homeA = mkdtempSync(join(dir, 'home-a-'));
      const homeB = mkdtempSync(join(dir, 'home-b-'));
      const cfg = join(dir, 'sft.json');
      // No output_dir: each worker trains under its own home (train/<name>/sft), so nothing is shared but the bucket.
      writeFileSync(
        cfg,
        JSON.stringify({
          model,
          data,
          per_device_batch_size: 2,
          learning_rate: 0.003,
          warmup_ratio: 0,
          lr_scheduler: 'constant',
          min_pixels: 3136,
          max_pixels: 12544,
          seed: 1,
          max_steps: 16,
          save_steps: 2,
        }),
      );
      const workerA = await cluster.startWorker([], { ...storeEnv, R1OV_HOME: homeA });
      const start = await cluster.cliJson<{ workflowId: string }>(
        ['train', 'sft', '--config', cfg, '--name', 's3kill', '--heartbeat-timeout', '10'],
        { env: storeEnv },
      );
      const first = await eventually(
        'a checkpoint committed to the bucket',
        async () => {
          const steps = await committedSteps('s3kill');
          return steps.length ? steps[0]! : undefined;
        },
        300_000,
        100,
      );
      workerA.kill('SIGKILL');
      await exited(workerA);
      const committedAtKill = await committedSteps('s3kill');
      assert.ok(committedAtKill.at(-1)! < 16, `training finished before the kill: ${committedAtKill}`);
      await eventually(
        'the orphaned trainer to exit',
        () => {
          const ps = spawnSync('pgrep', ['-f', `r1ov_trainer sft --config ${homeA}`], { encoding: 'utf8' });
          return ps.stdout.trim() === '' ? true : undefined;
        },
        30_000,
      );

      await cluster.startWorker([], { ...storeEnv, R1OV_HOME: homeB });
      const res = (await client.workflow.getHandle(start.workflowId).result()) as {
        sft: { step: number; attempt: number; resumedFrom: string | null; checkpoint: string };
      };
      const sft = res.sft;
      assert.equal(sft.step, 16);
      assert.ok(sft.attempt >= 2, `attempt ${sft.attempt}`);
      // It resumed on host B from a checkpoint it downloaded: the newest committed one, at least the first.
      assert.ok(sft.resumedFrom?.startsWith(join(homeB, 'train', 's3kill', 'sft')), `resumed from ${sft.resumedFrom}`);
      const resumedStep = Number(sft.resumedFrom!.split('-').at(-1));
      assert.ok(
        resumedStep >= first && committedAtKill.includes(resumedStep),
        `attempt ${sft.attempt} resumed at ${resumedStep}; committed at the kill: ${committedAtKill}`,
      );
      const state = JSON.parse(readFileSync(join(sft.checkpoint, 'trainer_state.json'), 'utf8')) as {
        log_history: Array<{ loss?: number; step: number }>;
      };
      const steps = state.log_history.filter((h) => h.loss !== undefined).map((h) => h.step);
      assert.deepEqual(
        steps,
        [...new Set(steps)].sort((a, b) => a - b),
      );
      assert.equal(steps.at(-1), 16);
      // Host A never got past the kill; the final checkpoint is in the bucket for whatever runs next.
      assert.ok(!readdirSync(join(homeA, 'train', 's3kill', 'sft')).includes('checkpoint-16'));
      assert.equal((await committedSteps('s3kill')).at(-1), 16);
    },
  );
});
