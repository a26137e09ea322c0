/**
 * Heartbeats for long activities, best effort and a no-op outside an activity (tests and benches call activities
 * directly). One place for the try/catch every stage needs around Context.current().
 */
import { Context } from '@temporalio/activity';

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not inside an activity
  }
}

/** One heartbeat with `details`; nothing outside an activity, and a failed beat is ignored. */
export function heartbeat(details?: unknown): void {
  try {
    currentContext()?.heartbeat(details);
  } catch {
    /* best effort: the next beat or the activity's result reports liveness */
  }
}

/**
 * `work`'s result, heartbeating every `everyMs` until it settles: for waits that leave the event loop free (DuckDB,
 * S3, another caller's promise) but outlast the heartbeat timeout. Outside an activity it just awaits `work`.
 */
export async function heartbeatWhile<T>(work: Promise<T>, opts: { everyMs: number; details?: unknown }): Promise<T> {
  if (!currentContext()) return work;
  // Not unref'd: the timer is cleared when the work settles, and it keeps a wait with no I/O of its own alive.
  const timer = setInterval(() => heartbeat(opts.details), opts.everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
