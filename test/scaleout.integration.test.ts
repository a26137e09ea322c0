/**
 * Many workers on one engine: three `r1ov worker` processes — one serving the CPU queue (workflows,
 * local activities), two serving every LLM queue — finish a LLaVA-format build with exact counts, and the router
 * role's `rpm: R` (the task queue's server-side rate, not a per-process one) holds across both LLM workers: the fake
 * endpoint never sees more than R router calls in any 60 s window.
 *
 * Size: the fixture (test/support/llava-fixture.ts) replicated R1OV_SCALEOUT_REPLICAS times (default 1, ~204
 * samples, 2–5 min on 2 shared cores); each copy's questions carry a copy tag so no call is a cache hit.
 * R1OV_SCALEOUT_REPLICAS=5 is the 1,000-sample acceptance run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../core/sql.ts';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture, type FixtureExpectation } from './support/llava-fixture.ts';

const REPLICAS = Number(process.env.R1OV_SCALEOUT_REPLICAS ?? 1);
const LLM_QUEUES = ['r1ov-llm-router', 'r1ov-llm-formalizer', 'r1ov-llm-reasoner', 'r1ov-llm-judge'];

let cluster: Cluster;
let fake: FakeOpenAI;
let src: string;
let expected: FixtureExpectation;
let configFile: string;
let dir: string;
let rpm: number;

/** The fixture, K times: ids suffixed, every human turn tagged with its copy (distinct prompts: no cache hits). */
async function replicate(from: string, to: string, k: number): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const subset of readdirSync(from)) {
    mkdirSync(join(to, subset), { recursive: true });
    const glob = sqlString(join(from, subset, '*.parquet'));
    await conn.run(`COPY (
        SELECT id || '-r' || k AS id, image,
          list_transform(conversations, c -> {'from': c."from", 'value': CASE WHEN c."from" = 'human' THEN c.value || ' (copy ' || k || ')' ELSE c.value END}) AS conversations,
          data_source
        FROM read_parquet(${glob}), range(${k}) t(k) ORDER BY k, id)
      TO ${sqlString(join(to, subset, 'train-00000-of-00001.parquet'))} (FORMAT parquet)`);
  }
  conn.closeSync();
  db.closeSync();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-scaleout-'));
  const one = await writeLlavaFixture(join(dir, 'one'));
  src = join(dir, 'src');
  await replicate(join(dir, 'one'), src, REPLICAS);
  const times = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * REPLICAS]));
  expected = {
    ...one,
    total: one.total * REPLICAS,
    done: one.done * REPLICAS,
    rejected: one.rejected * REPLICAS,
    quarantined: one.quarantined * REPLICAS,
    quarantineCodes: times(one.quarantineCodes),
    rejectCodes: times(one.rejectCodes),
  };
  fake = await startFakeOpenAI({ respond: fixtureResponder() });
  // The router sees only the unknown subset (20 rows a copy): R below that total so the limit must bite.
  rpm = Math.max(10, Math.floor(20 * REPLICAS * 0.75));
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
      r,
      { baseUrl: fake.url, model: `so-${r}`, apiKeyEnv: 'R1OV_SO_KEY', ...(r === 'router' ? { rpm } : {}) },
    ]),
  );
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ roles, window: 200, pageSize: 100, commitEvery: 200 }));
  cluster = await startCluster();
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  `three worker processes finish a ${REPLICAS}x-fixture build with exact counts; router rpm holds at the endpoint`,
  { timeout: 15 * 60_000 },
  async () => {
    const t0 = Date.now();
    const cpu = await cluster.startWorker(['--queues', 'r1ov-cpu', '--config', configFile]);
    // Each LLM process holds a different key, so the endpoint can tell which process made a call.
    const llmA = await cluster.startWorker(['--queues', LLM_QUEUES.join(','), '--config', configFile], {
      R1OV_SO_KEY: 'key-A',
    });
    const llmB = await cluster.startWorker(['--queues', ...LLM_QUEUES, '--config', configFile], {
      R1OV_SO_KEY: 'key-B',
    });
    const out = await cluster.cliJson<{ status: string; progress: { counts: Record<string, number> } }>([
      'build',
      '--source',
      src,
      '--run',
      'scale',
      '--config',
      configFile,
      '--wait',
    ]);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(out.status, 'COMPLETED');
    const rows = (
      await cluster.cliJson<{ rows: Array<{ status: string; n: number }> }>([
        'sql',
        `select status, count(*) as n from samples where run = 'scale' group by 1`,
      ])
    ).rows;
    const counts = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    assert.deepEqual(counts, { done: expected.done, rejected: expected.rejected, quarantined: expected.quarantined });
    const dup = (
      await cluster.cliJson<{ rows: Array<{ d: number }> }>([
        'sql',
        `select count(*) - count(distinct sample_id) as d from samples where run = 'scale'`,
      ])
    ).rows;
    assert.equal(dup[0]!.d, 0);

    // Every process did work: the CPU one ran the workflows (no other process serves r1ov-cpu), both LLM ones took calls.
    for (const w of [cpu, llmA, llmB]) assert.equal(w.exitCode, null, 'a worker died during the build');
    const byKey = new Map<string, number>();
    for (const c of fake.calls) {
      const k = String(c.headers.authorization ?? '');
      byKey.set(k, (byKey.get(k) ?? 0) + 1);
    }
    assert.deepEqual([...byKey.keys()].sort(), ['Bearer key-A', 'Bearer key-B']);
    for (const [k, n] of byKey)
      assert.ok(n > fake.calls.length * 0.1, `${k} made only ${n} of ${fake.calls.length} calls`);

    // The limit, measured where it matters: router calls at the endpoint in every 60-s window.
    const routerAt = fake.calls
      .filter((c) => c.body?.model === 'so-router')
      .map((c) => c.at)
      .sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < routerAt.length; i++) {
      while (routerAt[j]! < routerAt[i]! - 60_000 + 1) j++;
      worst = Math.max(worst, i - j + 1);
    }
    const spanS = routerAt.length ? (routerAt.at(-1)! - routerAt[0]!) / 1000 : 0;
    process.stderr.write(
      `scaleout: ${expected.total} samples in ${seconds.toFixed(1)} s with 3 workers; router: ${routerAt.length} calls over ${spanS.toFixed(1)} s, worst 60-s window ${worst} (rpm ${rpm}); endpoint calls ${fake.calls.length}\n`,
    );
    assert.ok(routerAt.length > rpm, `only ${routerAt.length} router calls: the limit of ${rpm} was never tested`);
    assert.ok(worst <= rpm, `${worst} router calls in one 60-s window, limit ${rpm}`);
    // The other roles were not throttled by it: they saw far more than rpm calls in their busiest minute.
    const judgeAt = fake.calls.filter((c) => c.body?.model === 'so-judge').length;
    assert.ok(judgeAt >= expected.done, `judge calls ${judgeAt}`);
  },
);
