// One formalization per image where the formal text does not depend on the question: the rows of a multi-turn
// conversation about one chart, and the same image in several rows, share it. Content-addressed by image hash, kind,
// prompt versions and model, so a different prompt or model formalizes again; a kind whose text answers one
// question (`perQuestion`, math strategies) is never shared.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { heartbeatWhile } from '../heartbeat.ts';
import { z } from 'zod';
import { sha256, writeFileAtomic } from '../../core/blobs.ts';
import { ensureDir, paths } from '../../core/home.ts';
import type { Sample } from '../../schemas/sample.ts';
import { FormalResultSchema, type FormalResult } from '../../schemas/workflow.ts';
import { formalKindDef, type FormalKind } from './kinds.ts';

/** What a shared formalization's prompt says in place of one question. */
export const ANY_QUESTION =
  '(several questions may be asked about this image: describe all of it, not only what one question needs)';

/**
 * Whether a sample's formalization is shared by image. Not for a per-question kind (math: the strategies answer one question), not for
 * synthetic samples (one question per generated image, and fidelity scores the formalization written for it), and
 * not without an image.
 */
export function sharesFormalization(sample: Pick<Sample, 'imageKey' | 'exact'>, formalKind: FormalKind): boolean {
  return !formalKindDef(formalKind).perQuestion && !!sample.imageKey && !sample.exact;
}

export interface ShareKeyParts {
  imageKey: string;
  kind: string | null;
  subkind: string | null;
  formalKind: string;
  prompt: string;
  repair: string;
  model: string;
  baseUrl: string;
  maxRepairs: number;
  grounded: boolean;
}

export function formalShareKey(p: ShareKeyParts): string {
  const ordered = Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)));
  return sha256(JSON.stringify(ordered));
}

const shareFile = (home: string, key: string) => join(paths.cache(home), 'formal', key.slice(0, 2), `${key}.json`);

const SharedEntrySchema = z.object({ owner: z.string(), result: FormalResultSchema });

function readShared(home: string, key: string): z.infer<typeof SharedEntrySchema> | null {
  const file = shareFile(home, key);
  if (!existsSync(file)) return null;
  try {
    const r = SharedEntrySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null; // torn: formalize again
  }
}

/** Formalizations in progress in this process, by share key: concurrent samples of one image wait for the first. */
const inFlight = new Map<string, { owner: string; result: Promise<FormalResult> }>();

/**
 * The shared result for `key`: from the home's cache ($R1OV_HOME/cache/formal), from a call already in flight in
 * this process, or by running `make` for `sampleId` (a valid result is then cached). A result made for another
 * sample says `shared: true`; the owner's own retry reads it back unshared. Workers on other hosts keep their own
 * cache: each formalizes an image at most once.
 */
export async function shareFormalization(
  home: string,
  key: string,
  sampleId: string,
  make: () => Promise<FormalResult>,
): Promise<FormalResult> {
  const mark = (owner: string, r: FormalResult): FormalResult => ({ ...r, shared: owner !== sampleId });
  const cached = readShared(home, key);
  if (cached) return mark(cached.owner, cached.result);
  const running = inFlight.get(key);
  if (running) return mark(running.owner, await heartbeatWhile(running.result, { everyMs: 10_000 }));
  const result = make().then((r) => {
    if (r.valid && r.formalKey) {
      ensureDir(join(paths.cache(home), 'formal', key.slice(0, 2)));
      writeFileAtomic(shareFile(home, key), JSON.stringify({ owner: sampleId, result: r }));
    }
    return r;
  });
  inFlight.set(key, { owner: sampleId, result });
  try {
    return mark(sampleId, await result);
  } finally {
    inFlight.delete(key);
  }
}
