/**
 * No silent waits: before a run starts, every endpoint it needs answers (or the command exits 2 naming the role,
 * host and error); while the command waits, every task queue the run needs has a worker (or it says which queue has
 * none and the command that starts one).
 */
import type { Client } from '@temporalio/client';
import { probeEndpoint } from '../activities/llm/probe.ts';
import { UsageError } from '../core/errors.ts';
import { queuesWithoutWorkers, workerCommandFor, type NeededQueue, type TemporalTarget } from '../core/temporal.ts';
import type { ResolvedEndpoint } from '../schemas/config.ts';
import { CPU_QUEUE, llmQueue, type RoleName } from '../schemas/queues.ts';

/** Seconds between queue checks while a command waits. */
const QUEUE_CHECK_EVERY_MS = 15_000;

/** The queues a build (or eval) needs: the CPU queue for workflows and activities, and each role's LLM queue. */
export function neededQueues(roles: string[], extra: NeededQueue[] = []): NeededQueue[] {
  return [
    { name: CPU_QUEUE, type: 'workflow' },
    { name: CPU_QUEUE, type: 'activity' },
    ...roles.map((r) => ({ name: llmQueue(r as RoleName), type: 'activity' as const })),
    ...extra,
  ];
}

/**
 * Probe every endpoint at once (a models-list call each, a few seconds at most). The CLI may not hold a worker's key:
 * when the key's variable is not set here, a refused key is not held against the endpoint (only reachability is).
 */
export async function preflightEndpoints(
  endpoints: Array<ResolvedEndpoint | undefined>,
  timeoutMs = 4_000,
): Promise<void> {
  const eps = endpoints.filter((e): e is ResolvedEndpoint => e !== undefined);
  const results = await Promise.all(
    eps.map(async (ep) => {
      const keyHere = !ep.apiKeyEnv || process.env[ep.apiKeyEnv] !== undefined;
      const r = await probeEndpoint(ep, timeoutMs);
      return !r.ok && !keyHere && /^HTTP 40[13]/.test(r.error ?? '') ? { ...r, ok: true } : r;
    }),
  );
  const down = results.filter((r) => !r.ok);
  if (down.length === 0) return;
  const first = down[0]!;
  const more =
    down.length > 1
      ? ` (also down: ${down
          .slice(1)
          .map((d) => `${d.role} at ${d.host}`)
          .join(', ')})`
      : '';
  throw new UsageError(
    `preflight: the ${first.role} endpoint at ${first.host} is not usable: ${first.error}${more}; fix its base URL or key (--config, R1OV_${first.role.toUpperCase()}_BASE_URL), or pass --skip-preflight`,
  );
}

export function missingWorkersLine(missing: NeededQueue[]): string {
  const what = missing.map((q) => `${q.name} (${q.type}s)`).join(', ');
  return `warning: no worker polls ${what}: the run waits until one does; start one with: ${workerCommandFor(missing)}`;
}

/**
 * Check the queues now and then every few seconds until `stop` aborts: say once which queue has no worker, and say
 * again when that changes. Resolves after the first check, so callers know the first warning (if any) is out.
 */
export async function watchQueues(
  client: Client,
  target: TemporalTarget,
  queues: NeededQueue[],
  log: (m: string) => void,
  stop: AbortSignal,
): Promise<void> {
  let said = '';
  const check = async () => {
    const missing = await queuesWithoutWorkers(client, target.namespace, queues);
    const key = missing.map((q) => `${q.name}/${q.type}`).join(',');
    if (key === said) return;
    if (missing.length) log(missingWorkersLine(missing));
    else if (said) log('workers: every queue the run needs now has a worker');
    said = key;
  };
  await check();
  const timer = setInterval(() => void check().catch(() => undefined), QUEUE_CHECK_EVERY_MS);
  timer.unref();
  stop.addEventListener('abort', () => clearInterval(timer), { once: true });
}
