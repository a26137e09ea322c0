/**
 * Training checkpoints in the object store, so a trainer activity retried on another host resumes where the last
 * one stopped. Layout: `train/<name>/<stage>/node<r>/checkpoint-<step>/<file>` (each node of a multi-node run
 * uploads what it wrote; a restore takes the union of all nodes' files). Each file reaches its key whole: small
 * ones through `publish` (temporary key, then copy), large ones (model shards, optimizer state: GBs, beyond a
 * single PUT or copy) as a multipart upload, which S3 makes visible only when it completes. The node's manifest,
 * published last through a temporary key, commits the checkpoint: a restore only considers steps whose manifests
 * exist for every node, and downloads `trainer_state.json` last (the local marker of a complete checkpoint).
 */
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { ObjectStore } from '../../core/storage/index.ts';
import type { S3Store } from '../../core/storage/s3.ts';

export const CHECKPOINT_MANIFEST = 'r1ov-checkpoint';
const MARKER = 'trainer_state.json';

const ManifestSchema = z.object({
  step: z.number().int().min(0),
  node: z.number().int().min(0),
  files: z.array(z.object({ path: z.string().min(1), size: z.number().int().min(0) })),
});
export type CheckpointManifest = z.infer<typeof ManifestSchema>;

export const checkpointPrefix = (name: string, stage: string) => `train/${name}/${stage}/`;
const manifestKey = (name: string, stage: string, node: number, step: number) =>
  `${checkpointPrefix(name, stage)}node${node}/checkpoint-${step}/${CHECKPOINT_MANIFEST}.json`;
const fileKey = (name: string, stage: string, node: number, step: number, path: string) =>
  `${checkpointPrefix(name, stage)}node${node}/checkpoint-${step}/${path}`;

export interface UploadOptions {
  /** Files above this many bytes go up as multipart uploads (default 256 MiB). */
  multipartAbove?: number;
  /** Part size of a multipart upload (≥ 5 MiB, S3's minimum; default 64 MiB). */
  partSize?: number;
}

const MiB = 2 ** 20;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function multipartUpload(
  store: S3Store,
  file: string,
  key: string,
  size: number,
  partSize: number,
): Promise<void> {
  const Bucket = store.config.bucket;
  const Key = store.objectKey(key);
  const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const fh = await open(file, 'r');
  try {
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    for (let offset = 0, n = 1; offset < size; offset += partSize, n++) {
      const buf = Buffer.alloc(Math.min(partSize, size - offset));
      await fh.read(buf, 0, buf.length, offset);
      const r = await store.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: n, Body: buf }));
      parts.push({ ETag: r.ETag!, PartNumber: n });
    }
    await store.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (err) {
    await store.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw err;
  } finally {
    await fh.close();
  }
}

/** Upload one local `checkpoint-<step>` directory; returns its manifest. Files vanish under a rotating trainer: ENOENT is re-thrown for the caller. */
export async function uploadCheckpoint(
  store: ObjectStore,
  name: string,
  stage: string,
  node: number,
  dir: string,
  opts: UploadOptions = {},
): Promise<CheckpointManifest> {
  const step = Number(/checkpoint-(\d+)$/.exec(dir.replace(/[\\/]+$/, ''))?.[1]);
  if (!Number.isInteger(step)) throw new Error(`not a checkpoint directory: ${dir}`);
  const multipartAbove = opts.multipartAbove ?? 256 * MiB;
  const partSize = Math.max(5 * MiB, opts.partSize ?? 64 * MiB);
  const files = (await walk(dir)).filter((f) => !f.endsWith('.tmp'));
  // trainer_state.json last, as the trainer writes it: the order a reader of the bucket would expect.
  files.sort((a, b) => Number(a.endsWith(MARKER)) - Number(b.endsWith(MARKER)) || a.localeCompare(b));
  const manifest: CheckpointManifest = { step, node, files: [] };
  for (const file of files) {
    const path = relative(dir, file).split(sep).join('/');
    const { size } = await stat(file);
    const key = fileKey(name, stage, node, step, path);
    if (store.kind === 's3' && size > multipartAbove)
      await multipartUpload(store as S3Store, file, key, size, partSize);
    else await store.publish(file, key);
    manifest.files.push({ path, size });
  }
  const scratch = join(dirname(dir), `.${CHECKPOINT_MANIFEST}-${node}-${step}.json`);
  await writeFile(scratch, JSON.stringify(manifest));
  try {
    await store.publish(scratch, manifestKey(name, stage, node, step));
  } finally {
    await rm(scratch, { force: true });
  }
  return manifest;
}

/** Steps whose checkpoint every one of `nodes` nodes has committed, newest first. */
export async function storedCheckpointSteps(
  store: ObjectStore,
  name: string,
  stage: string,
  nodes = 1,
): Promise<number[]> {
  const re = new RegExp(
    `^${checkpointPrefix(name, stage).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}node(\\d+)/checkpoint-(\\d+)/${CHECKPOINT_MANIFEST}\\.json$`,
  );
  const seen = new Map<number, Set<number>>();
  for (const o of await store.list(checkpointPrefix(name, stage))) {
    const m = re.exec(o.key);
    if (!m) continue;
    const step = Number(m[2]);
    if (!seen.has(step)) seen.set(step, new Set());
    seen.get(step)!.add(Number(m[1]));
  }
  return [...seen]
    .filter(([, ns]) => Array.from({ length: nodes }, (_, i) => i).every((i) => ns.has(i)))
    .map(([s]) => s)
    .sort((a, b) => b - a);
}

/**
 * Download checkpoint `step` (every node's files) into `outputDir/checkpoint-<step>`; files already there with the
 * right size are kept. Returns the local directory.
 */
export async function downloadCheckpoint(
  store: ObjectStore,
  name: string,
  stage: string,
  step: number,
  outputDir: string,
  nodes = 1,
): Promise<string> {
  const dir = join(outputDir, `checkpoint-${step}`);
  const wanted = new Map<string, { key: string; size: number }>();
  for (let node = 0; node < nodes; node++) {
    const m = ManifestSchema.parse(
      JSON.parse((await store.get(manifestKey(name, stage, node, step))).toString('utf8')),
    );
    for (const f of m.files)
      if (!wanted.has(f.path)) wanted.set(f.path, { key: fileKey(name, stage, node, step, f.path), size: f.size });
  }
  const order = [...wanted].sort(([a], [b]) => Number(a.endsWith(MARKER)) - Number(b.endsWith(MARKER)));
  // An interrupted download may have left the marker of an incomplete directory behind: it goes first.
  if (order.some(([p]) => p === MARKER)) await rm(join(dir, MARKER), { force: true });
  for (const [path, { key, size }] of order) {
    const file = join(dir, ...path.split('/'));
    const have = await stat(file).catch(() => null);
    if (have && have.size === size && path !== MARKER) continue;
    await mkdir(dirname(file), { recursive: true });
    await store.download(key, file);
  }
  return dir;
}

/** Keep the newest `keep` committed checkpoints of a node in the store (the trainer's save_total_limit). */
export async function pruneStoredCheckpoints(
  store: ObjectStore,
  name: string,
  stage: string,
  node: number,
  keep: number,
): Promise<void> {
  const prefix = `${checkpointPrefix(name, stage)}node${node}/`;
  const objects = await store.list(prefix);
  const stepOf = (k: string) => Number(/\/checkpoint-(\d+)\//.exec(k)?.[1] ?? NaN);
  const committed = [
    ...new Set(objects.filter((o) => o.key.endsWith(`/${CHECKPOINT_MANIFEST}.json`)).map((o) => stepOf(o.key))),
  ].sort((a, b) => b - a);
  const drop = new Set(committed.slice(Math.max(1, keep)));
  const keys = objects.map((o) => o.key).filter((k) => drop.has(stepOf(k)));
  // The manifest goes first: a half-deleted checkpoint is then never taken for a committed one.
  const manifests = keys.filter((k) => k.endsWith(`/${CHECKPOINT_MANIFEST}.json`));
  if (manifests.length) await store.delete(manifests);
  const rest = keys.filter((k) => !k.endsWith(`/${CHECKPOINT_MANIFEST}.json`));
  for (let i = 0; i < rest.length; i += 1000) await store.delete(rest.slice(i, i + 1000));
}
