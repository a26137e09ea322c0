/**
 * The worker's log: one line per event. A failed activity attempt is one line naming the role's endpoint, the error
 * class, attempt n/N and the workflow (sample) it serves; stack traces only with `verbose`. Warnings about task types
 * a worker deliberately does not serve (an LLM queue's worker has no workflows) are dropped.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** Messages that describe this deployment's intended shape, not a problem. */
const EXPECTED = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No activities registered, not polling for activity tasks',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  type?: string | null;
  stack?: string;
  details?: unknown[];
  cause?: unknown;
}

function oneLine(s: string, max = 300): string {
  const line = s.replace(/\s*\n\s*/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `EndpointDown` / `LlmUnavailable` / `TypeError`: the ApplicationFailure type, else the error's class. */
function errorClass(e: ErrorLike): string {
  return e.type ?? e.name ?? 'Error';
}

/**
 * A sample whose LLM roles are local (schemas/config.ts) holds one workflow task while its calls run, by design, so
 * the SDK's "workflow task duration exceeded" warning would fire for every sample of a slow endpoint.
 */
const LONG_TASK_BY_DESIGN = /^\[TMPRL1104\]/;

/** Format one log entry; null drops it. Exported for tests. */
export function formatWorkerLog(entry: Pick<LogEntry, 'level' | 'message' | 'meta'>, verbose: boolean): string | null {
  if (EXPECTED.has(entry.message)) return null;
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  if (LONG_TASK_BY_DESIGN.test(entry.message) && meta.workflowType === 'sampleLifecycle') return null;
  const err = meta.error as ErrorLike | undefined;
  if (entry.message === 'Activity failed' && err && !verbose) {
    const attempt =
      meta.attempt !== undefined
        ? ` attempt ${String(meta.attempt)}${meta.maxAttempts ? `/${String(meta.maxAttempts)}` : ''}`
        : '';
    const where = meta.workflowId ? ` ${String(meta.workflowId)}` : '';
    return `${entry.level} ${String(meta.activityType ?? 'activity')}${attempt}${where}: ${errorClass(err)}: ${oneLine(err.message ?? String(err))}`;
  }
  if (verbose) {
    const rest = Object.keys(meta).length
      ? ` ${JSON.stringify(meta, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v))}`
      : '';
    return `${entry.level} ${entry.message}${rest}`;
  }
  const parts: string[] = [];
  for (const k of ['workflowId', 'workflowType', 'activityType', 'taskQueue'] as const)
    if (meta[k] !== undefined) parts.push(`${k}=${String(meta[k])}`);
  const detail = err
    ? `: ${errorClass(err)}: ${oneLine(err.message ?? String(err))}`
    : typeof meta.failure === 'string'
      ? `: ${oneLine(meta.failure)}`
      : '';
  return `${entry.level} ${entry.message}${parts.length ? ` (${parts.join(' ')})` : ''}${detail}`;
}

export function workerLogger(
  level: LogLevel,
  verbose: boolean,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    const line = formatWorkerLog(entry, verbose);
    if (line !== null) write(line);
  });
}

/** Adds the attempt limit to each activity's log attributes, so a failed attempt reads `attempt 3/10`. */
export const attemptLimitInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  outbound: {
    getLogAttributes: (a) => ({
      ...a,
      ...(ctx.info.retryPolicy?.maximumAttempts ? { maxAttempts: ctx.info.retryPolicy.maximumAttempts } : {}),
    }),
  },
});
