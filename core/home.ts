import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keys } from './storage/keys.ts';

/** The r1ov home: `--home`, else `$R1OV_HOME`, else `./.r1ov`. Everything r1ov writes lives under it. */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.R1OV_HOME ?? '.r1ov');
}

/** A name safe to use as one path component whatever the input (hostile ids included): readable prefix + hash. */
export function safeName(id: string): string {
  const readable = id
    .normalize('NFKC')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${readable}-${hash}`;
}

/** Run names become folder names: keep them to a conservative alphabet. */
// Defined beside the queue names (schemas/queues.ts) so that workflow code can validate run names too.
export { RUN_NAME_RE } from '../schemas/queues.ts';

export const paths = {
  blobs: (home: string) => join(home, 'blobs'),
  cache: (home: string) => join(home, 'cache'),
  runs: (home: string) => join(home, 'runs'),
  run: (home: string, run: string) => join(home, keys.run(run)),
  // The local store's files: the same layout as the object keys (core/storage/keys.ts), rooted at the home.
  shards: (home: string, run: string) => join(home, keys.shards(run)),
  llmStaging: (home: string, run: string) => join(home, keys.llmStaging(run)),
  server: (home: string) => join(home, 'server'),
  tools: (home: string) => join(home, 'tools'),
  exports: (home: string, run: string) => join(home, 'exports', run),
};

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
