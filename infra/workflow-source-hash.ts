import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Hash of everything a workflow bundle is made from (workflows/, schemas/, the lockfile, and any extra entry files):
 * the cache key of a bundle on disk, so a changed workflow is never run from a stale bundle.
 */
export function workflowSourceHash(extraFiles: string[] = []): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(repoRoot, 'workflows'));
  walk(join(repoRoot, 'schemas'));
  for (const f of extraFiles) h.update(readFileSync(f));
  h.update(readFileSync(join(repoRoot, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}
