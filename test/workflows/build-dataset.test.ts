// buildDataset with mocked activities (the sampleLifecycle children run for real on the same mocks): a whole build,
// the limit, continue-as-new, pause/resume, the circuit breaker, cancel, and a malformed input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import {
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RunConfig } from '../../schemas/config.ts';
import { CPU_QUEUE, buildWorkflowId, sampleWorkflowId } from '../../schemas/queues.ts';
import { SA } from '../../schemas/search-attributes.ts';
import type { BuildInputRaw, BuildProgress, IngestPageResult } from '../../schemas/workflow.ts';
import type { buildDataset } from '../../workflows/build-dataset.ts';
import {
  ENDPOINTS,
  endpointDownFailure,
  formalOk,
  happy,
  latch,
  route,
  runName,
  startWorkflowEnv,
  until,
  within,
  type Mocks,
  type WorkflowEnv,
} from '../support/workflow-env.ts';

let w: WorkflowEnv;
before(async () => {
  w = await startWorkflowEnv();
});
after(async () => {
  await w?.stop();
});

/** A source of pages of sample ids: the cursor's row is the page number; `remaining` (the limit) is honoured. */
function source(pages: string[][]): Mocks {
  return {
    describeBuild: (i) => ({ total: pages.flat().length, endpoints: i.endpoints ?? ENDPOINTS }),
    writeRunManifest: () => undefined,
    commitShard: () => ({ rows: 1, shard: 'shard', llmCalls: 0 }),
    ingestPage: (i): IngestPageResult => {
      const p = i.cursor.row;
      const ids = pages[p]!.slice(0, i.remaining ?? Infinity);
      return {
        refs: ids.map((id) => ({ sampleId: id, sampleKey: `samples/${id}.json`, source: 'unit-source' })),
        next: p + 1 < pages.length ? { file: 0, row: p + 1 } : null,
        rowsRead: ids.length,
      };
    },
  };
}

/** Samples whose id says so are rejected at routing or quarantined at ingest; the rest pass. */
const byId: Mocks = {
  routeSample: (i) =>
    i.ref.sampleId.includes('rej')
      ? route({ kind: 'natural', reject: { code: 'no_reasoning', message: 'lookup question' } })
      : i.ref.sampleId.includes('quar')
        ? route({ kind: null, quarantine: { code: 'image_decode', message: 'truncated PNG' } })
        : route(),
};

async function startBuild(
  config: Partial<RunConfig>,
  extra: Partial<BuildInputRaw> = {},
): Promise<{ run: string; handle: WorkflowHandleWithFirstExecutionRunId<typeof buildDataset> }> {
  const run = runName('build');
  const handle = await w.client.workflow.start<typeof buildDataset>('buildDataset', {
    taskQueue: CPU_QUEUE,
    workflowId: buildWorkflowId(run),
    args: [{ run, source: 'unit:source', endpoints: ENDPOINTS, config: { revisitRounds: 0, ...config }, ...extra }],
  });
  return { run, handle };
}
const progress = (h: WorkflowHandle) => h.query<BuildProgress>('progress');
const manifests = () => w.inputs('writeRunManifest').map((m) => m.status);

describe('buildDataset (mocked activities, real children)', { timeout: 120_000 }, () => {
  test('a whole build: every sample finishes once, counts by status/stage/kind/reason, shards committed, manifest completed', async () => {
    w.mock({
      ...happy(byId),
      ...source([
        ['a1', 'rej2'],
        ['quar3', 'a4'],
      ]),
    });
    const { run, handle } = await startBuild({ commitEvery: 2 });
    const p = await within('the build', handle.result(), 30_000);
    assert.equal(p.phase, 'finished');
    assert.deepEqual(p.counts, { done: 2, rejected: 1, quarantined: 1 });
    assert.deepEqual(p.byStage, { 'done:qa': 2, 'rejected:route': 1, 'quarantined:ingest': 1 });
    assert.deepEqual(p.byKind, { chart: 2, natural: 1 });
    assert.deepEqual(p.reasons, { no_reasoning: 1, image_decode: 1 });
    assert.deepEqual([p.ingested, p.inFlight, p.finished, p.total, p.sourceExhausted], [4, 0, 4, 4, true]);
    assert.ok(p.shards >= 1);
    assert.deepEqual(manifests(), ['running', 'completed']);
    assert.deepEqual(w.inputs('writeRunManifest')[1]!.counts, p.counts);
    assert.equal(w.inputs('describeBuild').length, 1);
    assert.equal(w.inputs('stageRecord').length, 4);
    const d = await handle.describe();
    assert.deepEqual(
      [
        d.typedSearchAttributes.get(SA.run),
        d.typedSearchAttributes.get(SA.kind),
        d.typedSearchAttributes.get(SA.source),
      ],
      [run, 'build', 'unit:source'],
    );
    assert.equal((d.memo as { state?: string }).state, 'finished');
    const child = await w.client.workflow.getHandle(sampleWorkflowId(run, 'rej2')).describe();
    assert.deepEqual(
      [
        child.typedSearchAttributes.get(SA.run),
        child.typedSearchAttributes.get(SA.kind),
        child.typedSearchAttributes.get(SA.status),
        child.typedSearchAttributes.get(SA.stage),
      ],
      [run, 'sample', 'rejected', 'record'],
    );
    // The histories replay on the same code: no non-determinism in the build or its children.
    await w.replay(handle.workflowId);
    await w.replay(sampleWorkflowId(run, 'a1'));
  });

  test('the limit stops ingestion: pages are asked for what remains', async () => {
    w.mock({ ...happy(), ...source([['a', 'b'], ['c', 'd'], ['e']]) });
    const { handle } = await startBuild({}, { limit: 3 });
    const p = await within('the build', handle.result(), 30_000);
    assert.deepEqual([p.ingested, p.counts.done], [3, 3]);
    assert.deepEqual(
      w.inputs('ingestPage').map((i) => i.remaining),
      [3, 1],
    );
  });

  test('continue-as-new: pagesPerRun 1 starts a new run per page, the state (cursor, counts, in-flight children) carries over', async () => {
    const runIds: string[] = [];
    const src = source([['c1', 'c2'], ['c3', 'rej4'], ['c5']]);
    w.mock({
      ...happy(byId),
      ...src,
      ingestPage: (i) => {
        runIds.push(Context.current().info.workflowExecution?.runId ?? '');
        return src.ingestPage!(i);
      },
    });
    const { handle } = await startBuild({ pagesPerRun: 1, commitEvery: 100 });
    const firstRunId = handle.firstExecutionRunId;
    const p = await within('the build', handle.result(), 30_000); // follows the chain of runs
    assert.deepEqual(p.counts, { done: 4, rejected: 1, quarantined: 0 });
    assert.equal(p.ingested, 5);
    // Each run starts one page's samples and reads the next page ahead, which it hands to the next run in its state:
    // run 1 reads pages 1 and 2, run 2 reads page 3, run 3 reads none. Every page is read once.
    assert.deepEqual(
      w.inputs('ingestPage').map((i) => i.cursor.row),
      [0, 1, 2],
      'each page read once: a page read ahead is carried over, not read again',
    );
    assert.deepEqual(runIds.slice(0, 2), [firstRunId, firstRunId]);
    assert.notEqual(runIds[2], firstRunId);
    assert.equal(w.inputs('describeBuild').length, 1, 'the source is described once, not per run');
    assert.deepEqual(manifests(), ['running', 'completed']);
    assert.equal(
      (await w.client.workflow.getHandle(handle.workflowId, firstRunId).describe()).status.name,
      'CONTINUED_AS_NEW',
    );
    await w.replay(handle.workflowId, firstRunId);
    const last = await w.client.workflow.getHandle(handle.workflowId).describe();
    assert.ok(![firstRunId, runIds[2]].includes(last.runId), 'a third run starts the last page');
    assert.equal(last.status.name, 'COMPLETED');
    assert.equal(last.typedSearchAttributes.get(SA.kind), 'build');
  });

  test('pause holds new samples (the running one finishes), resume goes on to the end', async () => {
    const hold = latch();
    w.mock({
      ...happy({
        formalize: async (i) => {
          if (i.ref.sampleId === 'p1') await hold.promise;
          return formalOk;
        },
      }),
      ...source([['p1', 'p2', 'p3']]),
    });
    const { handle } = await startBuild({ window: 1 });
    await until('the first sample to be formalizing', () => w.inputs('formalize').length === 1);
    await handle.signal('pause');
    await until('paused', async () => (await progress(handle)).paused);
    hold.open();
    const held = await until('the running sample to finish', async () => {
      const p = await progress(handle);
      return p.finished === 1 && p;
    });
    assert.deepEqual([held.ingested, held.inFlight, held.paused], [1, 0, true], 'no new sample started while paused');
    assert.equal(((await handle.describe()).memo as { state?: string }).state, 'paused');
    await handle.signal('resume');
    const p = await within('the build', handle.result(), 30_000);
    assert.deepEqual([p.counts.done, p.paused], [3, false]);
  });

  test('circuit breaker: a role whose endpoint is down halts the build (no new sample even in a free slot), resume releases the waiting one', async () => {
    let down = true;
    const hold = latch();
    w.mock({
      ...happy({
        formalize: async (i) => {
          if (i.ref.sampleId === 'h1' && down) throw endpointDownFailure('formalizer');
          if (i.ref.sampleId === 'h2') await hold.promise;
          return formalOk;
        },
      }),
      ...source([['h1', 'h2'], ['h3']]),
    });
    const { handle } = await startBuild({ window: 2 });
    const halted = await until('h1 waiting on the endpoint', async () => {
      const p = await progress(handle);
      return p.waiting === 1 && p;
    });
    assert.deepEqual(halted.halted && [halted.halted.role, halted.halted.host, halted.halted.error], [
      'formalizer',
      'formalizer.test',
      'ECONNREFUSED',
    ]);
    hold.open();
    const held = await until('h2 to finish', async () => {
      const p = await progress(handle);
      return p.finished === 1 && p;
    });
    assert.deepEqual(
      [held.ingested, held.inFlight, held.waiting],
      [2, 1, 1],
      'a free slot, but no new sample while halted',
    );
    // The page after the first was read ahead while h1 and h2 started (workflows/build-dataset.ts); none after it.
    assert.ok(w.inputs('ingestPage').length <= 2, 'no page beyond the one read ahead while halted');
    assert.equal(((await handle.describe()).memo as { state?: string }).state, 'halted');
    down = false;
    await handle.signal('resume');
    const p = await within('the build', handle.result(), 30_000);
    assert.deepEqual(p.counts, { done: 3, rejected: 0, quarantined: 0 }, 'each sample finishes exactly once');
    assert.equal(p.halted, null);
    assert.equal(
      w.inputs('formalize').filter((i) => i.ref.sampleId === 'h1').length,
      2,
      'the stage ran again after the resume',
    );
  });

  test('cancel: running children are cancelled, what finished is committed, the manifest says cancelled', async () => {
    w.mock({
      ...happy({
        formalize: async () => {
          for (;;) {
            Context.current().heartbeat();
            await Context.current().sleep(50); // rejects once the cancel arrives with a heartbeat response
          }
        },
      }),
      ...source([['x1', 'x2', 'x3']]),
    });
    const { run, handle } = await startBuild({ window: 2 });
    await until('two samples formalizing', () => w.inputs('formalize').length === 2);
    await handle.cancel();
    await assert.rejects(
      within('the cancelled build', handle.result()),
      (e) => e instanceof WorkflowFailedError && e.cause?.name === 'CancelledFailure',
    );
    for (const id of ['x1', 'x2']) {
      const h = w.client.workflow.getHandle(sampleWorkflowId(run, id));
      await until(`${id} cancelled`, async () => (await h.describe()).status.name === 'CANCELLED');
    }
    assert.equal(w.inputs('ingestPage').length, 1);
    assert.equal(w.inputs('commitShard').length, 1);
    assert.deepEqual(manifests(), ['running', 'cancelled']);
    assert.equal(w.inputs('stageRecord').length, 0);
  });

  test('a sample cancelled on its own (Web UI, CLI) gives up its place: the build finishes, counting it quarantined', async () => {
    w.mock({
      ...happy({
        formalize: async (i) => {
          if (i.ref.sampleId !== 'k2') return formalOk;
          for (;;) {
            Context.current().heartbeat();
            await Context.current().sleep(50); // rejects once the cancel arrives with a heartbeat response
          }
        },
      }),
      ...source([['k1', 'k2', 'k3']]),
    });
    const { run, handle } = await startBuild({ window: 3 });
    await until('k2 formalizing', () => w.inputs('formalize').some((i) => i.ref.sampleId === 'k2'));
    await w.client.workflow.getHandle(sampleWorkflowId(run, 'k2')).cancel();
    const p = await within('the build', handle.result());
    assert.deepEqual(p.counts, { done: 2, rejected: 0, quarantined: 1 });
    assert.equal(p.reasons.workflow_ended, 1);
    assert.deepEqual(manifests(), ['running', 'completed']);
    await w.replay(handle.workflowId);
  });

  test('a carried-over sample whose workflow is gone gives up its place instead of being asked about forever', async () => {
    w.mock({ ...happy(), ...source([['g1']]) });
    const run = runName('build');
    const state = {
      cursor: null,
      ingested: 2,
      counts: { done: 1, rejected: 0, quarantined: 0 },
      byStage: {},
      inFlight: [sampleWorkflowId(run, 'ghost')],
      uncommitted: 1,
      shards: 0,
      pages: 0,
      startedAtMs: 0,
      paused: false,
      generation: 1,
    };
    const handle = await w.client.workflow.start<typeof buildDataset>('buildDataset', {
      taskQueue: CPU_QUEUE,
      workflowId: buildWorkflowId(run),
      args: [{ run, source: 'unit:source', endpoints: ENDPOINTS, config: { revisitRounds: 0 }, state }],
    });
    const p = await within('the build', handle.result());
    assert.deepEqual(p.counts, { done: 1, rejected: 0, quarantined: 1 });
    assert.equal(w.inputs('awaitSamples').length, 1, 'asked once');
  });

  test('a malformed input fails the build at once, naming the field', async () => {
    w.mock({});
    const handle = await w.client.workflow.start<typeof buildDataset>('buildDataset', {
      taskQueue: CPU_QUEUE,
      workflowId: buildWorkflowId(runName('bad')),
      args: [{ run: 'has space', source: 'x' }],
    });
    await assert.rejects(handle.result(), (e) => {
      assert.ok(e instanceof WorkflowFailedError);
      assert.ok(e.cause instanceof ApplicationFailure);
      assert.equal(e.cause.type, 'InvalidInput');
      assert.match(e.cause.message, /^buildDataset input: run: /);
      return true;
    });
    assert.equal(w.calls.length, 0);
  });
});
