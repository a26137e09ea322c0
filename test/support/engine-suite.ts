/**
 * The durability and scale suite, run on one engine per test file (cluster-engines-dev / cluster-engines-cluster
 * .integration.test.ts, so the two engines run side by side in separate processes): the embedded dev server (SQLite)
 * or a Temporal server on PostgreSQL (test/support/temporal-cluster.ts, built once per machine). On each: `r1ov
 * cluster init` twice (ready, then nothing to change), three workers on one build, a worker SIGKILLed mid-build, the
 * Temporal server restarted mid-build, PostgreSQL down 20 s mid-build (cluster only: the dev server has no separate
 * database), pause / resume / cancel, an eval and a training workflow — exact counts and no duplicate rows every time.
 *
 * An engine left out of R1OV_TEST_ENGINES (default `dev,cluster`) is reported as skipped, saying so. Without a Go
 * toolchain the cluster server cannot be built and the cluster file fails (it does not skip): set
 * R1OV_TEST_ENGINES=dev to run the dev server only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainerPython } from '../../activities/train/run-trainer.ts';
import { ClusterInitResultSchema } from '../../infra/cluster/init.ts';
import { SEARCH_ATTRIBUTE_NAMES } from '../../schemas/search-attributes.ts';
import { eventually, exited, startCluster, testEngines, type Cluster, type Engine } from './cluster.ts';
import { makeTrainingData } from './training-data.ts';
import { benchResponder, expectedAccuracy, writeBenchFixtures, type BenchFixtures } from './bench-fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.ts';
import { fixtureResponder, writeArithmeticSource } from './llava-fixture.ts';

const N = 48; // samples per build: enough to interrupt after 10 finished, small enough for CI
const LLM_QUEUES = ['r1ov-llm-router', 'r1ov-llm-formalizer', 'r1ov-llm-reasoner', 'r1ov-llm-judge'];
const python = trainerPython();
const noTrainer = existsSync(python)
  ? false
  : `trainer not installed (${python} missing): run \`bash trainer/install.sh\``;

/** The suite on `engine`, with its own fixtures (sources, fake endpoints): one call per test file. */
export function engineSuite(engine: Engine): void {
  let dir: string;
  let src: string;
  let slow: FakeOpenAI;
  let bench: FakeOpenAI;
  let fx: BenchFixtures;
  let slowConfig: string;
  const leftOut = testEngines().includes(engine)
    ? false
    : `R1OV_TEST_ENGINES=${process.env.R1OV_TEST_ENGINES} leaves the ${engine} engine out`;

  before(async () => {
    if (leftOut) return;
    dir = mkdtempSync(join(tmpdir(), 'r1ov-engines-'));
    src = join(dir, 'src');
    // Distinct questions (numbered): no sample is a cache hit, so every one pays the endpoint's latency.
    await writeArithmeticSource(src, N, { subsets: ['chartqa', 'geo3k', 'figureqa'], idPrefix: 'e', numbered: true });
    slow = await startFakeOpenAI({ respond: fixtureResponder({ latencyMs: 250 }) });
    const roles = Object.fromEntries(
      ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
        r,
        { baseUrl: slow.url, model: `eng-${r}`, apiKeyEnv: 'R1OV_ENG_KEY' },
      ]),
    );
    slowConfig = join(dir, 'slow.json');
    // A killed worker's LLM calls are retried after 15 s without a heartbeat instead of the default 2 minutes: the
    // kill tests wait for exactly that, and the calls take 250 ms, so 15 s never cuts off a live one.
    writeFileSync(
      slowConfig,
      JSON.stringify({ roles, window: 8, pageSize: 16, commitEvery: 16, llmHeartbeatTimeoutSec: 15 }),
    );
    fx = await writeBenchFixtures(join(dir, 'bench'));
    bench = await startFakeOpenAI({ respond: benchResponder(fx) });
  });

  after(async () => {
    await slow?.close();
    await bench?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`engine: ${engine}`, { skip: leftOut }, () => {
    let cluster: Cluster;
    type SqlOut = { rows: Array<Record<string, unknown>> };
    const sql = async (q: string) => (await cluster.cliJson<SqlOut>(['sql', q])).rows;
    const counts = async (run: string) =>
      Object.fromEntries(
        (await sql(`select status, count(*) as n from samples where run = '${run}' group by 1`)).map((r) => [
          r.status,
          r.n,
        ]),
      );
    const duplicates = async (run: string) =>
      (await sql(`select count(*) - count(distinct sample_id) as d from samples where run = '${run}'`))[0]!.d;
    // Polled conditions read progress in-process (cluster.buildStatus); what a test asserts comes from the CLI.
    const finished = async (run: string) => (await cluster.buildStatus(run)).progress?.finished ?? 0;
    const startBuild = async (run: string) => {
      const r = await cluster.cli(['build', '--source', src, '--run', run, '--config', slowConfig]);
      assert.equal(r.status, 0, r.stderr);
    };
    const finishBuild = async (run: string) => {
      const out = await cluster.cliJson<{ status: string }>([
        'build',
        '--source',
        src,
        '--run',
        run,
        '--config',
        slowConfig,
        '--wait',
      ]);
      assert.equal(out.status, 'COMPLETED');
      assert.deepEqual(await counts(run), { done: N });
      assert.equal(await duplicates(run), 0);
    };
    const killWorkers = async () => {
      for (const w of cluster.workers) w.kill('SIGKILL');
      await Promise.all(cluster.workers.map(exited));
    };

    // The cluster starts bare (no namespace, no search attributes): the first test's `r1ov cluster init` prepares it.
    before(async () => {
      cluster = await startCluster({ engine, init: false, env: { R1OV_ENG_KEY: 'key-0' } });
    });
    after(async () => {
      await cluster?.stop();
    });

    test('r1ov cluster init, twice: the first makes the server ready (a no-op on the dev server), the second changes nothing', async () => {
      const init = async () =>
        ClusterInitResultSchema.parse(await cluster.cliJson(['cluster', 'init', '--address', cluster.server.address]));
      const first = await init();
      const second = await init();
      if (engine === 'cluster') {
        assert.equal(first.namespaceRegistered, true);
        assert.deepEqual([...first.searchAttributesAdded].sort(), [...SEARCH_ATTRIBUTE_NAMES].sort());
        assert.match(first.serverVersion, /^1\.32\.0/);
      } else {
        assert.equal(first.namespaceRegistered, false);
        assert.deepEqual(first.searchAttributesAdded, []);
      }
      assert.equal(second.namespaceRegistered, false);
      assert.deepEqual(second.searchAttributesAdded, []);
    });

    test('three workers on one build (one CPU, two LLM): exact counts, no duplicates, every worker worked', async () => {
      const cpu = await cluster.startWorker(['--queues', 'r1ov-cpu', '--config', slowConfig]);
      const llmA = await cluster.startWorker(['--queues', LLM_QUEUES.join(','), '--config', slowConfig], {
        R1OV_ENG_KEY: 'key-A',
      });
      const llmB = await cluster.startWorker(['--queues', LLM_QUEUES.join(','), '--config', slowConfig], {
        R1OV_ENG_KEY: 'key-B',
      });
      const before = slow.calls.length;
      await startBuild('three');
      await finishBuild('three');
      for (const w of [cpu, llmA, llmB]) assert.equal(w.exitCode, null, 'a worker died during the build');
      const byKey = new Map<string, number>();
      for (const c of slow.calls.slice(before)) {
        const k = String(c.headers.authorization ?? '');
        byKey.set(k, (byKey.get(k) ?? 0) + 1);
      }
      assert.ok(
        (byKey.get('Bearer key-A') ?? 0) > 0 && (byKey.get('Bearer key-B') ?? 0) > 0,
        `calls by key: ${JSON.stringify([...byKey])}`,
      );
      const listed = await cluster.cliJson<{ progress: { counts: Record<string, number> } }>(['status', 'three']);
      assert.deepEqual(listed.progress.counts, { done: N, rejected: 0, quarantined: 0 });
    });

    test('SIGKILL of the worker mid-build, then a new worker: exact counts, no duplicates', async () => {
      await killWorkers();
      const worker = await cluster.startWorker(['--config', slowConfig]);
      await startBuild('killed');
      // Killed between source pages (the second page in, 10 samples finished): the samples in flight are what a dead
      // worker strands. A page read in flight on the dead worker would hold the whole build for the page activity's
      // heartbeat timeout (2 minutes in workflows/build-dataset.ts), which tests the server's clock, not r1ov.
      await eventually('10 samples finished, the second page read', async () => {
        const p = (await cluster.buildStatus('killed')).progress;
        return p !== null && p.finished >= 10 && p.ingested > 16;
      });
      worker.kill('SIGKILL');
      await exited(worker);
      assert.ok((await finished('killed')) < N, 'the build finished before the kill: nothing was tested');
      await cluster.startWorker(['--config', slowConfig]);
      await finishBuild('killed');
    });

    test('Temporal server stopped and started again mid-build, the worker left running: exact counts, no duplicates', async () => {
      await startBuild('restarted');
      await eventually('10 samples finished', async () => (await finished('restarted')) >= 10);
      await cluster.restartServer();
      assert.ok((await finished('restarted')) < N, 'the build finished before the restart: nothing was tested');
      await finishBuild('restarted');
      for (const w of cluster.workers) assert.equal(w.exitCode, null, 'a worker died while the server was down');
    });

    if (engine === 'cluster') {
      test('PostgreSQL down for 20 s mid-build, workers left running: exact counts, no duplicates', async () => {
        await startBuild('pgdown');
        await eventually('10 samples finished', async () => (await finished('pgdown')) >= 10);
        await cluster.restartDatabase(20_000);
        // The server answers "namespace not found" until its namespace cache reloads from the database again.
        const after = await eventually('the server to answer after the outage', async () => ({
          n: await finished('pgdown'),
        }));
        assert.ok(after.n < N, 'the build finished before the outage: nothing was tested');
        await finishBuild('pgdown');
        for (const w of cluster.workers) assert.equal(w.exitCode, null, 'a worker died during the outage');
      });
    }

    test('pause holds new samples, resume finishes the build with exact counts', async () => {
      await startBuild('paused');
      await eventually('started', async () => ((await cluster.buildStatus('paused')).progress?.ingested ?? 0) > 0);
      assert.equal((await cluster.cli(['pause', 'paused'])).status, 0);
      type P = { progress: { ingested: number; inFlight: number; paused: boolean } };
      const atPause = (await cluster.cliJson<P>(['status', 'paused'])).progress;
      assert.equal(atPause.paused, true);
      const drained = await eventually('in-flight samples drained', async () => {
        const p = (await cluster.buildStatus('paused')).progress;
        return p?.inFlight === 0 ? p : undefined;
      });
      assert.ok(
        drained.ingested - atPause.ingested <= 8,
        `started ${drained.ingested - atPause.ingested} samples after pause (window 8)`,
      );
      assert.ok(drained.ingested < N, 'everything was ingested before the pause: nothing was tested');
      assert.equal((await cluster.cliJson<P>(['status', 'paused'])).progress.ingested, drained.ingested);
      assert.equal((await cluster.cli(['resume', 'paused'])).status, 0);
      await finishBuild('paused');
    });

    test('cancel ends a build cleanly; its partial rows stay queryable, without duplicates', async () => {
      await startBuild('cancelled');
      await eventually('5 finished', async () => (await finished('cancelled')) >= 5);
      assert.equal((await cluster.cli(['cancel', 'cancelled'])).status, 0);
      await eventually(
        'the cancelled build to close',
        async () => (await cluster.buildStatus('cancelled')).status !== 'RUNNING',
      );
      const closed = await cluster.cliJson<{ status: string; progress: { finished: number } | null }>([
        'status',
        'cancelled',
      ]);
      assert.equal(closed.status, 'CANCELLED', `closed as ${closed.status} after ${closed.progress?.finished} samples`);
      const n = (await sql(`select count(*) as n from samples where run = 'cancelled'`))[0]!.n as number;
      assert.ok(n >= 5 && n < N, `partial rows: ${n}`);
      assert.equal(await duplicates('cancelled'), 0);
      assert.deepEqual(await sql(`select status from runs where run = 'cancelled'`), [{ status: 'cancelled' }]);
    });

    test('an eval workflow with a judge: exact accuracy, only undecided items judged, the erroring item errored', async () => {
      const out = await cluster.cliJson<{
        status: string;
        progress: { items: number; correct: number; errored: number; judged: number };
      }>(
        [
          'eval',
          '--bench',
          fx.r1ov.file,
          '--model-endpoint',
          bench.url,
          '--model',
          'fake-vlm',
          '--run',
          'ev',
          '--attempts',
          '2',
          '--batch-size',
          '6',
          '--judge',
          '--wait',
        ],
        { env: { R1OV_JUDGE_BASE_URL: bench.url, R1OV_JUDGE_MODEL: 'fake-judge' } },
      );
      assert.equal(out.status, 'COMPLETED');
      const e = expectedAccuracy(fx.r1ov.items, true);
      assert.equal(out.progress.items, e.n);
      assert.equal(out.progress.correct, e.correct);
      assert.equal(out.progress.judged, fx.r1ov.items.filter((i) => i.behaviour === 'unsure').length);
      assert.equal(out.progress.errored, 1);
      assert.equal(
        (await sql(`select count(*) - count(distinct item_id) as d from eval_items where run = 'ev'`))[0]!.d,
        0,
      );
    });

    test('a training workflow: SFT on an exported build runs to its last step', { skip: noTrainer }, async () => {
      const { data, model } = await makeTrainingData(cluster, dir, {
        samples: 8,
        parquet: `${engine}-learn-trl.parquet`,
        model: `${engine}-tiny`,
      });
      const cfg = join(dir, `${engine}-sft.json`);
      writeFileSync(
        cfg,
        JSON.stringify({
          model,
          data,
          per_device_batch_size: 2,
          learning_rate: 0.003,
          warmup_ratio: 0,
          lr_scheduler: 'constant',
          min_pixels: 3136,
          max_pixels: 12544,
          seed: 1,
          max_steps: 2,
          save_steps: 2,
          output_dir: join(dir, `${engine}-sft-out`),
        }),
      );
      const out = await cluster.cliJson<{ status: string; result: { sft: { step: number } | null } | null }>([
        'train',
        'sft',
        '--config',
        cfg,
        '--name',
        'sft',
        '--wait',
      ]);
      assert.equal(out.status, 'COMPLETED');
      assert.equal(out.result?.sft?.step, 2);
    });
  });
}
