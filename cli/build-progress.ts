/**
 * A build's progress as the CLI reads it: the `progress` query (bounded), else the snapshot the build keeps in its
 * memo (so `r1ov status` answers at once when no worker can answer a query), and the summary text. Light imports
 * only: `r1ov status` loads this, not the build command's readers.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { workflowUrl, type TemporalTarget } from '../core/temporal.ts';
import { buildWorkflowId } from '../schemas/queues.ts';
import { BuildProgressSchema, type BuildProgress } from '../schemas/workflow.ts';
import { stateWord } from '../workflows/progress-view.ts';

/** The progress the build last published in its memo (when no worker can answer a query). */
export async function memoProgress(
  handle: WorkflowHandle,
  description?: { memo?: Record<string, unknown> },
): Promise<BuildProgress | null> {
  try {
    const snap = (description ?? (await handle.describe())).memo?.snapshot;
    const r = BuildProgressSchema.safeParse(snap);
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * The build's progress: its `progress` query, bounded (a query waits for a worker, and with none the server holds it
 * for many seconds), else the snapshot in its memo.
 */
export async function queryProgress(
  client: Client,
  handle: WorkflowHandle,
  timeoutMs = 1_500,
): Promise<BuildProgress | null> {
  try {
    return BuildProgressSchema.parse(
      await client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query('progress')),
    );
  } catch {
    return memoProgress(handle);
  }
}

/** The top reason codes of quarantined/rejected samples: `formal_invalid 12, EndpointDown 3`. */
export function topReasons(p: BuildProgress, n = 3): string {
  return Object.entries(p.reasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

export function summaryText(run: string, status: string, p: BuildProgress | null, target: TemporalTarget): string {
  const url = workflowUrl(target, buildWorkflowId(run));
  const lines = [`run ${run}: ${status}${p && status === 'RUNNING' ? ` (${stateWord(p)})` : ''}`];
  if (p) {
    lines.push(
      `  samples ${p.finished}${p.total !== null ? `/${p.total}` : ''}: done ${p.counts.done}, rejected ${p.counts.rejected}, quarantined ${p.counts.quarantined}; in flight ${p.inFlight}; ${p.ratePerSec.toFixed(1)} samples/s${p.etaSec !== null && status === 'RUNNING' ? `; ETA ${Math.round(p.etaSec)} s` : ''}`,
    );
    const reasons = topReasons(p);
    if (reasons) lines.push(`  top reasons: ${reasons}`);
  }
  if (url) lines.push(`  Web UI: ${url}`);
  return lines.join('\n');
}
