/**
 * Quiet, useful logs and progress text: a failed activity attempt is one line (activity, attempt n/N, sample, error
 * class, role and host) with no stack unless verbose; warnings about task types a worker deliberately does not
 * serve are dropped; the progress line and the Web UI details say the total, the ETA and why a build is halted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { formatWorkerLog } from '../infra/worker-log.ts';
import { detailsMarkdown, memoOf, progressLine } from '../workflows/progress-view.ts';
import { BuildProgressSchema } from '../schemas/workflow.ts';

const failure = ApplicationFailure.create({
  type: 'EndpointDown',
  message: 'formalizer endpoint 127.0.0.1:9 (model m): connection failed: ECONNREFUSED',
  details: [{ role: 'formalizer', host: '127.0.0.1:9', error: 'ECONNREFUSED' }],
});
const meta = {
  attempt: 3,
  maxAttempts: 10,
  activityType: 'formalize',
  workflowId: 'r1ov/demo/chartqa-1#0',
  taskQueue: 'r1ov-llm-formalizer',
  error: failure,
};

test('a failed attempt is one line; the stack only with verbose', () => {
  const line = formatWorkerLog({ level: 'WARN', message: 'Activity failed', meta }, false)!;
  assert.equal(
    line,
    'WARN formalize attempt 3/10 r1ov/demo/chartqa-1#0: EndpointDown: formalizer endpoint 127.0.0.1:9 (model m): connection failed: ECONNREFUSED',
  );
  assert.ok(!line.includes('\n'));
  const verbose = formatWorkerLog({ level: 'WARN', message: 'Activity failed', meta }, true)!;
  assert.match(verbose, /"stack":/);
  // A plain Error (not an ApplicationFailure) names its class.
  const plain = formatWorkerLog(
    {
      level: 'WARN',
      message: 'Activity failed',
      meta: { ...meta, error: new TypeError('x is not a function\n    at foo (a.ts:1:1)') },
    },
    false,
  )!;
  assert.match(plain, /: TypeError: x is not a function at foo/);
});

test('warnings about what a worker deliberately does not serve are dropped; other entries keep one line', () => {
  assert.equal(
    formatWorkerLog(
      {
        level: 'WARN',
        message: 'No workflows registered, not polling for workflow tasks',
        meta: { taskQueue: 'r1ov-gpu' },
      },
      false,
    ),
    null,
  );
  const other = formatWorkerLog(
    {
      level: 'ERROR',
      message: 'Failing workflow task',
      meta: { workflowId: 'r1ov/x', workflowType: 'buildDataset', error: new Error('boom\nstack') },
    },
    false,
  )!;
  assert.equal(other, 'ERROR Failing workflow task (workflowId=r1ov/x workflowType=buildDataset): Error: boom stack');
});

const progress = (o: Partial<Record<string, unknown>>) =>
  BuildProgressSchema.parse({
    run: 'r',
    phase: 'ingesting',
    paused: false,
    ingested: 40,
    inFlight: 20,
    counts: { done: 15, rejected: 3, quarantined: 2 },
    byStage: { 'done:qa': 15 },
    finished: 20,
    shards: 0,
    elapsedSec: 10,
    ratePerSec: 2,
    sourceExhausted: false,
    total: 200,
    etaSec: 90,
    byKind: { chart: 12, table: 8 },
    reasons: { formal_invalid: 2, qa_wrong_answer: 3 },
    ...o,
  });

test('the progress line: the source total, percent, rate, ETA; a halt names the role, host, error and what resumes it', () => {
  assert.equal(
    progressLine(progress({})),
    '20/200 finished (10%) | done 15 rejected 3 quarantined 2 | in flight 20 | 2.0/s | ETA 1 min 30 s | ingesting',
  );
  assert.equal(
    progressLine(progress({ total: null, etaSec: null })),
    '20 finished (40 ingested so far) | done 15 rejected 3 quarantined 2 | in flight 20 | 2.0/s | ingesting',
  );
  const halted = progress({ halted: { role: 'reasoner', host: 'h:1', error: 'HTTP 401' }, waiting: 3 });
  assert.match(
    progressLine(halted),
    /HALTED: reasoner endpoint h:1 is down \(HTTP 401\); 3 samples waiting; resumes when a probe succeeds or on `r1ov resume r`$/,
  );
  const md = detailsMarkdown(halted);
  assert.match(md, /\*\*By kind:\*\* chart 12, table 8/);
  assert.match(md, /\*\*Top reasons:\*\* qa_wrong_answer 3, formal_invalid 2/);
  const memo = memoOf(halted);
  assert.equal(memo.state, 'halted');
  assert.deepEqual(BuildProgressSchema.parse(memo.snapshot), halted);
});

test("a sample's long workflow task is by design (its local LLM calls run inside it): not warned about", () => {
  const long = (workflowType: string) =>
    formatWorkerLog(
      {
        level: 'WARN',
        message: '[TMPRL1104] 01a215e8-ce81:4:1 Workflow task duration exceeded 5 seconds.',
        meta: { workflowType },
      },
      false,
    );
  assert.equal(long('sampleLifecycle'), null);
  assert.match(long('buildDataset')!, /^WARN \[TMPRL1104\].*\(workflowType=buildDataset\)$/);
});
