import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import {
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  Runtime,
  makeTelemetryFilterString,
  type LogLevel,
} from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { writeFileAtomic } from '../core/blobs.ts';
import { resolveEndpoint } from '../core/endpoints.ts';
import { UsageError } from '../core/errors.ts';
import { ensureDir, paths } from '../core/home.ts';
import { storeFor } from '../core/storage/index.ts';
import { dataConverterFromEnv, FAILURE_CONVERTER_PATH } from '../core/codec.ts';
import { connectionSecurityFromEnv, temporalTarget } from '../core/temporal.ts';
import { RunConfigSchema, type RunConfig } from '../schemas/config.ts';
import { ALL_QUEUES, CPU_QUEUE, GPU_QUEUE, ROLE_NAMES, llmQueue } from '../schemas/queues.ts';
import { attemptLimitInterceptor, workerLogger } from './worker-log.ts';
import { workflowSourceHash } from './workflow-source-hash.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Bundle the workflow code once per process, cached on disk by source hash (webpack takes seconds). */
export async function workflowBundle(
  home: string,
  opts: { encodedFailures?: boolean } = {},
): Promise<{ code: string }> {
  const file = join(
    ensureDir(join(paths.cache(home), 'workflow-bundles')),
    `${workflowSourceHash()}${opts.encodedFailures ? '-enc' : ''}.js`,
  );
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    // With payload encryption the workflow sandbox must encode failure messages too (core/codec.ts).
    ...(opts.encodedFailures ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
    logger: { info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error, log() {} },
  });
  writeFileAtomic(file, code);
  return { code };
}

export interface WorkerOptions {
  home: string;
  queues?: string[];
  config?: RunConfig;
  /** Called once every worker is polling, with the workflow worker's sizing in words (for the start line). */
  onReady?: (queues: string[], sizing: string) => void;
  /** Full log entries with stack traces (default: one line per failed attempt). */
  verbose?: boolean;
}

let runtimeInstalled = false;

/** How far V8 lets a heap grow past what the last full collection kept before it collects again (see below). */
export const HEAP_GROWTH_PERCENT = 30;

/**
 * Bound the worker's JS heaps by what they hold, not by V8's default growth. Each local activity keeps the SDK's
 * activity context, rxjs pipeline and payload visitors alive for its whole LLM call, so they outlive young-generation
 * collections and are promoted: at window 200 about 16 MB/s reaches the old generation, and V8 let it grow from
 * ~110 MB live to ~400 MB before a full collection (worker RSS 0.9–1 GB; bench/build/README.md). A growth factor of
 * 1.3 keeps the old generation near its live size at no measurable CPU cost. The flag is read at each collection, so
 * setting it here works; a `--heap-growing-percent` the user passes to node wins.
 */
export function boundHeapGrowth(): string {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].find((a) =>
    /^--heap[-_]growing[-_]percent/.test(a),
  );
  if (given) return `heap growth as given (${given})`;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWTH_PERCENT}`);
  return `heap grows ${HEAP_GROWTH_PERCENT} % past live data`;
}

/**
 * The workflow worker's memory and concurrency follow the window (samples in flight per build): the sticky cache
 * holds every running sample of one build plus room for the build itself, evaluations and trainings, so no running
 * workflow is evicted and replayed; a larger cache only keeps finished histories' sandboxes alive. Workflow-task slots
 * match the cache: a sample whose LLM roles are `local` (schemas/config.ts) holds its workflow task, and so a slot,
 * while its local activities wait on the endpoint (with half the window in slots, half the samples waited ~2.4 s for
 * one: bench/build/README.md). Local activities get one slot per sample for the same reason.
 */
export function workflowWorkerSizing(window: number): {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
} {
  return {
    maxCachedWorkflows: window + 50,
    maxConcurrentWorkflowTaskExecutions: window + 50,
    maxConcurrentLocalActivityExecutions: window,
  };
}

/** Run workers for the chosen task queues in this process until a signal (SIGINT/SIGTERM) or `signal` aborts. */
export async function runWorkers(opts: WorkerOptions, signal?: AbortSignal): Promise<void> {
  const queues = opts.queues?.length ? opts.queues : [...ALL_QUEUES];
  for (const q of queues)
    if (!ALL_QUEUES.includes(q))
      throw new UsageError(`--queues: unknown task queue ${q} (known: ${ALL_QUEUES.join(', ')})`);
  const heap = boundHeapGrowth();
  if (!runtimeInstalled) {
    Runtime.install({
      logger: workerLogger((process.env.R1OV_LOG_LEVEL ?? 'WARN') as LogLevel, Boolean(opts.verbose)),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    });
    runtimeInstalled = true;
  }
  // Storage settings are checked before any task is taken: a wrong bucket fails the worker, not every activity.
  const store = storeFor(opts.home);
  if (store.kind === 's3') {
    try {
      await store.list('probe/');
    } catch (err) {
      throw new UsageError(`storage ${store.location}: ${(err as Error).message}`);
    }
  }
  const target = temporalTarget(opts.home);
  const connection = await NativeConnection.connect({ address: target.address, ...connectionSecurityFromEnv() });
  const activities = createActivities(opts.home);
  const config = opts.config;
  // Payload encryption when R1OV_CODEC_KEYS is set (core/codec.ts): every payload and failure this worker writes.
  const dataConverter = dataConverterFromEnv();
  const bundle = queues.includes(CPU_QUEUE)
    ? await workflowBundle(opts.home, { encodedFailures: Boolean(dataConverter) })
    : undefined;
  const window = (config ?? RunConfigSchema.parse({})).window;
  const sizing = workflowWorkerSizing(window);
  const workers = await Promise.all(
    queues.map((taskQueue) => {
      const role = ROLE_NAMES.find((r) => llmQueue(r) === taskQueue);
      const endpoint =
        role && config
          ? resolveEndpoint(role, config)
          : role
            ? resolveEndpoint(role, { roles: {} } as RunConfig)
            : undefined;
      return Worker.create({
        connection,
        namespace: target.namespace,
        taskQueue,
        activities,
        interceptors: { activity: [attemptLimitInterceptor] },
        ...(dataConverter ? { dataConverter } : {}),
        ...(taskQueue === CPU_QUEUE ? { workflowBundle: bundle, ...sizing } : {}),
        ...(taskQueue === CPU_QUEUE ? { maxConcurrentActivityTaskExecutions: 8 } : {}),
        // The SDK sends a heartbeat at most every 80 % of the timeout: a 10-s timeout left 2 s of slack, and a busy host
        // lost training attempts to it. A trainer's beat every few seconds costs nothing beside a GPU step.
        ...(taskQueue === GPU_QUEUE ? { maxHeartbeatThrottleInterval: '3 seconds' } : {}),
        ...(role
          ? {
              maxConcurrentActivityTaskExecutions: endpoint?.concurrency ?? 64,
              // The endpoint's RPM as the queue's server-side rate: holds across every worker of this role. The server's
              // token buckets (one per task-queue partition, 4 by default) also grant a burst of about ceil(rate) + 4
              // tasks, so the rate is (RPM - 4) / 61: then no 60-s window exceeds RPM (measured at the endpoint by
              // test/scaleout.integration.test.ts; plain RPM / 60 let 76 calls through a 75-RPM limit).
              ...(endpoint?.rpm
                ? { maxTaskQueueActivitiesPerSecond: Math.max(endpoint.rpm - 4, endpoint.rpm / 2) / 61 }
                : {}),
            }
          : {}),
        shutdownGraceTime: '5 seconds',
      });
    }),
  );
  const stop = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  signal?.addEventListener('abort', stop, { once: true });
  opts.onReady?.(
    queues,
    queues.includes(CPU_QUEUE)
      ? `window ${window}: workflow cache ${sizing.maxCachedWorkflows}, ${sizing.maxConcurrentWorkflowTaskExecutions} workflow tasks and ${sizing.maxConcurrentLocalActivityExecutions} local activities at once; ${heap}`
      : `no workflows; ${heap}`,
  );
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}
