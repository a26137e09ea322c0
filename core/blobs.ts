import { createHash, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keys, storeFor } from './storage/index.ts';

/**
 * Content-addressed blobs: key = sha256 hex of the bytes, so writes are idempotent. They live in the home's object
 * store (core/storage): `$R1OV_HOME/blobs/<2>/<key>` on disk, or the same key path in an S3-compatible bucket.
 */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Returns the key. Re-writing the same bytes is a no-op. */
export async function putBlob(home: string, data: Buffer | string): Promise<string> {
  const key = sha256(data);
  await storeFor(home).put(keys.blob(key), data, { immutable: true });
  return key;
}

// A bounded in-process cache for remote blobs: one sample's blobs are read by several activities in a row.
const CACHE_BYTES = 64 * 1024 * 1024;
const cache = new Map<string, Buffer>();
let cached = 0;

export async function getBlob(home: string, key: string): Promise<Buffer> {
  const store = storeFor(home);
  if (store.kind === 'local') return store.get(keys.blob(key));
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const data = await store.get(keys.blob(key));
  // A remote store is a boundary: the bytes must be the ones the key names.
  if (sha256(data) !== key) throw new Error(`blob ${key} in ${store.location} does not match its hash`);
  if (data.length <= CACHE_BYTES / 8) {
    cache.set(key, data);
    cached += data.length;
    for (const [k, v] of cache) {
      if (cached <= CACHE_BYTES) break;
      cache.delete(k);
      cached -= v.length;
    }
  }
  return data;
}

export async function putJsonBlob(home: string, value: unknown): Promise<string> {
  return putBlob(home, JSON.stringify(value));
}

export async function getJsonBlob(home: string, key: string): Promise<unknown> {
  return JSON.parse((await getBlob(home, key)).toString('utf8'));
}

/** Atomic small-file write for local files (caches, bundles, trainer files): temp + rename. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * The same, without blocking the event loop (hot paths such as the LLM response cache): the parent folder is made
 * only when missing, and a failed write leaves no temp file behind.
 */
export async function writeFileAtomicAsync(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    try {
      await writeFile(tmp, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, data);
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
