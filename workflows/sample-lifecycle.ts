import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LocalActivityOptions, SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import { SA } from '../schemas/search-attributes.ts';
import { llmQueue } from '../schemas/queues.ts';
import type { Stage, Status } from '../schemas/sample.ts';
import type {
  FormalResult,
  LifecycleInput,
  QaResult,
  RouteResult,
  SampleOutcome,
  TraceResult,
} from '../schemas/workflow.ts';
import { sampleFinished } from './signals.ts';
import { ENDPOINT_DOWN, endpointGate } from './endpoint-gate.ts';

/**
 * CPU stages are local activities: they run beside the workflow on the r1ov-cpu worker, recorded as markers,
 * which saves the server a task dispatch per stage (most of the per-sample cost on a small machine).
 */
const cpu = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['SampleRejected', 'ValidationError'] },
});
/** Recording must eventually succeed (it is idempotent and tolerates missing inputs), so it retries without limit. */
const recorder = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * LLM stages run on their role's queue, where the server enforces the endpoint's rate limit. The heartbeat timeout
 * (config `llmHeartbeatTimeoutSec`) is how long a call on a worker that died waits before it is retried elsewhere.
 * A role marked `local` (no rate limit; schemas/config.ts) runs its calls beside the workflow instead, as local
 * activities: no dispatch, start, completion or heartbeats on the server per call.
 */
function llmOf(role: 'router' | 'formalizer' | 'reasoner' | 'judge', heartbeatTimeoutSec = 120, local = false) {
  const options: LocalActivityOptions = {
    startToCloseTimeout: '10 minutes',
    scheduleToCloseTimeout: '2 hours', // a queue nobody serves must fail visibly, not hang forever
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: 10,
      nonRetryableErrorTypes: ['LlmRejected', ENDPOINT_DOWN],
    },
  };
  if (local) return proxyLocalActivities<Activities>(options);
  return proxyActivities<Activities>({
    ...options,
    taskQueue: llmQueue(role),
    heartbeatTimeout: `${heartbeatTimeoutSec} seconds`,
  });
}

/** The stage's own words when an activity fails for good: its ApplicationFailure message, one line. */
function failureReason(err: unknown): { code: string; message: string } {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { code: e.type ?? 'activity_failed', message: e.message.split('\n')[0]! };
  return { code: 'activity_failed', message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
}

/** Executable checks of the formal text (simulation, typed tables, reachability): a measurement, never a verdict. */
async function formalChecks(
  input: LifecycleInput,
  formalKey: string | null,
  finalAnswer: string | null,
): Promise<string | null> {
  try {
    return (await cpu.checkFormal({ run: input.run, ref: input.ref, formalKey, finalAnswer })).checksKey;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return null;
  }
}

/**
 * The revisit loop: up to `revisitRounds` rounds, each one activity on the reasoner's queue (the reasoner names what
 * it is unsure of, the vision model, the formalizer's endpoint, looks at the image, the reasoner answers again);
 * it stops early when the reasoner is sure. Returns the last trace and the description with the observations.
 */
async function revisitLoop(
  call: (role: 'reasoner') => ReturnType<typeof llmOf>,
  input: LifecycleInput,
  formalKey: string,
  first: TraceResult,
): Promise<{ trace: TraceResult; formalKey: string }> {
  const { run, ref, endpoints } = input;
  let trace = first;
  let key = formalKey;
  let logKey: string | null = null;
  for (let i = 0; i < input.config.revisitRounds; i++) {
    const r: Awaited<ReturnType<Activities['revisitRound']>> = await call('reasoner').revisitRound({
      run,
      ref,
      formalKey: key,
      traceKey: trace.traceKey,
      finalAnswer: trace.finalAnswer,
      logKey,
      reasoner: endpoints.reasoner!,
      vision: endpoints.formalizer!,
      judge: endpoints.judge ?? null,
    });
    logKey = r.revisitKey ?? logKey;
    trace = { traceKey: r.traceKey, finalAnswer: r.finalAnswer, candidates: trace.candidates, revisitKey: logKey };
    key = r.formalKey;
    if (r.stop) break;
  }
  return { trace, formalKey: key };
}

/**
 * Fidelity (--fidelity on a synthetic source): the model formalizer reads the same image, the reasoner answers from
 * its formalization, and the scores against the exact spec are staged. A measurement only: it never changes the
 * sample's outcome.
 */
async function measureFidelity(input: LifecycleInput, route: RouteResult): Promise<void> {
  const { run, ref, endpoints } = input;
  try {
    const model = await llmOf('formalizer', input.config.llmHeartbeatTimeoutSec, endpoints.formalizer?.local).formalize(
      {
        run,
        ref,
        route: { ...route, exact: false },
        endpoint: endpoints.formalizer!,
        maxRepairs: input.config.maxRepairs,
      },
    );
    let finalAnswer: string | null = null;
    if (model.valid && endpoints.reasoner) {
      const first = await llmOf('reasoner', input.config.llmHeartbeatTimeoutSec, endpoints.reasoner?.local).reason({
        run,
        ref,
        formalKey: model.formalKey!,
        endpoint: endpoints.reasoner,
        judge: null,
        candidates: 1,
      });
      finalAnswer = first.finalAnswer;
      if (input.config.revisitRounds > 0) {
        const { trace } = await revisitLoop(
          (role) => llmOf(role, input.config.llmHeartbeatTimeoutSec, endpoints[role]?.local),
          input,
          model.formalKey!,
          first,
        );
        await cpu.scoreRevisitFidelity({
          run,
          ref,
          firstAnswer: first.finalAnswer,
          finalAnswer: trace.finalAnswer,
          revisitKey: trace.revisitKey ?? null,
          modelName: endpoints.formalizer!.model,
        });
      }
    }
    await cpu.scoreFidelity({
      run,
      ref,
      model,
      finalAnswer,
      answered: !!endpoints.reasoner,
      modelName: endpoints.formalizer!.model,
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
  }
}

/**
 * One sample's life: route → formalize → reason → QA → record. Ends done, rejected (a stage said no, with reason)
 * or quarantined (an error, with reason), and tells the build it is finished.
 */
export async function sampleLifecycle(input: LifecycleInput): Promise<SampleOutcome> {
  const { run, ref, endpoints } = input;
  // LLM stages wait out an endpoint outage with the build's circuit breaker (workflows/endpoint-gate.ts).
  const gate = endpointGate(input.parentId, ref.sampleId);
  // The build reads its children's completions (workflows/build-dataset.ts); a sample whose parent id names another
  // workflow than the one that started it (a stand-in parent, a script) reports its end by signal.
  const signalEnd = workflowInfo().parent?.workflowId !== input.parentId;
  const llm = (role: Parameters<typeof llmOf>[0]) =>
    gate(llmOf(role, input.config.llmHeartbeatTimeoutSec, endpoints[role]?.local));
  let stage: Stage = 'route';
  let status: Status = 'done';
  let reason: { code: string; message: string } | null = null;
  let route: RouteResult | null = null;
  let formal: FormalResult | null = null;
  let trace: TraceResult | null = null;
  let qa: QaResult | null = null;
  let checksKey: string | null = null;
  // The stage a sample is in is a search attribute (R1ovStage) from the build's start (route) to its end (record);
  // each change rides on the workflow task that schedules the stage, the modality with the first one.
  const enter = (s: Stage, more: SearchAttributeUpdatePair[] = []) => {
    stage = s;
    upsertSearchAttributes([{ key: SA.stage, value: s }, ...more]);
  };

  try {
    route = await cpu.routeSample({ run, ref });
    if (route.quarantine) {
      status = 'quarantined';
      reason = route.quarantine;
      stage = 'ingest';
    } else {
      if (route.needsClassifier)
        route = await llm('router').classifyModality({ run, ref, endpoint: endpoints.router ?? null, route });
      if (route.reject) {
        status = 'rejected';
        reason = route.reject;
      } else {
        enter('formalize', route.kind ? [{ key: SA.modality, value: route.kind }] : []);
        formal = route.exact
          ? await cpu.formalizeExact({ run, ref })
          : await llm('formalizer').formalize({
              run,
              ref,
              route,
              endpoint: endpoints.formalizer!,
              maxRepairs: input.config.maxRepairs,
            });
        if (route.exact && formal.valid && input.config.fidelity && endpoints.formalizer)
          await measureFidelity(input, route);
        if (!formal.valid) {
          status = 'quarantined';
          reason = { code: 'formal_invalid', message: formal.error ?? 'formal description failed validation' };
        } else {
          enter('reason');
          trace = route.exact
            ? await cpu.reasonExact({ run, ref })
            : await llm('reasoner').reason({
                run,
                ref,
                formalKey: formal.formalKey!,
                endpoint: endpoints.reasoner!,
                judge: endpoints.judge ?? null,
                candidates: input.config.candidates,
              });
          let judgedFormalKey = formal.formalKey!;
          if (!route.exact && input.config.revisitRounds > 0 && endpoints.formalizer) {
            ({ trace, formalKey: judgedFormalKey } = await revisitLoop(llm, input, formal.formalKey!, trace));
          }
          checksKey = await formalChecks(input, formal.formalKey, trace.finalAnswer);
          enter('qa');
          qa = await cpu.qaRules({ run, ref, traceKey: trace.traceKey, config: input.config });
          if (qa.accepted && !route.exact && input.config.judge && endpoints.judge) {
            qa = await llm('judge').qaJudge({
              run,
              ref,
              formalKey: judgedFormalKey,
              rules: qa,
              endpoint: endpoints.judge,
              config: input.config,
            });
          }
          if (!qa.accepted) {
            status = 'rejected';
            reason = { code: qa.code ?? 'qa_rejected', message: qa.reason ?? 'rejected by the QA filter' };
          }
        }
      }
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    status = 'quarantined';
    reason = failureReason(err);
  }

  const finalStage = stage;
  const outcome: SampleOutcome = {
    sampleId: ref.sampleId,
    status,
    stage: finalStage,
    kind: route?.kind ?? null,
    reason: reason ? `${reason.code}: ${reason.message}` : null,
  };
  // Recording and telling the parent must happen even if a cancel arrives now: the sample is finished.
  await CancellationScope.nonCancellable(async () => {
    await recorder.stageRecord({
      run,
      ref,
      workflowId: workflowInfo().workflowId,
      status,
      stage: finalStage,
      reasonCode: reason?.code ?? null,
      reason: reason?.message ?? null,
      route,
      formal,
      trace,
      qa,
      checksKey,
    });
    upsertSearchAttributes([
      { key: SA.stage, value: 'record' },
      { key: SA.status, value: status },
      ...(route?.kind ? [{ key: SA.modality, value: route.kind }] : []),
    ]);
    if (!signalEnd) return;
    try {
      await getExternalWorkflowHandle(input.parentId).signal(sampleFinished, outcome);
    } catch {
      // The build already closed (cancelled or terminated): the record is in the shards, which is what counts.
    }
  });
  return outcome;
}
