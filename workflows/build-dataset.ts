import {
  ApplicationFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  CancellationScope,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { CPU_QUEUE, llmQueue, sampleWorkflowId, type RoleName } from '../schemas/queues.ts';
import { SA } from '../schemas/search-attributes.ts';
import type {
  BuildInputRaw,
  BuildProgress,
  BuildState,
  EndpointDown,
  Endpoints,
  IngestCursor,
  IngestPageResult,
  SampleOutcome,
} from '../schemas/workflow.ts';
import { buildInput } from './input-schemas.ts';
import { detailsMarkdown, memoOf } from './progress-view.ts';
import { sampleLifecycle } from './sample-lifecycle.ts';
import {
  endpointDownSignal,
  pauseBuild,
  progressQuery,
  resumeBuild,
  resumeSamples,
  sampleFinished,
} from './signals.ts';

/** The Web UI's details and the memo are refreshed at most this often (each memo upsert is a history event). */
const PUBLISH_EVERY_MS = 3_000;
/** While the circuit breaker holds the build, the failing endpoint is probed this often. */
const PROBE_EVERY_MS = 15_000;
/** Samples carried over a continue-as-new are looked at this often (workflows/build-dataset.ts followCarried). */
const FOLLOW_EVERY_MS = 5_000;
/**
 * …and handed back this long after the first of a look ends: each look re-opens one long poll per sample still
 * running, so a look per end would cost the server dearly; one per half second frees their places in the window
 * within that (waiting out FOLLOW_EVERY_MS left the window empty for seconds after each continue-as-new).
 */
const GATHER_MS = 500;
/**
 * Child starts on their way at once. Each start is a server task that records the child's start on this workflow:
 * the whole window at once contends for it and is retried; 8 at once capped the start rate near 50 samples/s and
 * let the window drain after each wave of ends; 32 keep it full (measured, bench/build/README.md).
 */
const MAX_STARTING = 32;
/** Builds whose history began before the read-ahead and 32 starts replay the old way (8 starts, no read-ahead). */
const READ_AHEAD_PATCH = 'build-read-ahead';
/** A sample cancelled on its own (the build is not) gives up its place instead of being waited for. */
const CANCELLED_ALONE_PATCH = 'sample-cancelled-alone';
/**
 * Continue as new near the server's warning limits (10,240 events, 10 MB), not at its early suggestion (4,096 events):
 * with samples in flight a continue-as-new costs the window a drain (its task is refused while children report), so
 * it comes every ~2,500 samples instead of every ~1,200. A suggestion for another reason is still followed.
 */
const RUN_MAX_EVENTS = 9_000;
const RUN_MAX_BYTES = 9 * 1024 * 1024;
/** Reason codes kept in the state (the top ones are shown; the rest would only grow history). */
const MAX_REASON_CODES = 20;

const cpu = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['UsageError'] },
});

// Shard commits heartbeat every few seconds: a worker that dies mid-commit is noticed in seconds, and the retry on
// another worker rewrites the same shard.
const committer = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['UsageError'] },
});

// Waits on samples an earlier run of the build started; heartbeats while it waits, so a lost worker is noticed.
const watcher = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// The breaker's probe runs on the role's own queue: that worker's network and key decide whether the endpoint is up.
const probeOn = (role: RoleName) =>
  proxyActivities<Activities>({
    taskQueue: llmQueue(role),
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  });

/** A loop beside the build's main line: a cancel of the build ends it (any other error is a bug and fails the task). */
function inBackground(loop: () => Promise<void>): void {
  void loop().catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
}

function initialState(): BuildState {
  return {
    cursor: { file: 0, row: 0 },
    ingested: 0,
    counts: { done: 0, rejected: 0, quarantined: 0 },
    byStage: {},
    inFlight: [],
    uncommitted: 0,
    shards: 0,
    pages: 0,
    startedAtMs: Date.now(),
    paused: false,
    generation: 0,
    total: null,
    byKind: {},
    halted: null,
    waiting: [],
    reasons: {},
    ahead: null,
  };
}

/**
 * A dataset build: page the source, keep a sliding window of sampleLifecycle children, commit finished records
 * to shards in batches, continue-as-new as history grows. Each child's completion is its report (samples carried over
 * a continue-as-new are followed by the awaitSamples activity); a child that sends `sampleFinished` is heard too.
 * The input is validated here (schemas/workflow.ts, defaults applied), so a script may start it with `{run, source}`.
 * A role whose endpoint keeps failing halts the build (no new samples; waiting ones keep their place) until a probe
 * of that endpoint succeeds or the user resumes.
 */
export async function buildDataset(raw: BuildInputRaw): Promise<BuildProgress> {
  const { BuildInputSchema, inputProblem } = await buildInput();
  const parsed = BuildInputSchema.safeParse(raw);
  // A bad input fails the workflow at once, naming the field (a plain throw would retry the task forever).
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(inputProblem('buildDataset', parsed.error), 'InvalidInput');
  const input = parsed.data;
  const { run, config } = input;
  const s: BuildState = input.state ?? initialState();
  const inFlight = new Set(s.inFlight);
  const waiting = new Set(s.waiting);
  let endpoints: Endpoints = input.endpoints ?? {};
  let phase: BuildProgress['phase'] = s.cursor ? 'ingesting' : 'draining';

  // Scripts may start the build without search attributes: it sets its own, so `R1ovRun = '<run>'` always finds it.
  const sa = workflowInfo().typedSearchAttributes;
  if (sa.get(SA.run) !== run || sa.get(SA.kind) !== 'build') {
    upsertSearchAttributes([
      { key: SA.run, value: run },
      { key: SA.kind, value: 'build' },
      { key: SA.source, value: input.source.slice(0, 200) },
    ]);
  }

  const progress = (): BuildProgress => {
    const finished = s.counts.done + s.counts.rejected + s.counts.quarantined;
    const elapsedSec = Math.max(0.001, (Date.now() - s.startedAtMs) / 1000);
    const ratePerSec = finished / elapsedSec;
    const total = s.total === null ? null : Math.max(s.total, s.ingested);
    const togo = total === null ? null : Math.max(0, total - finished);
    return {
      run,
      phase,
      paused: s.paused,
      halted: s.halted,
      waiting: waiting.size,
      total,
      ingested: s.ingested,
      inFlight: inFlight.size,
      counts: { ...s.counts },
      byStage: { ...s.byStage },
      byKind: { ...s.byKind },
      reasons: { ...s.reasons },
      finished,
      shards: s.shards,
      elapsedSec,
      ratePerSec,
      etaSec: togo === null ? null : togo === 0 ? 0 : ratePerSec > 0 && finished > 0 ? togo / ratePerSec : null,
      sourceExhausted: s.cursor === null,
    };
  };
  let publishedAtMs = -Infinity;
  let stale = false;
  /** Show progress in the Web UI (current details) and the memo; throttled unless `now` (then a timer catches up). */
  const publish = (now = false) => {
    if (!now && Date.now() - publishedAtMs < PUBLISH_EVERY_MS) {
      stale = true;
      return;
    }
    stale = false;
    publishedAtMs = Date.now();
    const p = progress();
    setCurrentDetails(detailsMarkdown(p));
    upsertMemo(memoOf(p));
  };

  // What a throttled publish skipped is shown one interval later, even if nothing else happens meanwhile.
  inBackground(async () => {
    for (;;) {
      await condition(() => stale);
      await sleep(PUBLISH_EVERY_MS);
      if (stale) publish(true);
    }
  });

  const resumeWaiting: Array<Promise<void>> = [];
  const clearHalt = () => {
    if (!s.halted) return;
    s.halted = null;
    for (const id of waiting)
      resumeWaiting.push(
        getExternalWorkflowHandle(id)
          .signal(resumeSamples)
          .catch(() => undefined),
      );
    waiting.clear();
    publish(true);
  };

  setHandler(progressQuery, progress);
  setHandler(pauseBuild, () => {
    s.paused = true;
    publish(true);
  });
  setHandler(resumeBuild, () => {
    s.paused = false;
    clearHalt();
    publish(true);
  });
  setHandler(endpointDownSignal, (d: EndpointDown) => {
    const id = d.sampleId === undefined ? undefined : sampleWorkflowId(run, d.sampleId);
    if (id && inFlight.has(id)) waiting.add(id);
    if (!s.halted) {
      s.halted = { role: d.role, host: d.host, error: d.error, atMs: Date.now() };
      publish(true);
    } else publish();
  });
  /** A sample's end, however it reaches this run (its completion, its signal, a look-up): counted once. */
  const finished = (o: SampleOutcome, id = sampleWorkflowId(run, o.sampleId)) => {
    if (!inFlight.delete(id)) return; // a duplicate report (a signal after the completion was read): already counted
    waiting.delete(id);
    s.counts[o.status]++;
    const key = `${o.status}:${o.stage}`;
    s.byStage[key] = (s.byStage[key] ?? 0) + 1;
    if (o.kind) s.byKind[o.kind] = (s.byKind[o.kind] ?? 0) + 1;
    if (o.reason) {
      const code = o.reason.split(':')[0]!.slice(0, 60);
      if (s.reasons[code] !== undefined || Object.keys(s.reasons).length < MAX_REASON_CODES)
        s.reasons[code] = (s.reasons[code] ?? 0) + 1;
    }
    s.uncommitted++;
    publish();
  };
  setHandler(sampleFinished, (o: SampleOutcome) => finished(o));
  /** A sample workflow that closed without an outcome (terminated, failed, timed out) still gives up its place. */
  const endedWithout = (workflowId: string, how: string) =>
    finished(
      {
        sampleId: workflowId.slice(`r1ov/${run}/`.length),
        status: 'quarantined',
        stage: 'record',
        kind: null,
        reason: `workflow_ended: sample workflow ${workflowId} ${how} without an outcome`,
      },
      workflowId,
    );

  /** Whether this run's history is as long as it should get (RUN_MAX_EVENTS, RUN_MAX_BYTES): time to continue as new. */
  const historyFull = () => {
    const i = workflowInfo();
    if (i.historyLength >= RUN_MAX_EVENTS || i.historySize >= RUN_MAX_BYTES) return true;
    return i.continueAsNewSuggested && (i.suggestedContinueAsNewReasons ?? []).includes('TOO_MANY_UPDATES');
  };
  /**
   * Whether a sample that ended cancelled was cancelled on its own (from the Web UI or the CLI): then it is counted
   * and the build goes on. A cancelled build's samples are not counted; the build's cancel path handles them.
   */
  const cancelledAlone = () => !CancellationScope.current().consideredCancelled && patched(CANCELLED_ALONE_PATCH);

  /**
   * The samples an earlier run of this build started (carried over a continue-as-new): this run hears no completion
   * of theirs, so an activity waits on their results, a few seconds at a time, and hands back those that ended.
   */
  const followCarried = async (ids: string[]): Promise<void> => {
    let left = ids;
    // A sample cancelled with the build is not counted here (as for the children this run started), and not asked
    // about again: its result is already final, so asking would return at once, over and over.
    const cancelled = new Set<string>();
    while (left.length) {
      for (const e of await watcher.awaitSamples({
        workflowIds: left,
        maxWaitMs: FOLLOW_EVERY_MS,
        gatherMs: GATHER_MS,
      })) {
        if (e.outcome) finished(e.outcome, e.workflowId);
        else if (e.how !== 'cancelled') endedWithout(e.workflowId, e.how);
        else if (cancelledAlone()) endedWithout(e.workflowId, 'was cancelled');
        else cancelled.add(e.workflowId);
      }
      left = left.filter((id) => inFlight.has(id) && !cancelled.has(id));
    }
  };
  if (input.state && inFlight.size > 0) inBackground(() => followCarried([...inFlight]));

  /** The circuit breaker: while halted, probe the failing role's endpoint; the first success resumes the build. */
  const probeWhileHalted = async (): Promise<void> => {
    for (;;) {
      await condition(() => s.halted !== null);
      const halted = s.halted!;
      const ep = endpoints[halted.role as RoleName];
      while (s.halted === halted) {
        if (await condition(() => s.halted !== halted, PROBE_EVERY_MS)) break;
        if (!ep) continue; // nothing to probe with: only `r1ov resume` clears it
        const r = await probeOn(halted.role as RoleName)
          .probeEndpoint(ep)
          .catch(() => null);
        if (r?.ok && s.halted === halted) clearHalt();
      }
    }
  };
  inBackground(probeWhileHalted);

  const commit = async () => {
    if (s.uncommitted === 0) return;
    const pending = s.uncommitted;
    const r = await committer.commitShard({ run });
    s.uncommitted -= pending;
    if (r.rows > 0) s.shards++;
  };

  const shouldContinueAsNew = () => historyFull() || s.pages >= config.pagesPerRun;
  /** Child starts issued and not yet confirmed: a run that continued as new before would never hear of them. */
  let starting = 0;
  /**
   * The page at the next cursor, read while this page's samples start: reading a page takes about as long as its
   * samples' first stage, and the window would drain while it is read. A continue-as-new hands it to the next run in
   * the state (reading is idempotent, so a failed or lost read is simply read again).
   */
  let readAhead: Promise<IngestPageResult> | null = s.ahead ? Promise.resolve(s.ahead) : null;
  s.ahead = null;
  const readsAhead = patched(READ_AHEAD_PATCH);
  const maxStarting = readsAhead ? MAX_STARTING : 8;
  const readPage = (cursor: IngestCursor, remaining: number | undefined) => {
    const page = cpu.ingestPage({ run, source: input.source, subsets: input.subsets, cursor, remaining, config });
    page.catch(() => undefined); // a failure surfaces where the page is awaited, not as an unhandled rejection
    return page;
  };
  const carryOn = async (): Promise<never> => {
    // The next run starts samples at once instead of letting the window drain while it reads the page again.
    if (readAhead) s.ahead = await readAhead.catch(() => null);
    await condition(() => starting === 0 && allHandlersFinished());
    await Promise.all(resumeWaiting);
    s.inFlight = [...inFlight];
    s.waiting = [...waiting];
    s.pages = 0;
    s.generation++;
    return continueAsNew<typeof buildDataset>({ ...input, endpoints, state: s });
  };
  const mayStart = () => !s.paused && !s.halted && inFlight.size < config.window;

  try {
    if (!input.state) {
      // The source's size (the progress total) and, for a build started without them, the endpoints: on a worker.
      const d = await cpu.describeBuild({
        source: input.source,
        subsets: input.subsets,
        limit: input.limit,
        config,
        endpoints: input.endpoints,
      });
      endpoints = d.endpoints;
      s.total = d.total;
      publish(true);
    }
    if (s.generation === 0 && s.pages === 0 && s.ingested === 0)
      await cpu.writeRunManifest({ run, source: input.source, status: 'running', counts: s.counts, config });

    while (s.cursor) {
      await condition(mayStart);
      const remaining = input.limit === undefined ? undefined : input.limit - s.ingested;
      if (remaining !== undefined && remaining <= 0) {
        s.cursor = null;
        break;
      }
      const page: IngestPageResult = await (readAhead ?? readPage(s.cursor, remaining));
      const after = remaining === undefined ? undefined : remaining - page.refs.length;
      readAhead = readsAhead && page.next && (after === undefined || after > 0) ? readPage(page.next, after) : null;
      for (const ref of page.refs) {
        await condition(mayStart);
        const workflowId = sampleWorkflowId(run, ref.sampleId);
        inFlight.add(workflowId);
        s.ingested++;
        // Not awaited: up to maxStarting samples start in one workflow task; each child's start and end reach this
        // run as events of their own (continue-as-new and cancel wait until every start is confirmed).
        await condition(() => starting < maxStarting);
        starting++;
        void startChild(sampleLifecycle, {
          workflowId,
          args: [{ run, ref, parentId: workflowInfo().workflowId, config, endpoints }],
          taskQueue: CPU_QUEUE,
          parentClosePolicy: ParentClosePolicy.ABANDON, // children outlive each continue-as-new of the build
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: [
            { key: SA.run, value: run },
            { key: SA.kind, value: 'sample' },
            { key: SA.source, value: ref.source },
            { key: SA.stage, value: 'route' },
          ],
        }).then(
          (child) => {
            starting--;
            // This run hears the child's completion (no signal needed); a cancelled child belongs to a cancelled build.
            void child.result().then(
              (o) => finished(o, workflowId),
              (err: unknown) => {
                if (!isCancellation(err)) endedWithout(workflowId, 'ended');
                else if (cancelledAlone()) endedWithout(workflowId, 'was cancelled');
              },
            );
          },
          (err: unknown) => {
            starting--;
            if (!isCancellation(err))
              endedWithout(
                workflowId,
                `could not start (${err instanceof Error ? err.message.split('\n')[0] : String(err)}) and ended`,
              );
          },
        );
      }
      s.cursor = page.next;
      s.pages++;
      if (s.uncommitted >= config.commitEvery) await commit();
      if (shouldContinueAsNew()) await carryOn();
    }

    phase = 'draining';
    publish(true);
    while (inFlight.size > 0) {
      await condition(() => inFlight.size === 0 || s.uncommitted >= config.commitEvery || historyFull());
      if (s.uncommitted >= config.commitEvery) await commit();
      if (inFlight.size > 0 && historyFull()) await carryOn();
    }
    phase = 'committing';
    await commit();
    phase = 'finished';
    await cpu.writeRunManifest({ run, source: input.source, status: 'completed', counts: s.counts, config });
    publish(true);
    return progress();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancel: stop the children still running, keep everything already finished queryable.
    await CancellationScope.nonCancellable(async () => {
      phase = 'cancelled';
      publish(true);
      await condition(() => starting === 0); // a child whose start is still on its way could not be cancelled yet
      await Promise.all(
        [...inFlight].map((id) =>
          getExternalWorkflowHandle(id)
            .cancel()
            .catch(() => undefined),
        ),
      );
      s.uncommitted = Math.max(s.uncommitted, 1);
      await commit();
      await cpu.writeRunManifest({ run, source: input.source, status: 'cancelled', counts: s.counts, config });
    });
    throw err;
  }
}
