/**
 * S3-compatible storage end to end on a real Temporal dev server and a local S3 server (moto):
 * a LLaVA-format build whose workers keep blobs, staged rows, shards and manifests in the bucket has the same
 * counts, reason codes and LLM-call rows as the same build on local storage, and writes no blob or shard under its
 * home; a worker killed between a shard's upload and its copy into place (R1OV_TEST_CRASH_COMMIT) leaves no partial
 * shard visible to `r1ov sql`, and a fresh worker finishes the build with exact counts and no duplicates.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { startCluster, eventually, exited, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture } from './support/llava-fixture.ts';
import { startS3Server, TEST_CREDENTIALS, type S3Server } from './support/s3-server.ts';

// A 30-sample cut of the LLaVA fixture with every outcome: multi-turn rows, corrupt/huge/answerless images
// (quarantined), QA traps and a captioning row (rejected), and a subset only the router's classifier can place.
const PICK: Record<string, string> = {
  chartqa: `id IN (${Array.from({ length: 10 }, (_, i) => `'chartqa-${i}'`).join(', ')}) OR id LIKE 'bad-%' OR id = 'caption-only'`,
  geo3k: `id IN (${Array.from({ length: 8 }, (_, i) => `'geo3k-${i}'`).join(', ')})`,
  mystery_set: `id IN (${Array.from({ length: 6 }, (_, i) => `'mystery_set-${i}'`).join(', ')})`,
};
const TOTAL = 30;
const BUCKET = 'r1ov-it';
const PREFIX = 'deploy/';

let cluster: Cluster;
let fake: FakeOpenAI;
let s3: S3Server;
let dir: string;
let src: string;
let s3home: string;
let s3env: NodeJS.ProcessEnv;
let configFile: string;
let oneCommitConfig: string;
let local: Summary;

type Summary = { counts: Record<string, number>; samples: Array<Record<string, unknown>>; llmCalls: number };

/** Two CLI calls (each is a process start): every sample's outcome, and the LLM-call rows. */
async function summary(run: string, env?: NodeJS.ProcessEnv): Promise<Summary> {
  const sql = async (q: string) =>
    (await cluster.cliJson<{ rows: Array<Record<string, unknown>> }>(['sql', q], { env })).rows;
  const samples = await sql(
    `select sample_id, status, reason_code, kind, final_answer from samples where run = '${run}' order by sample_id`,
  );
  const counts: Record<string, number> = {};
  for (const r of samples) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  return {
    counts,
    samples,
    llmCalls: (await sql(`select count(*) as n from llm_calls where run = '${run}'`))[0]!.n as number,
  };
}

async function objects(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}${prefix}`, ContinuationToken: token }),
    );
    out.push(...(r.Contents ?? []).map((o) => o.Key!.slice(PREFIX.length)));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-s3it-'));
  await writeLlavaFixture(join(dir, 'full'));
  src = join(dir, 'llava');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const [subset, where] of Object.entries(PICK)) {
    mkdirSync(join(src, subset), { recursive: true });
    await conn.run(`COPY (SELECT * FROM read_parquet('${join(dir, 'full', subset, '*.parquet')}') WHERE ${where} ORDER BY id)
      TO '${join(src, subset, 'train-00000-of-00001.parquet')}' (FORMAT parquet)`);
  }
  conn.closeSync();
  db.closeSync();
  fake = await startFakeOpenAI({ respond: fixtureResponder() });
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: fake.url, model: `s3-${r}` }]),
  );
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ roles, window: 100, pageSize: 20, commitEvery: 10 }));
  // One commit, after every sample has finished: the crash then hits a commit with nothing else in flight.
  oneCommitConfig = join(dir, 'one-commit.json');
  writeFileSync(oneCommitConfig, JSON.stringify({ roles, window: 100, pageSize: 30, commitEvery: 1000 }));
  [cluster, s3] = await Promise.all([startCluster(), startS3Server()]);
  s3home = mkdtempSync(join(tmpdir(), 'r1ov-s3home-'));
  // S3 processes get their own home (to show nothing but caches lands there) and the cluster's server address.
  s3env = { ...(await s3.env(BUCKET, PREFIX)), R1OV_HOME: s3home, TEMPORAL_ADDRESS: cluster.server.address };
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
  await fake?.close();
  for (const d of [dir, s3home]) if (d) rmSync(d, { recursive: true, force: true });
});

test(
  'a build on S3 has the same counts as the same build on local storage, and writes no blob or shard in its home',
  { timeout: 10 * 60_000 },
  async () => {
    const localWorker = await cluster.startWorker();
    const a = await cluster.cliJson<{ status: string }>([
      'build',
      '--source',
      src,
      '--run',
      'local',
      '--config',
      configFile,
      '--wait',
    ]);
    assert.equal(a.status, 'COMPLETED');
    local = await summary('local');
    localWorker.kill('SIGKILL');
    await exited(localWorker);

    await cluster.startWorker([], s3env);
    const b = await cluster.cliJson<{ status: string }>(
      ['build', '--source', src, '--run', 's3', '--config', configFile, '--wait'],
      { env: s3env },
    );
    assert.equal(b.status, 'COMPLETED');
    const remote = await summary('s3', s3env);
    process.stderr.write(
      `s3 test: local ${JSON.stringify(local.counts)} llm_calls ${local.llmCalls}; s3 ${JSON.stringify(remote.counts)} llm_calls ${remote.llmCalls}\n`,
    );
    assert.equal(
      Object.values(local.counts).reduce((x, y) => x + y, 0),
      TOTAL,
    );
    for (const status of ['done', 'rejected', 'quarantined'])
      assert.ok(Number(local.counts[status]) > 0, `no ${status} sample in the local build`);
    assert.deepEqual(remote.counts, local.counts);
    assert.deepEqual(remote.samples, local.samples);
    assert.equal(remote.llmCalls, local.llmCalls);
    assert.ok(local.llmCalls > 0);

    // Everything durable is in the bucket: blobs, shards of every kind, the manifest; nothing staged or temporary left.
    const keys = await objects('');
    assert.ok(keys.some((k) => k.startsWith('blobs/')));
    assert.ok(
      keys.filter((k) => /^runs\/s3\/shards\/records-[0-9a-f]{20}\.parquet$/.test(k)).length >= 2,
      'several record shards',
    );
    assert.ok(keys.some((k) => /^runs\/s3\/llm_calls\/llm-calls-[0-9a-f]{20}\.parquet$/.test(k)));
    assert.ok(keys.includes('runs/s3/run.json'));
    assert.deepEqual(
      keys.filter((k) => k.includes('/staging') || k.endsWith('.tmp')),
      [],
    );
    assert.deepEqual(
      (await cluster.cliJson<{ rows: unknown[] }>(['sql', `select run, status, samples from runs`], { env: s3env }))
        .rows,
      [{ run: 's3', status: 'completed', samples: TOTAL }],
    );
    // The S3 home holds caches only.
    assert.ok(!existsSync(join(s3home, 'blobs')), 'blobs/ under the home');
    assert.ok(!existsSync(join(s3home, 'runs')), 'runs/ under the home');

    // The S3 secret never persists: not in the bucket, the S3 home (caches), nor the server's home (histories, logs).
    const secret = TEST_CREDENTIALS.secretAccessKey;
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    for (const f of [...walk(s3home), ...walk(cluster.home)])
      assert.ok(!readFileSync(f).includes(secret), `the S3 secret is in ${f}`);
    for (const k of keys) {
      const body = await (
        await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${k}` }))
      ).Body!.transformToByteArray();
      assert.ok(!Buffer.from(body).includes(secret), `the S3 secret is in s3 object ${k}`);
    }
  },
);

test(
  'a worker killed between shard upload and copy leaves no partial shard; a fresh worker finishes exactly',
  { timeout: 10 * 60_000 },
  async () => {
    assert.ok(local, 'needs the local build of the previous test');
    for (const w of cluster.workers) w.kill('SIGKILL');
    await Promise.all(cluster.workers.map(exited));
    const crashing = await cluster.startWorker([], { ...s3env, R1OV_TEST_CRASH_COMMIT: 'after-upload' });
    const start = await cluster.cli(['build', '--source', src, '--run', 'crash', '--config', oneCommitConfig], {
      env: s3env,
    });
    assert.equal(start.status, 0, start.stderr);
    await eventually(
      'the worker to die mid-commit',
      () => crashing.signalCode === 'SIGKILL' || crashing.exitCode !== null,
      5 * 60_000,
      500,
    );

    // The shard is uploaded under its temporary key, every row is still staged, and readers see none of it.
    const keys = await objects('');
    assert.equal(
      keys.filter((k) => k.startsWith('tmp/runs/crash/shards/') && k.endsWith('.tmp')).length,
      1,
      `temporary shard: ${keys.filter((k) => k.startsWith('tmp/')).join(', ')}`,
    );
    assert.deepEqual(
      keys.filter((k) => k.startsWith('runs/crash/shards/')),
      [],
    );
    assert.equal(keys.filter((k) => k.startsWith('runs/crash/staging/')).length, TOTAL);
    const seen = (
      await cluster.cliJson<{ rows: Array<{ n: number }> }>(
        ['sql', `select count(*) as n from samples where run = 'crash'`],
        { env: s3env },
      )
    ).rows;
    assert.deepEqual(seen, [{ n: 0 }]);

    await cluster.startWorker([], s3env);
    const out = await cluster.cliJson<{ status: string }>(
      ['build', '--source', src, '--run', 'crash', '--config', oneCommitConfig, '--wait'],
      { env: s3env },
    );
    assert.equal(out.status, 'COMPLETED');
    const after = await summary('crash', s3env);
    assert.deepEqual(after.counts, local.counts);
    assert.deepEqual(after.samples, local.samples);
    const dup = (
      await cluster.cliJson<{ rows: Array<{ d: number }> }>(
        ['sql', `select count(*) - count(distinct sample_id) as d from samples where run = 'crash'`],
        { env: s3env },
      )
    ).rows;
    assert.deepEqual(dup, [{ d: 0 }]);
    // The retry rewrote the same shard name and removed its temporary key.
    const final = await objects('');
    assert.equal(final.filter((k) => k.startsWith('runs/crash/shards/')).length, 1);
    assert.deepEqual(
      final.filter((k) => k.startsWith('tmp/') || k.startsWith('runs/crash/staging')),
      [],
    );
  },
);
