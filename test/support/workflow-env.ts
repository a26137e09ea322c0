/**
 * Workflow tests with mocked activities: one local Temporal dev server per test file (TestWorkflowEnvironment with
 * the project's Temporal CLI and search attributes), the real workflow code bundled once (cached on disk by source
 * hash), and a worker on every task queue whose activities are the test's mocks. Tests set `env.mock({...})` before
 * starting workflows; every call is recorded in `env.calls`. An activity a test did not mock fails for good with
 * `NoMock`, so an unexpected call shows up in the outcome instead of retrying.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Activities } from '../../activities/index.ts';
import { awaitSamples } from '../../activities/record/await-samples.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import type { Endpoints, FormalResult, QaResult, RouteResult, TraceResult } from '../../schemas/workflow.ts';
import { resolveHome } from '../../core/home.ts';
import { findTemporalCli } from '../../infra/temporal-cli.ts';
import { workflowSourceHash } from '../../infra/workflow-source-hash.ts';
import { eventually } from './cluster.ts';
import { ALL_QUEUES, CPU_QUEUE } from '../../schemas/queues.ts';
import { SA } from '../../schemas/search-attributes.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const workflowsPath = join(repoRoot, 'test', 'support', 'workflows-under-test.ts');

/** Every activity the workflows call by name (a worker registers names, so the mocks dispatch through this list). */
const ACTIVITY_NAMES = [
  'ingestPage',
  'routeSample',
  'classifyModality',
  'formalize',
  'formalizeExact',
  'reason',
  'reasonExact',
  'revisitRound',
  'scoreRevisitFidelity',
  'checkFormal',
  'qaRules',
  'qaJudge',
  'stageRecord',
  'writeRunManifest',
  'commitShard',
  'scoreFidelity',
  'describeBench',
  'evalBatch',
  'judgeBatch',
  'commitEval',
  'writeEvalManifest',
  'runTrainerStage',
  'serveCheckpoint',
  'describeBuild',
  'probeEndpoint',
  'awaitSamples',
] as const satisfies ReadonlyArray<keyof Activities>;
/** Engine plumbing rather than a stage: the real activity runs unless a test mocks it. */
const REAL: Mocks = { awaitSamples: (input) => awaitSamples(input) };
export type ActivityName = (typeof ACTIVITY_NAMES)[number];

/** A mock takes the activity's input; its result is checked against the real activity's result type. */
export type Mocks = {
  [K in ActivityName]?: (
    input: Parameters<Activities[K]>[0],
  ) => Awaited<ReturnType<Activities[K]>> | Promise<Awaited<ReturnType<Activities[K]>>>;
};
export interface Call {
  name: ActivityName;
  input: unknown;
}

/** Bundling takes seconds: the bundle is kept in the temp dir by source hash and shared by every test file. */
async function workflowBundle(): Promise<{ code: string }> {
  const dir = join(tmpdir(), 'r1ov-workflow-test-bundles');
  const file = join(dir, `${workflowSourceHash([workflowsPath])}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error, log() {} },
  });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { code };
}

export interface WorkflowEnv {
  env: TestWorkflowEnvironment;
  client: TestWorkflowEnvironment['client'];
  calls: Call[];
  /** Replace the mocks (and forget the recorded calls): call at the start of each test. */
  mock(m: Mocks): void;
  /** Replay a closed workflow's history on the current workflow code: throws on non-determinism. */
  replay(workflowId: string, runId?: string): Promise<void>;
  /** Inputs of every recorded call of one activity, in call order. */
  inputs<K extends ActivityName>(name: K): Array<Parameters<Activities[K]>[0]>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export async function startWorkflowEnv(): Promise<WorkflowEnv> {
  if (!runtimeInstalled) {
    // Failed activity attempts are expected in these tests: keep the worker's log to errors.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const cli = process.env.TEMPORAL_CLI ?? findTemporalCli(resolveHome(join(repoRoot, '.r1ov')), { install: true });
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        searchAttributes: Object.values(SA),
        ip: '127.0.0.1',
      },
    }),
    workflowBundle(),
  ]);
  let mocks: Mocks = {};
  const calls: Call[] = [];
  const activities = Object.fromEntries(
    ACTIVITY_NAMES.map((name) => [
      name,
      async (input: unknown) => {
        calls.push({ name, input });
        const f = (mocks[name] ?? REAL[name]) as ((i: unknown) => unknown) | undefined;
        if (!f) throw ApplicationFailure.nonRetryable(`no mock for activity ${name}`, 'NoMock');
        return f(input);
      },
    ]),
  );
  const workers = await Promise.all(
    ALL_QUEUES.map((taskQueue) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        activities,
        // Cancellation reaches an activity with a heartbeat: do not throttle them, so cancels land at once.
        maxHeartbeatThrottleInterval: '50 milliseconds',
        defaultHeartbeatThrottleInterval: '50 milliseconds',
        ...(taskQueue === CPU_QUEUE ? { workflowBundle: bundle } : {}),
      }),
    ),
  );
  const running = workers.map((w) => w.run());
  return {
    env,
    client: env.client,
    calls,
    mock(m) {
      mocks = m;
      calls.length = 0;
    },
    async replay(workflowId, runId) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
    },
    inputs: (name) => calls.filter((c) => c.name === name).map((c) => c.input) as never,
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
      await env.teardown();
    },
  };
}

/** Poll a condition with a deadline (workflow state lives in the server: there is no event to await). */
export function until<T>(
  what: string,
  f: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 20_000,
): Promise<T> {
  return eventually(what, f, timeoutMs, 50);
}

/** A promise the test resolves by hand: a mocked activity waits on it to hold a stage open. */
export function latch(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A unique run name per test, so workflow ids never collide within a file's server. */
let seq = 0;
export const runName = (what: string): string => `${what}-${++seq}`;

// Stage results of a sample that passes every stage; tests override the stage they exercise.
export const ep = (role: ResolvedEndpoint['role']): ResolvedEndpoint => ({
  role,
  baseUrl: `http://${role}.test/v1`,
  model: `${role}-model`,
  concurrency: 4,
  timeoutMs: 1000,
});
export const ENDPOINTS: Endpoints = {
  router: ep('router'),
  formalizer: ep('formalizer'),
  reasoner: ep('reasoner'),
  judge: ep('judge'),
};

export const route = (r: Partial<RouteResult> = {}): RouteResult => ({
  kind: 'chart',
  subkind: null,
  routeBy: 'source',
  exact: false,
  needsClassifier: false,
  reject: null,
  quarantine: null,
  ...r,
});
export const formalOk: FormalResult = {
  formalKey: 'formal/1',
  format: 'markdown',
  valid: true,
  error: null,
  attempts: 1,
};
export const trace = (n = 1, answer = 'B'): TraceResult => ({
  traceKey: `trace/${n}`,
  finalAnswer: answer,
  candidates: 1,
});
export const qa = (r: Partial<QaResult> = {}): QaResult => ({
  accepted: true,
  code: null,
  reason: null,
  accuracy: 1,
  format: 1,
  traceKey: 'trace/1',
  verdictKey: null,
  ...r,
});

/** A happy path through every stage (no revisit, judge accepts); tests override the stage they exercise. */
export function happy(over: Mocks = {}): Mocks {
  return {
    routeSample: () => route(),
    formalize: () => formalOk,
    reason: () => trace(),
    checkFormal: () => ({ checksKey: 'checks/1' }),
    qaRules: () => qa(),
    qaJudge: (i) => ({ ...i.rules, verdictKey: 'verdict/1' }),
    stageRecord: () => ({ staged: 'staged/1' }),
    ...over,
  };
}

/**
 * What activities/llm/gateway.ts throws when a role's endpoint refuses connections: retryable as thrown, so only the
 * sample workflow's own retry policy keeps it from being retried (workflows/endpoint-gate.ts then holds the sample).
 */
export const endpointDownFailure = (role: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: 'connect ECONNREFUSED',
    type: 'EndpointDown',
    nonRetryable: false,
    details: [{ role, host: `${role}.test`, error: 'ECONNREFUSED' }],
  });

/** A workflow's result, or a clear failure when it does not close in time (a stuck workflow task would hang the test). */
export async function within<T>(what: string, p: Promise<T>, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what}: not closed within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
