import { z } from 'zod';
import { keys, storeFor, NotFoundError } from '../../core/storage/index.ts';
import type { RunConfig } from '../../schemas/config.ts';
import type { Counts } from '../../schemas/workflow.ts';

const PrevSchema = z.object({ started_at: z.string().optional() }).passthrough();

/** `runs/<run>/run.json` in the home's store: what the `runs` view reads. Keeps the first start time across rewrites. */
export async function writeRunManifest(
  home: string,
  input: {
    run: string;
    source: string;
    status: 'running' | 'completed' | 'cancelled';
    counts: Counts;
    config: RunConfig;
  },
): Promise<void> {
  const store = storeFor(home);
  const key = keys.runManifest(input.run);
  const now = new Date().toISOString();
  let prev: z.infer<typeof PrevSchema> = {};
  try {
    prev = PrevSchema.parse(JSON.parse((await store.get(key)).toString('utf8')));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  await store.put(
    key,
    JSON.stringify(
      {
        run: input.run,
        source: input.source,
        status: input.status,
        counts: input.counts,
        config: input.config,
        started_at: input.status === 'running' ? now : (prev.started_at ?? now),
        updated_at: now,
      },
      null,
      2,
    ),
  );
}
