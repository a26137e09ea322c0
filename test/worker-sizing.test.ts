// The workflow worker's sizing follows the run's window (infra/worker.ts), and a role's `local` dispatch excludes a
// rate limit (core/endpoints.ts): the limit lives on the role's task queue, which a local activity never touches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveEndpoint } from '../core/endpoints.ts';
import { UsageError } from '../core/errors.ts';
import { boundHeapGrowth, HEAP_GROWTH_PERCENT, workflowWorkerSizing } from '../infra/worker.ts';
import { RunConfigSchema } from '../schemas/config.ts';

test('cache and slots follow the window: every running sample of a build stays cached', () => {
  assert.deepEqual(workflowWorkerSizing(200), {
    maxCachedWorkflows: 250,
    maxConcurrentWorkflowTaskExecutions: 250,
    maxConcurrentLocalActivityExecutions: 200,
  });
  assert.deepEqual(workflowWorkerSizing(8), {
    maxCachedWorkflows: 58,
    maxConcurrentWorkflowTaskExecutions: 58,
    maxConcurrentLocalActivityExecutions: 8,
  });
  // A sample with local LLM stages holds a workflow-task slot while its calls run: every sample in flight needs one.
  assert.ok(workflowWorkerSizing(2000).maxConcurrentWorkflowTaskExecutions >= 2000);
});

test('a role marked local resolves as local; local with rpm is refused, naming the role', () => {
  const ep = { baseUrl: 'http://judge.test/v1', model: 'j' };
  assert.equal(
    resolveEndpoint('judge', RunConfigSchema.parse({ roles: { judge: { ...ep, local: true } } }), {})?.local,
    true,
  );
  assert.equal(resolveEndpoint('judge', RunConfigSchema.parse({ roles: { judge: ep } }), {})?.local, undefined);
  assert.throws(
    () => resolveEndpoint('judge', RunConfigSchema.parse({ roles: { judge: { ...ep, local: true, rpm: 60 } } }), {}),
    (e) => e instanceof UsageError && /^roles\.judge: local and rpm exclude each other/.test(e.message),
  );
  assert.throws(
    () =>
      resolveEndpoint('judge', RunConfigSchema.parse({ roles: { judge: { ...ep, local: true } } }), {
        R1OV_JUDGE_RPM: '30',
      }),
    UsageError,
  );
});

test('the worker bounds its heaps’ growth, unless node was given its own growth', () => {
  const saved = process.env.NODE_OPTIONS;
  try {
    process.env.NODE_OPTIONS = '--enable-source-maps --heap-growing-percent=50';
    assert.equal(boundHeapGrowth(), 'heap growth as given (--heap-growing-percent=50)');
    delete process.env.NODE_OPTIONS;
    assert.equal(boundHeapGrowth(), `heap grows ${HEAP_GROWTH_PERCENT} % past live data`);
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
});
