// sampleLifecycle with mocked activities: every way a sample ends (done, rejected, quarantined), the exact and
// judge paths, the revisit loop, the endpoint gate, retries, cancel, and what the build hears from the child.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: named ESM imports are not detected
import { RunConfigSchema, type RunConfig } from '../../schemas/config.ts';
import { CPU_QUEUE, sampleWorkflowId } from '../../schemas/queues.ts';
import { SA } from '../../schemas/search-attributes.ts';
import type { Endpoints, SampleOutcome } from '../../schemas/workflow.ts';
import type { sampleLifecycle } from '../../workflows/sample-lifecycle.ts';
import type { ParentSeen, sampleParent } from '../support/workflows-under-test.ts';
import {
  ENDPOINTS,
  endpointDownFailure,
  formalOk,
  happy,
  latch,
  qa,
  route,
  runName,
  startWorkflowEnv,
  trace,
  until,
  within,
  type WorkflowEnv,
} from '../support/workflow-env.ts';

const { temporal } = proto;
let w: WorkflowEnv;
before(async () => {
  w = await startWorkflowEnv();
});
after(async () => {
  await w?.stop();
});

interface Ran {
  outcome: SampleOutcome;
  seen: ParentSeen;
  stage: unknown;
  status: unknown;
  modality: unknown;
}

/** One sample under a stand-in parent; returns its outcome, what the parent heard, and its final search attributes. */
async function runSample(config: Partial<RunConfig> = {}, endpoints: Endpoints = ENDPOINTS): Promise<Ran> {
  const run = runName('sample');
  const parentId = `parent/${run}`;
  const parent = await w.client.workflow.start<typeof sampleParent>('sampleParent', {
    taskQueue: CPU_QUEUE,
    workflowId: parentId,
    args: [1],
  });
  const ref = { sampleId: `${run}-s0`, sampleKey: `samples/${run}/s0.json`, source: 'unit-source' };
  const handle = await w.client.workflow.start<typeof sampleLifecycle>('sampleLifecycle', {
    taskQueue: CPU_QUEUE,
    workflowId: sampleWorkflowId(run, ref.sampleId),
    args: [{ run, ref, parentId, config: RunConfigSchema.parse({ revisitRounds: 0, ...config }), endpoints }],
    typedSearchAttributes: [
      { key: SA.run, value: run },
      { key: SA.kind, value: 'sample' },
      { key: SA.stage, value: 'route' },
    ],
  });
  const outcome = await within('the sample', handle.result());
  const seen = await within('the stand-in parent', parent.result());
  const sa = (await handle.describe()).typedSearchAttributes;
  return { outcome, seen, stage: sa.get(SA.stage), status: sa.get(SA.status), modality: sa.get(SA.modality) };
}

const called = (name: Parameters<WorkflowEnv['inputs']>[0]) => w.inputs(name).length;

describe('sampleLifecycle (mocked activities)', { timeout: 120_000 }, () => {
  test('done: every stage runs once, the record and the parent get the outcome, search attributes say record/done', async () => {
    w.mock(happy());
    const r = await runSample();
    assert.equal(r.outcome.status, 'done');
    assert.equal(r.outcome.stage, 'qa');
    assert.equal(r.outcome.kind, 'chart');
    assert.equal(r.outcome.reason, null);
    assert.deepEqual(r.seen.outcomes, [r.outcome]);
    assert.deepEqual([r.stage, r.status, r.modality], ['record', 'done', 'chart']);
    for (const n of ['routeSample', 'formalize', 'reason', 'checkFormal', 'qaRules', 'qaJudge', 'stageRecord'] as const)
      assert.equal(called(n), 1, n);
    assert.equal(called('classifyModality'), 0);
    assert.equal(called('revisitRound'), 0);
    const rec = w.inputs('stageRecord')[0]!;
    assert.equal(rec.status, 'done');
    assert.equal(rec.checksKey, 'checks/1');
    assert.equal(rec.qa?.verdictKey, 'verdict/1');
    assert.equal(rec.formal?.formalKey, 'formal/1');
    assert.equal(w.inputs('formalize')[0]!.endpoint.model, 'formalizer-model');
    assert.equal(w.inputs('formalize')[0]!.maxRepairs, 2);
  });

  test('quarantine at ingest: a sample with an ingest error stops at routing, recorded with its reason', async () => {
    w.mock(
      happy({
        routeSample: () => route({ kind: null, quarantine: { code: 'image_decode', message: 'not an image' } }),
      }),
    );
    const r = await runSample();
    assert.deepEqual(
      [r.outcome.status, r.outcome.stage, r.outcome.reason],
      ['quarantined', 'ingest', 'image_decode: not an image'],
    );
    assert.equal(called('formalize'), 0);
    assert.equal(w.inputs('stageRecord')[0]!.reasonCode, 'image_decode');
    assert.deepEqual([r.stage, r.status], ['record', 'quarantined']);
    assert.equal(r.seen.outcomes[0]!.status, 'quarantined');
  });

  test('quarantine: invalid formal text stops before reasoning with formal_invalid', async () => {
    w.mock(
      happy({
        formalize: () => ({
          formalKey: 'formal/bad',
          format: 'csv',
          valid: false,
          error: 'csv: row 3 has 2 cells, header has 3',
          attempts: 3,
        }),
      }),
    );
    const r = await runSample();
    assert.deepEqual([r.outcome.status, r.outcome.stage], ['quarantined', 'formalize']);
    assert.equal(r.outcome.reason, 'formal_invalid: csv: row 3 has 2 cells, header has 3');
    assert.equal(called('reason'), 0);
    assert.equal(called('qaRules'), 0);
    assert.equal(w.inputs('stageRecord')[0]!.formal?.valid, false);
  });

  test('quarantine: an LLM activity failing for good ends the sample at its stage with the failure type and message', async () => {
    w.mock(
      happy({
        reason: () => {
          throw ApplicationFailure.nonRetryable('model refused the request\nmore detail', 'LlmRejected');
        },
      }),
    );
    const r = await runSample();
    assert.deepEqual([r.outcome.status, r.outcome.stage], ['quarantined', 'reason']);
    assert.equal(r.outcome.reason, 'LlmRejected: model refused the request');
    assert.equal(called('reason'), 1, 'a non-retryable failure is not retried');
    assert.equal(called('qaRules'), 0);
    assert.equal(w.inputs('stageRecord')[0]!.reasonCode, 'LlmRejected');
  });

  test('quarantine: a CPU stage failing for good (ValidationError) is not retried', async () => {
    w.mock(
      happy({
        qaRules: () => {
          throw ApplicationFailure.create({ message: 'trace blob missing', type: 'ValidationError' });
        },
      }),
    );
    const r = await runSample();
    assert.deepEqual(
      [r.outcome.status, r.outcome.stage, r.outcome.reason],
      ['quarantined', 'qa', 'ValidationError: trace blob missing'],
    );
    assert.equal(called('qaRules'), 1);
  });

  test('reject at routing: the classifier on the router queue says no_reasoning', async () => {
    w.mock(
      happy({
        routeSample: () => route({ kind: null, needsClassifier: true }),
        classifyModality: (i) => ({
          ...i.route,
          kind: 'natural',
          needsClassifier: false,
          reject: { code: 'no_reasoning', message: 'a photo with a lookup question' },
        }),
      }),
    );
    const r = await runSample();
    assert.deepEqual([r.outcome.status, r.outcome.stage, r.outcome.kind], ['rejected', 'route', 'natural']);
    assert.equal(r.outcome.reason, 'no_reasoning: a photo with a lookup question');
    assert.equal(w.inputs('classifyModality')[0]!.endpoint?.model, 'router-model');
    assert.equal(called('formalize'), 0);
    assert.equal(r.modality, 'natural');
    assert.equal(r.seen.outcomes[0]!.reason, r.outcome.reason);
  });

  test('reject by the QA rules: the judge is not asked', async () => {
    w.mock(
      happy({ qaRules: () => qa({ accepted: false, code: 'answer_mismatch', reason: 'final answer C, gold B' }) }),
    );
    const r = await runSample();
    assert.deepEqual(
      [r.outcome.status, r.outcome.stage, r.outcome.reason],
      ['rejected', 'qa', 'answer_mismatch: final answer C, gold B'],
    );
    assert.equal(called('qaJudge'), 0);
    assert.equal(w.inputs('stageRecord')[0]!.qa?.accepted, false);
  });

  test('reject by the judge: it gets the rules verdict and the formal key; its verdict decides', async () => {
    w.mock(
      happy({
        qaJudge: (i) => ({
          ...i.rules,
          accepted: false,
          code: 'judge_wrong',
          reason: 'the trace misreads the axis',
          verdictKey: 'verdict/9',
        }),
      }),
    );
    const r = await runSample();
    assert.deepEqual(
      [r.outcome.status, r.outcome.stage, r.outcome.reason],
      ['rejected', 'qa', 'judge_wrong: the trace misreads the axis'],
    );
    const j = w.inputs('qaJudge')[0]!;
    assert.equal(j.formalKey, 'formal/1');
    assert.equal(j.rules.accepted, true);
    assert.equal(j.endpoint.model, 'judge-model');
  });

  test('judge off (config.judge false or no judge endpoint): the rules verdict stands', async () => {
    w.mock(happy());
    const r = await runSample({ judge: false });
    assert.equal(r.outcome.status, 'done');
    assert.equal(called('qaJudge'), 0);
    w.mock(happy());
    const { judge: _judge, ...noJudge } = ENDPOINTS;
    const r2 = await runSample({}, noJudge);
    assert.equal(r2.outcome.status, 'done');
    assert.equal(called('qaJudge'), 0);
    assert.equal(w.inputs('reason')[0]!.judge, null);
  });

  test('exact (synthetic) path: CPU formalize/reason, no LLM stage, no judge, no revisit', async () => {
    w.mock(
      happy({
        routeSample: () => route({ kind: 'diagram', subkind: 'circuit', routeBy: 'synthetic', exact: true }),
        formalizeExact: () => ({ ...formalOk, formalKey: 'formal/exact' }),
        reasonExact: () => trace(7, '12'),
      }),
    );
    const r = await runSample({ revisitRounds: 2 });
    assert.deepEqual([r.outcome.status, r.outcome.stage, r.outcome.kind], ['done', 'qa', 'diagram']);
    for (const n of ['formalize', 'reason', 'qaJudge', 'revisitRound', 'scoreFidelity'] as const)
      assert.equal(called(n), 0, n);
    assert.equal(called('formalizeExact'), 1);
    assert.equal(w.inputs('qaRules')[0]!.traceKey, 'trace/7');
    assert.deepEqual(
      [w.inputs('checkFormal')[0]!.formalKey, w.inputs('checkFormal')[0]!.finalAnswer],
      ['formal/exact', '12'],
    );
  });

  test('exact path with --fidelity: the model formalizer and reasoner are measured against the spec, the outcome is unchanged', async () => {
    w.mock(
      happy({
        routeSample: () => route({ kind: 'chart', routeBy: 'synthetic', exact: true }),
        formalizeExact: () => formalOk,
        reasonExact: () => trace(),
        formalize: () => ({ ...formalOk, formalKey: 'formal/model' }),
        reason: () => trace(2, 'C'),
        revisitRound: (i) => ({
          traceKey: 'trace/3',
          finalAnswer: 'B',
          candidates: 1,
          formalKey: i.formalKey,
          revisitKey: 'revisit/1',
          stop: true,
        }),
        scoreRevisitFidelity: () => ({ staged: 'fid/r' }),
        scoreFidelity: () => ({ staged: 'fid/1', metrics: [] }),
      }),
    );
    const r = await runSample({ fidelity: true, revisitRounds: 1 });
    assert.equal(r.outcome.status, 'done');
    assert.equal(w.inputs('formalize')[0]!.route.exact, false, 'the model formalizer runs as on a real source');
    assert.equal(w.inputs('reason')[0]!.formalKey, 'formal/model');
    assert.deepEqual(
      w.inputs('scoreRevisitFidelity').map((i) => [i.firstAnswer, i.finalAnswer, i.revisitKey]),
      [['C', 'B', 'revisit/1']],
    );
    const f = w.inputs('scoreFidelity')[0]!;
    assert.deepEqual(
      [f.finalAnswer, f.answered, f.modelName],
      ['C', true, 'formalizer-model'],
      'the first pass is scored here, the revisit on its own',
    );
    assert.equal(w.inputs('qaRules')[0]!.traceKey, 'trace/1', 'QA judges the exact trace, not the measured one');
  });

  test('a failing fidelity measurement never changes the outcome', async () => {
    w.mock(
      happy({
        routeSample: () => route({ exact: true }),
        formalizeExact: () => formalOk,
        reasonExact: () => trace(),
        formalize: () => {
          throw ApplicationFailure.nonRetryable('bad output', 'LlmRejected');
        },
      }),
    );
    const r = await runSample({ fidelity: true });
    assert.equal(r.outcome.status, 'done');
    assert.equal(called('scoreFidelity'), 0);
  });

  test('revisit loop: rounds chain trace, log and formal key, stop early when the reasoner is sure, QA sees the last round', async () => {
    let round = 0;
    w.mock(
      happy({
        revisitRound: (i) => {
          round++;
          return {
            traceKey: `trace/r${round}`,
            finalAnswer: round === 1 ? 'C' : 'D',
            candidates: 1,
            formalKey: `${i.formalKey}+obs${round}`,
            revisitKey: `revisit/${round}`,
            stop: round === 2,
          };
        },
        qaRules: (i) => qa({ traceKey: i.traceKey }),
      }),
    );
    const r = await runSample({ revisitRounds: 3 });
    assert.equal(r.outcome.status, 'done');
    const rounds = w.inputs('revisitRound');
    assert.equal(rounds.length, 2, 'stops after the round that says stop');
    assert.deepEqual(
      [rounds[0]!.traceKey, rounds[0]!.finalAnswer, rounds[0]!.logKey, rounds[0]!.formalKey],
      ['trace/1', 'B', null, 'formal/1'],
    );
    assert.deepEqual(
      [rounds[1]!.traceKey, rounds[1]!.finalAnswer, rounds[1]!.logKey, rounds[1]!.formalKey],
      ['trace/r1', 'C', 'revisit/1', 'formal/1+obs1'],
    );
    assert.deepEqual(
      [rounds[0]!.vision.model, rounds[0]!.reasoner.model, rounds[0]!.judge?.model],
      ['formalizer-model', 'reasoner-model', 'judge-model'],
    );
    assert.equal(w.inputs('qaRules')[0]!.traceKey, 'trace/r2');
    assert.equal(w.inputs('checkFormal')[0]!.finalAnswer, 'D');
    assert.equal(w.inputs('checkFormal')[0]!.formalKey, 'formal/1', 'checks read the formal text as formalized');
    assert.equal(
      w.inputs('qaJudge')[0]!.formalKey,
      'formal/1+obs1+obs2',
      'the judge sees the description with the observations',
    );
    assert.equal(w.inputs('stageRecord')[0]!.trace?.revisitKey, 'revisit/2');
  });

  test('revisit loop: runs at most revisitRounds rounds; a failing round quarantines at reason', async () => {
    w.mock(
      happy({
        revisitRound: (i) => ({
          traceKey: i.traceKey,
          finalAnswer: i.finalAnswer,
          candidates: 1,
          formalKey: i.formalKey,
          revisitKey: 'revisit/x',
          stop: false,
        }),
      }),
    );
    const r = await runSample({ revisitRounds: 2 });
    assert.equal(r.outcome.status, 'done');
    assert.equal(called('revisitRound'), 2);
    w.mock(
      happy({
        revisitRound: () => {
          throw ApplicationFailure.nonRetryable('vision endpoint refused', 'LlmRejected');
        },
      }),
    );
    const r2 = await runSample({ revisitRounds: 2 });
    assert.deepEqual(
      [r2.outcome.status, r2.outcome.stage, r2.outcome.reason],
      ['quarantined', 'reason', 'LlmRejected: vision endpoint refused'],
    );
  });

  test('a failing formal check is a missing measurement, not a failure', async () => {
    w.mock(
      happy({
        checkFormal: () => {
          throw ApplicationFailure.nonRetryable('spice crashed', 'ValidationError');
        },
      }),
    );
    const r = await runSample();
    assert.equal(r.outcome.status, 'done');
    assert.equal(w.inputs('stageRecord')[0]!.checksKey, null);
  });

  test('a transient record failure is retried until it succeeds: the sample is recorded exactly as decided', async () => {
    let tries = 0;
    w.mock(
      happy({
        stageRecord: () => {
          if (++tries === 1) throw new Error('disk busy');
          return { staged: 'staged/2' };
        },
      }),
    );
    const r = await runSample();
    assert.equal(r.outcome.status, 'done');
    assert.equal(called('stageRecord'), 2);
    assert.equal(r.seen.outcomes.length, 1);
  });

  test('endpoint gate: an LLM endpoint that is down is reported to the build, the sample waits and retries the stage on resumeSamples', async () => {
    let down = true;
    w.mock(
      happy({
        formalize: () => {
          if (down) throw endpointDownFailure('formalizer');
          return formalOk;
        },
      }),
    );
    const run = runName('gate');
    const parentId = `parent/${run}`;
    const parent = await w.client.workflow.start<typeof sampleParent>('sampleParent', {
      taskQueue: CPU_QUEUE,
      workflowId: parentId,
      args: [1],
    });
    const ref = { sampleId: `${run}-s0`, sampleKey: 'k', source: 'unit-source' };
    const handle = await w.client.workflow.start<typeof sampleLifecycle>('sampleLifecycle', {
      taskQueue: CPU_QUEUE,
      workflowId: sampleWorkflowId(run, ref.sampleId),
      args: [{ run, ref, parentId, config: RunConfigSchema.parse({ revisitRounds: 0 }), endpoints: ENDPOINTS }],
    });
    const seen = await until('the endpoint-down report', async () => {
      const s = await parent.query<ParentSeen>('seen');
      return s.endpointDown.length > 0 && s;
    });
    assert.deepEqual(seen.endpointDown, [
      { role: 'formalizer', host: 'formalizer.test', error: 'ECONNREFUSED', sampleId: ref.sampleId },
    ]);
    assert.equal(called('formalize'), 1, "an endpoint that is down does not burn the stage's retries");
    down = false;
    await handle.signal('resumeSamples');
    const outcome = await handle.result();
    assert.equal(outcome.status, 'done');
    assert.equal(called('formalize'), 2);
    assert.equal((await parent.result()).outcomes.length, 1);
  });

  test('endpoint gate without a build to hold the sample: it is quarantined with the endpoint error', async () => {
    w.mock(
      happy({
        reason: () => {
          throw endpointDownFailure('reasoner');
        },
      }),
    );
    const run = runName('gate-orphan');
    const ref = { sampleId: `${run}-s0`, sampleKey: 'k', source: 'unit-source' };
    const outcome = await w.client.workflow.execute<typeof sampleLifecycle>('sampleLifecycle', {
      taskQueue: CPU_QUEUE,
      workflowId: sampleWorkflowId(run, ref.sampleId),
      args: [
        {
          run,
          ref,
          parentId: `parent/${run}-gone`,
          config: RunConfigSchema.parse({ revisitRounds: 0 }),
          endpoints: ENDPOINTS,
        },
      ],
    });
    assert.deepEqual(
      [outcome.status, outcome.stage, outcome.reason],
      ['quarantined', 'reason', 'EndpointDown: connect ECONNREFUSED'],
    );
  });

  test('roles marked local: every LLM stage runs as a local activity beside the workflow (no task on a role queue), same outcome', async () => {
    w.mock(
      happy({
        revisitRound: (i) => ({
          traceKey: 'trace/2',
          finalAnswer: 'B',
          candidates: 1,
          formalKey: i.formalKey,
          revisitKey: 'revisit/1',
          stop: true,
        }),
      }),
    );
    const local = Object.fromEntries(
      Object.entries(ENDPOINTS).map(([role, e]) => [role, { ...e, local: true }]),
    ) as Endpoints;
    const r = await runSample({ revisitRounds: 1 }, local);
    assert.equal(r.outcome.status, 'done');
    assert.deepEqual([r.stage, r.status, r.modality], ['record', 'done', 'chart']);
    for (const n of ['routeSample', 'formalize', 'reason', 'revisitRound', 'qaJudge', 'stageRecord'] as const)
      assert.equal(called(n), 1, n);
    const events =
      (
        await w.client.workflow
          .getHandle(sampleWorkflowId(r.outcome.sampleId.replace(/-s0$/, ''), r.outcome.sampleId))
          .fetchHistory()
      ).events ?? [];
    const type = (n: string) => events.filter((e) => temporal.api.enums.v1.EventType[e.eventType!] === n).length;
    assert.equal(type('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'), 0, 'no activity task on any queue');
    assert.equal(
      type('EVENT_TYPE_MARKER_RECORDED'),
      8,
      'route, formalize, reason, revisit, checks, QA rules, judge, record',
    );
  });

  test('cancel: a sample cancelled mid-stage ends cancelled, its LLM activity is cancelled, nothing is recorded', async () => {
    const started = latch();
    w.mock(
      happy({
        reason: async () => {
          started.open();
          for (;;) {
            Context.current().heartbeat();
            await Context.current().sleep(50); // rejects once the cancel arrives with a heartbeat response
          }
        },
      }),
    );
    const run = runName('cancel');
    const ref = { sampleId: `${run}-s0`, sampleKey: 'k', source: 'unit-source' };
    const handle = await w.client.workflow.start<typeof sampleLifecycle>('sampleLifecycle', {
      taskQueue: CPU_QUEUE,
      workflowId: sampleWorkflowId(run, ref.sampleId),
      args: [
        {
          run,
          ref,
          parentId: `parent/${run}`,
          config: RunConfigSchema.parse({ revisitRounds: 0 }),
          endpoints: ENDPOINTS,
        },
      ],
    });
    await started.promise;
    await handle.cancel();
    await assert.rejects(
      within('the cancelled sample', handle.result()),
      (e) => e instanceof WorkflowFailedError && e.cause?.name === 'CancelledFailure',
    );
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.equal(called('stageRecord'), 0);
  });
});
