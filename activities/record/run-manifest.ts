import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import type { RunConfig } from '../../schemas/config.ts';
import type { Counts } from '../../schemas/workflow.ts';

/** `runs/<run>/run.json`: what the `runs` view reads. Keeps the first start time across rewrites. */
export async function writeRunManifest(
  home: string, input: { run: string; source: string; status: 'running' | 'completed' | 'cancelled'; counts: Counts; config: RunConfig },
): Promise<void> {
  ensureDir(paths.run(home, input.run));
  const file = paths.runManifest(home, input.run);
  const now = new Date().toISOString();
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { started_at?: string }) : {};
  writeFileAtomic(file, JSON.stringify({
    run: input.run, source: input.source, status: input.status, counts: input.counts, config: input.config,
    started_at: input.status === 'running' ? now : prev.started_at ?? now, updated_at: now,
  }, null, 2));
}
