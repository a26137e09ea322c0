/**
 * Training checkpoints in the object store (activities/train/checkpoint-store.ts) against the local S3-compatible
 * server: a checkpoint uploaded from one home downloads byte for byte into another; large files go up as multipart
 * uploads; a checkpoint without its manifest (killed mid-upload) is never offered; a multi-node checkpoint counts
 * once every node committed it, and restores the union of their files; old ones are pruned, manifest first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Store } from '../core/storage/index.ts';
import { s3ConfigFromEnv } from '../core/storage/s3-config.ts';
import {
  CHECKPOINT_MANIFEST,
  downloadCheckpoint,
  pruneStoredCheckpoints,
  storedCheckpointSteps,
  uploadCheckpoint,
} from '../activities/train/checkpoint-store.ts';
import { startS3Server, type S3Server } from './support/s3-server.ts';

let s3: S3Server;
let env: NodeJS.ProcessEnv;
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'r1ov-ckpt-'));
  dirs.push(d);
  return d;
};
const store = () =>
  new S3Store(s3ConfigFromEnv({ ...env, R1OV_S3_PREFIX: `ckpt-${Math.random().toString(36).slice(2)}/` })!);

before(async () => {
  s3 = await startS3Server();
  env = await s3.env('r1ov-ckpt');
});
after(async () => {
  await s3?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A Hugging Face Trainer checkpoint's files (names as Trainer._save_checkpoint writes them), random contents. */
function writeCheckpoint(outputDir: string, step: number, big = 0, extra: Record<string, Buffer> = {}): string {
  const dir = join(outputDir, `checkpoint-${step}`);
  mkdirSync(join(dir, `global_step${step}`), { recursive: true });
  const files: Record<string, Buffer> = {
    'model.safetensors': randomBytes(big || 4096),
    'config.json': Buffer.from('{"model_type": "qwen2_5_vl"}'),
    'optimizer.pt': randomBytes(2048),
    'scheduler.pt': randomBytes(64),
    'rng_state.pth': randomBytes(64),
    'training_args.bin': randomBytes(64),
    [`global_step${step}/zero_pp_rank_0_mp_rank_00_optim_states.pt`]: randomBytes(1024),
    'trainer_state.json': Buffer.from(JSON.stringify({ global_step: step })),
    ...extra,
  };
  for (const [p, b] of Object.entries(files)) writeFileSync(join(dir, p), b);
  return dir;
}

describe('checkpoints in the object store', () => {
  test('upload from one home, download into another, byte for byte; big files as multipart uploads', async () => {
    const st = store();
    const src = writeCheckpoint(join(temp(), 'grpo'), 3, 11 * 2 ** 20);
    const m = await uploadCheckpoint(st, 'run1', 'grpo', 0, src, {
      multipartAbove: 5 * 2 ** 20,
      partSize: 5 * 2 ** 20,
    });
    assert.equal(m.files.at(-1)!.path, 'trainer_state.json');
    assert.equal(m.files.length, 8);
    assert.deepEqual(await storedCheckpointSteps(st, 'run1', 'grpo'), [3]);
    const keys = (await st.list('')).map((o) => o.key);
    assert.ok(keys.includes(`train/run1/grpo/node0/checkpoint-3/${CHECKPOINT_MANIFEST}.json`));
    assert.ok(!keys.some((k) => k.includes('tmp')), keys.join(' '));
    const other = join(temp(), 'grpo');
    const dir = await downloadCheckpoint(st, 'run1', 'grpo', 3, other);
    assert.equal(dir, join(other, 'checkpoint-3'));
    for (const f of m.files) assert.ok(readFileSync(join(src, f.path)).equals(readFileSync(join(dir, f.path))), f.path);
  });

  test('a checkpoint whose manifest never arrived (killed mid-upload) is not offered', async () => {
    const st = store();
    const out = join(temp(), 'sft');
    await uploadCheckpoint(st, 'run2', 'sft', 0, writeCheckpoint(out, 2));
    const half = writeCheckpoint(out, 4);
    await st.publish(join(half, 'model.safetensors'), 'train/run2/sft/node0/checkpoint-4/model.safetensors');
    assert.deepEqual(await storedCheckpointSteps(st, 'run2', 'sft'), [2]);
    assert.deepEqual(await storedCheckpointSteps(st, 'run2', 'grpo'), []);
  });

  test('several nodes: committed when every node has, restored as the union of their files', async () => {
    const st = store();
    const n0 = writeCheckpoint(join(temp(), 'grpo'), 5);
    const n1 = writeCheckpoint(join(temp(), 'grpo'), 5, 0, {
      'global_step5/zero_pp_rank_8_mp_rank_00_optim_states.pt': randomBytes(512),
    });
    await uploadCheckpoint(st, 'run3', 'grpo', 0, n0);
    assert.deepEqual(await storedCheckpointSteps(st, 'run3', 'grpo', 2), []);
    await uploadCheckpoint(st, 'run3', 'grpo', 1, n1);
    assert.deepEqual(await storedCheckpointSteps(st, 'run3', 'grpo', 2), [5]);
    const dir = await downloadCheckpoint(st, 'run3', 'grpo', 5, join(temp(), 'grpo'), 2);
    assert.ok(readFileSync(join(dir, 'global_step5/zero_pp_rank_8_mp_rank_00_optim_states.pt')).length === 512);
    assert.ok(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(n0, 'model.safetensors'))));
  });

  test('pruning keeps the newest N committed checkpoints of a node', async () => {
    const st = store();
    const out = join(temp(), 'grpo');
    for (const step of [1, 2, 3]) await uploadCheckpoint(st, 'run4', 'grpo', 0, writeCheckpoint(out, step));
    await pruneStoredCheckpoints(st, 'run4', 'grpo', 0, 2);
    assert.deepEqual(await storedCheckpointSteps(st, 'run4', 'grpo'), [3, 2]);
    assert.ok(!(await st.list('train/run4/grpo/node0/checkpoint-1/')).length);
  });
});
