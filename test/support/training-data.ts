/**
 * Training inputs for the trainer's integration tests: a synthetic build of `samples` rows exported in the TRL
 * layout, and a tiny randomly initialised model made from it by the trainer (`make-tiny`, no download).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { trainerPython } from '../../activities/train/run-trainer.ts';
import { repoRoot, type Cluster } from './cluster.ts';

export interface TrainingData {
  /** The exported TRL parquet. */
  data: string;
  /** The tiny model's folder. */
  model: string;
}

/** Builds run `learn` on `cluster` (a worker must be running), exports it to `dir`, makes the tiny model there. */
export async function makeTrainingData(
  cluster: Cluster,
  dir: string,
  opts: { samples: number; parquet: string; model: string },
): Promise<TrainingData> {
  const build = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    `synthetic:${opts.samples}`,
    '--run',
    'learn',
    '--wait',
  ]);
  assert.equal(build.status, 'COMPLETED');
  const exp = await cluster.cliJson<{ rows: number; parquet: string }>([
    'export',
    'learn',
    '--format',
    'trl',
    '--out',
    join(dir, opts.parquet),
  ]);
  assert.equal(exp.rows, opts.samples);
  const model = join(dir, opts.model);
  const r = spawnSync(trainerPython(), ['-m', 'r1ov_trainer', 'make-tiny', '--data', exp.parquet, '--out', model], {
    cwd: join(repoRoot, 'trainer'),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return { data: exp.parquet, model };
}
