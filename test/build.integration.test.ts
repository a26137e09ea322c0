/**
 * Platform core, end to end on a real Temporal dev server: a LLaVA-OneVision-format source builds to exact counts;
 * bad rows are quarantined with reasons; no bulk data in history; the Web UI lists the run's workflows. Durability
 * and control (kills, restarts, pause / resume / cancel) run on both engines in test/support/engine-suite.ts
 * (cluster-engines-dev / cluster-engines-cluster.integration.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture, type FixtureExpectation } from './support/llava-fixture.ts';

let cluster: Cluster;
let fake: FakeOpenAI;
let src: string;
let expected: FixtureExpectation;
let configFile: string;

type SqlOut = { columns: string[]; rows: Array<Record<string, unknown>> };
const sql = async (q: string) => (await cluster.cliJson<SqlOut>(['sql', q])).rows;
const counts = async (run: string) =>
  Object.fromEntries(
    (await sql(`select status, count(*) as n from samples where run = '${run}' group by 1`)).map((r) => [
      r.status,
      r.n,
    ]),
  );

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-src-'));
  src = join(dir, 'llava');
  expected = await writeLlavaFixture(src);
  fake = await startFakeOpenAI({ respond: fixtureResponder() });
  const roles = (url: string) =>
    Object.fromEntries(
      ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: url, model: `test-${r}` }]),
    );
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ roles: roles(fake.url), window: 200, pageSize: 40, commitEvery: 60 }));
  cluster = await startCluster();
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
});

describe('build of a LLaVA-OneVision source', () => {
  test('the fixture has what the acceptance asks for', () => {
    assert.ok(expected.total >= 200, `only ${expected.total} samples`);
  });

  test('builds to completion with exactly the expected counts; bad rows quarantined with reasons', async () => {
    await cluster.startWorker();
    const out = await cluster.cliJson<{ status: string; progress: { counts: Record<string, number> } }>([
      'build',
      '--source',
      src,
      '--run',
      'full',
      '--config',
      configFile,
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    const c = await counts('full');
    assert.deepEqual(c, { done: expected.done, rejected: expected.rejected, quarantined: expected.quarantined });
    assert.deepEqual(out.progress.counts, {
      done: expected.done,
      rejected: expected.rejected,
      quarantined: expected.quarantined,
    });
    const q = Object.fromEntries(
      (await sql(`select reason_code, count(*) as n from quarantine where run = 'full' group by 1`)).map((r) => [
        r.reason_code,
        r.n,
      ]),
    );
    assert.deepEqual(q, expected.quarantineCodes);
    const rj = Object.fromEntries(
      (await sql(`select reason_code, count(*) as n from rejected where run = 'full' group by 1`)).map((r) => [
        r.reason_code,
        r.n,
      ]),
    );
    assert.deepEqual(rj, expected.rejectCodes);
    for (const row of await sql(`select reason from quarantine where run = 'full'`))
      assert.ok(String(row.reason).length > 5);
    // Multi-turn rows became one sample per exchange; every done sample has an image, a formal text and a trace.
    assert.ok(
      ((await sql(`select count(*) as n from samples where run = 'full' and sample_id like '%#1'`))[0]!.n as number) >
        0,
    );
    assert.equal(
      (
        await sql(
          `select count(*) as n from records where run = 'full' and (image_key is null or formal_text is null or trace is null)`,
        )
      )[0]!.n,
      0,
    );
    // The subsets came through, and the unknown one went through the classifier.
    const bySubset = await sql(
      `select subset, route_by from samples where run = 'full' and status = 'done' group by all`,
    );
    assert.ok(bySubset.some((r) => r.subset === 'mystery_set' && r.route_by === 'classifier'));
    assert.equal(new Set(bySubset.map((r) => r.subset)).size, 5);
  });

  test('llm_calls has a row per call the endpoint saw', async () => {
    const rows = await sql(
      `select count(*) as n, sum(tokens_in) as t from llm_calls where run = 'full' and not cache_hit`,
    );
    assert.equal(rows[0]!.n, fake.calls.filter((c) => c.path.endsWith('/chat/completions')).length);
  });

  test('--subset and --limit narrow a build', async () => {
    const out = await cluster.cliJson<{ status: string }>([
      'build',
      '--source',
      src,
      '--run',
      'subset',
      '--config',
      configFile,
      '--subset',
      'geo3k',
      '--limit',
      '12',
      '--wait',
    ]);
    assert.equal(out.status, 'COMPLETED');
    const rows = await sql(`select subset, count(*) as n from samples where run = 'subset' group by 1`);
    assert.deepEqual(rows, [{ subset: 'geo3k', n: 12 }]);
  });

  test('no bulk data in history: every payload of the build and of sample workflows is under 64 KB', async () => {
    const conn = await Connection.connect({ address: cluster.server.address });
    const client = new Client({ connection: conn });
    const ids: string[] = ['r1ov/full'];
    for await (const wf of client.workflow.list({ query: `R1ovRun = 'full'` })) {
      ids.push(wf.workflowId);
      if (ids.length > 40) break;
    }
    let payloads = 0;
    for (const id of ids) {
      const { events } = await client.workflow.getHandle(id).fetchHistory();
      const walk = (v: unknown): void => {
        if (!v || typeof v !== 'object') return;
        if ('data' in v && (v as { data?: unknown }).data instanceof Uint8Array && 'metadata' in v) {
          payloads++;
          assert.ok(
            (v as { data: Uint8Array }).data.length < 64 * 1024,
            `payload of ${(v as { data: Uint8Array }).data.length} bytes in ${id}`,
          );
          return;
        }
        for (const x of Object.values(v)) walk(x);
      };
      walk(events);
    }
    assert.ok(payloads > 100, `only ${payloads} payloads inspected`);
    await conn.close();
  });

  test('the Web UI answers and the run is listable by R1ovRun', async () => {
    const res = await fetch(cluster.server.uiUrl);
    assert.equal(res.status, 200);
    const api = await fetch(
      `${cluster.server.uiUrl}/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`R1ovRun = 'full'`)}`,
    );
    assert.equal(api.status, 200);
    const body = (await api.json()) as { executions?: unknown[] };
    assert.ok((body.executions?.length ?? 0) > 0);
  });
});

// Worker SIGKILL, server restart, pause / resume / cancel: test/support/engine-suite.ts (cluster-engines-*.integration
// .test.ts), on the dev server and on a Temporal cluster on PostgreSQL.

describe('bad usage', () => {
  test('a missing source exits 2 with one line naming it', async () => {
    const r = await cluster.cli(['build', '--source', '/nonexistent/x.parquet', '--run', 'x']);
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), /^r1ov: source \/nonexistent\/x\.parquet: no such file/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
  test('a parquet build without endpoints exits 2 naming the role', async () => {
    const env = { OPENAI_BASE_URL: '', R1OV_MODEL: '' };
    const r = await cluster.cli(['build', '--source', src, '--run', 'noroles'], { env });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no endpoint for the formalizer role/);
  });
  test('r1ov sql refuses writes', async () => {
    for (const q of [
      `COPY (select 1) TO '/tmp/x.csv'`,
      'CREATE TABLE t (x int)',
      'INSERT INTO t VALUES (1)',
      `ATTACH '/tmp/x.db'`,
    ]) {
      const r = await cluster.cli(['sql', q]);
      assert.equal(r.status, 2, q);
      assert.match(r.stderr, /read-only/);
    }
  });
});
