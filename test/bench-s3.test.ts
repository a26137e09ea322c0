/**
 * Evaluation results live in the object store like shards: with S3-compatible storage (moto,
 * test/support/s3-server.ts) staged item rows, the judge's rewrite, the eval shard and the run manifest are bucket
 * objects, nothing of the run is written under the worker's home, and the catalog (through its local mirror) reads
 * eval_items / eval_runs from the bucket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitEval, describeBench, evalBatch } from '../activities/eval/evaluate.ts';
import { openCatalog } from '../core/catalog.ts';
import { storeFor } from '../core/storage/index.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import {
  benchResponder,
  publishedExpectation,
  publishedFixture,
  writeBenchFixtures,
} from './support/bench-fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { startS3Server, type S3Server } from './support/s3-server.ts';

let s3: S3Server;
let fake: FakeOpenAI;
const saved = { ...process.env };
before(async () => {
  s3 = await startS3Server();
  // The store is chosen from the environment when a home is first used (core/storage/index.ts).
  Object.assign(process.env, await s3.env('r1ov-eval', 'evaltest/'), { R1OV_S3_SQL: 'mirror' });
  const fx = await writeBenchFixtures(mkdtempSync(join(tmpdir(), 'r1ov-evals3-')));
  fake = await startFakeOpenAI({ respond: benchResponder(fx) });
});
after(async () => {
  process.env = saved;
  await fake?.close();
  await s3?.stop();
});

test('eval rows, shard and manifest are bucket objects; the catalog reads them from the bucket', async () => {
  const home = mkdtempSync(join(tmpdir(), 'r1ov-evals3home-'));
  const wm = publishedFixture('wemath');
  const e = publishedExpectation('wemath');
  const model = ResolvedEndpointSchema.parse({ role: 'model', baseUrl: fake.url, model: 'fake-vlm' });
  const common = { run: 'wm-s3', bench: wm.file, kind: 'wemath' as const, promptStyle: 'vlmevalkit' as const };
  await describeBench(home, { ...common, model: 'fake-vlm', judge: false, startedAt: new Date().toISOString() });
  await evalBatch(home, { ...common, offset: 0, limit: 20, model, itemAttempts: 1 });
  const store = storeFor(home);
  assert.equal(store.kind, 's3');
  assert.equal((await store.list('runs/wm-s3/staging-eval/')).length, e.items + e.malformed_rows.length);
  const c = await commitEval(home, { run: 'wm-s3' });
  assert.equal(c.rows, e.items + e.malformed_rows.length);
  const keys = (await store.list('runs/wm-s3/')).map((o) => o.key);
  assert.deepEqual(
    keys.filter((k) => k.includes('staging-eval')),
    [],
  );
  assert.equal(keys.filter((k) => /^runs\/wm-s3\/eval\/items-[0-9a-f]{20}\.parquet$/.test(k)).length, 1);
  assert.ok(keys.includes('runs/wm-s3/eval-run.json'));
  assert.ok(!existsSync(join(home, 'runs')), 'nothing of the run under the home');
  const { conn, close } = await openCatalog(home);
  try {
    const runs = (
      await conn.runAndReadAll(`SELECT run, bench, items, correct, malformed FROM eval_runs`)
    ).getRowObjectsJS();
    assert.deepEqual(
      runs.map((r) => ({ ...r, items: Number(r.items), correct: Number(r.correct), malformed: Number(r.malformed) })),
      [{ run: 'wm-s3', bench: 'wemath', items: e.items, correct: e.correct, malformed: e.malformed_rows.length }],
    );
    const keyed = (
      await conn.runAndReadAll(`SELECT count(*) AS n FROM eval_items WHERE meta['key'] LIKE '%_multi'`)
    ).getRowObjectsJS();
    assert.equal(Number(keyed[0]!.n), 5);
  } finally {
    close();
  }
});
