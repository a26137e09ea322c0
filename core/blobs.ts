import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from './home.ts';

/** Content-addressed blob store under `$R1OV_HOME/blobs/`: key = sha256 hex of the bytes, so writes are idempotent. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function blobPath(home: string, key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid blob key: ${key.slice(0, 80)}`);
  return join(paths.blobs(home), key.slice(0, 2), key);
}

/** Write atomically (temp + rename); returns the key. Re-writing the same bytes is a no-op. */
export function putBlob(home: string, data: Buffer | string): string {
  const key = sha256(data);
  const p = blobPath(home, key);
  if (existsSync(p)) return key;
  mkdirSync(join(paths.blobs(home), key.slice(0, 2)), { recursive: true });
  const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, p);
  return key;
}

export function getBlob(home: string, key: string): Buffer {
  return readFileSync(blobPath(home, key));
}

export function putJsonBlob(home: string, value: unknown): string {
  return putBlob(home, JSON.stringify(value));
}

export function getJsonBlob(home: string, key: string): unknown {
  return JSON.parse(getBlob(home, key).toString('utf8'));
}

/** Atomic small-file write used for staged rows and manifests (same temp + rename discipline). */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
