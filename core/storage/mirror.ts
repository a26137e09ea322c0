import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { z } from 'zod';
import { writeFileAtomic } from '../blobs.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';

const IndexSchema = z.record(z.string(), z.string());

/** The mirror folder of one bucket prefix, under the home's cache. */
export function mirrorDir(cacheRoot: string, location: string): string {
  return join(cacheRoot, 's3', createHash('sha256').update(location).digest('hex').slice(0, 16));
}

/**
 * Make `dir` hold exactly `objects` (by key path): download what is new or changed (ETag differs), remove what is
 * gone. Shards are immutable and content-named, so after the first sync only new shards and the small run
 * manifests travel. Files are replaced by rename, so a concurrent reader sees old or new bytes, never torn ones.
 */
export async function syncMirror(store: ObjectStore, dir: string, objects: ObjectInfo[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const indexFile = join(dir, 'index.json');
  let index: Record<string, string> = {};
  try {
    index = IndexSchema.parse(JSON.parse(readFileSync(indexFile, 'utf8')));
  } catch {
    index = {}; // absent or torn: download again
  }
  const limit = pLimit(8);
  const next: Record<string, string> = {};
  await Promise.all(
    objects.map((o) =>
      limit(async () => {
        const file = join(dir, o.key);
        if (index[o.key] !== o.etag || !existsSync(file)) {
          mkdirSync(dirname(file), { recursive: true });
          await store.download(o.key, file);
        }
        next[o.key] = o.etag;
      }),
    ),
  );
  for (const k of Object.keys(index)) if (!(k in next)) rmSync(join(dir, k), { force: true });
  writeFileAtomic(indexFile, JSON.stringify(next));
  return objects.map((o) => join(dir, o.key));
}
