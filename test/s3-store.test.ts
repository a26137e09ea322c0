/**
 * Object stores (core/storage) against a local S3-compatible server (moto, test/support/s3-server.ts):
 * the local and S3 stores keep one contract (whole-object puts, NotFound, listings without temporary objects, a
 * publish interrupted between upload and copy leaves nothing visible); S3 listings page past 1,000 keys; blobs and
 * shard commits on S3 write nothing under the home; `r1ov sql` over S3 uses httpfs or says in one line that it
 * reads a local mirror; bad settings are one line naming the variable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import pLimit from 'p-limit';
import { LocalStore, NotFoundError, S3Store, type ObjectStore } from '../core/storage/index.ts';
import { s3ConfigFromEnv } from '../core/storage/s3-config.ts';
import { UsageError } from '../core/errors.ts';
import { repoRoot } from './support/cluster.ts';
import { startS3Server, type S3Server } from './support/s3-server.ts';

let s3: S3Server;
let s3env: NodeJS.ProcessEnv;
const tmp: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  tmp.push(d);
  return d;
};

before(async () => {
  s3 = await startS3Server();
  s3env = await s3.env('r1ov-unit', 'unit/');
});
after(async () => {
  await s3?.stop();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

const stores: Array<[string, () => ObjectStore]> = [
  ['local', () => new LocalStore(tempDir('r1ov-store-'))],
  [
    's3',
    () =>
      new S3Store(s3ConfigFromEnv({ ...s3env, R1OV_S3_PREFIX: `contract-${Math.random().toString(36).slice(2)}/` })!),
  ],
];

for (const [name, make] of stores) {
  describe(`${name} store contract`, () => {
    test('put/get/head/delete; missing keys are NotFound; re-putting the same bytes is harmless', async () => {
      const s = make();
      await s.put('blobs/ab/x', 'hello');
      await s.put('blobs/ab/x', 'hello', { immutable: true });
      assert.equal((await s.get('blobs/ab/x')).toString(), 'hello');
      assert.equal((await s.head('blobs/ab/x'))?.size, 5);
      assert.equal(await s.head('blobs/ab/none'), null);
      await assert.rejects(s.get('blobs/ab/none'), NotFoundError);
      await s.delete(['blobs/ab/x', 'blobs/ab/never-existed']);
      assert.equal(await s.head('blobs/ab/x'), null);
      assert.throws(() => s.scratchFor('../escape'), /invalid object key/);
    });

    test('list is recursive under a prefix and never shows temporary objects', async () => {
      const s = make();
      for (const k of ['runs/a/staging/1.json', 'runs/a/staging/2.json', 'runs/a/shards/x.parquet', 'runs/b/run.json'])
        await s.put(k, k);
      assert.deepEqual((await s.list('runs/a/staging/')).map((o) => o.key).sort(), [
        'runs/a/staging/1.json',
        'runs/a/staging/2.json',
      ]);
      assert.deepEqual((await s.list('runs/')).map((o) => o.key).sort(), [
        'runs/a/shards/x.parquet',
        'runs/a/staging/1.json',
        'runs/a/staging/2.json',
        'runs/b/run.json',
      ]);
      assert.deepEqual(await s.list('runs/none/'), []);
    });

    test('a publish interrupted between upload and copy leaves no visible object; the retry publishes it', async () => {
      const s = make();
      const key = 'runs/r/shards/records-abc.parquet';
      const file = s.scratchFor(key);
      writeFileSync(file, 'shard bytes');
      await assert.rejects(
        s.publish(file, key, {
          beforeCopy: () => {
            throw new Error('crash');
          },
        }),
        /crash/,
      );
      if (s.kind === 's3') {
        // The upload happened (under the temporary key), yet nothing under runs/ shows it.
        const raw = await s3.client.send(
          new ListObjectsV2Command({ Bucket: 'r1ov-unit', Prefix: (s as S3Store).config.prefix }),
        );
        assert.ok(
          raw.Contents?.some((o) => o.Key!.endsWith('.tmp')),
          'temporary object uploaded',
        );
      }
      assert.equal(await s.head(key), null);
      assert.deepEqual(await s.list('runs/'), []);
      const again = s.scratchFor(key);
      writeFileSync(again, 'shard bytes');
      await s.publish(again, key);
      assert.equal((await s.get(key)).toString(), 'shard bytes');
      if (s.kind === 's3') {
        const raw = await s3.client.send(
          new ListObjectsV2Command({ Bucket: 'r1ov-unit', Prefix: (s as S3Store).config.prefix }),
        );
        assert.deepEqual(
          raw.Contents?.map((o) => o.Key!.slice((s as S3Store).config.prefix.length)),
          [key],
          'the retry removed the temporary object',
        );
      }
    });
  });
}

test('S3 listings page past 1,000 keys', async () => {
  const s = new S3Store(s3ConfigFromEnv({ ...s3env, R1OV_S3_PREFIX: 'paging/' })!);
  const limit = pLimit(32);
  await Promise.all(
    Array.from({ length: 1010 }, (_, i) =>
      limit(() => s.put(`runs/p/staging/${String(i).padStart(4, '0')}.json`, '{}')),
    ),
  );
  const listed = await s.list('runs/p/staging/');
  assert.equal(listed.length, 1010);
  assert.equal(new Set(listed.map((o) => o.key)).size, 1010);
  await s.delete(listed.map((o) => o.key));
  assert.equal((await s.list('runs/p/')).length, 0);
});

describe('S3 settings', () => {
  test('no bucket: local storage', () => assert.equal(s3ConfigFromEnv({}), null));
  test('prefix normalised, path style on with an endpoint, region fallback', () => {
    const c = s3ConfigFromEnv({
      R1OV_S3_BUCKET: 'b-1',
      R1OV_S3_PREFIX: '/a//b',
      R1OV_S3_ENDPOINT: 'http://minio:9000',
      AWS_REGION: 'eu-west-1',
    })!;
    assert.equal(c.prefix, 'a/b/');
    assert.equal(c.forcePathStyle, true);
    assert.equal(c.region, 'eu-west-1');
    assert.equal(c.credentials, undefined);
  });
  test('bad values: one line naming the variable, never a secret', () => {
    assert.throws(
      () => s3ConfigFromEnv({ R1OV_S3_BUCKET: 'Bad_Bucket' }),
      (e: Error) => e instanceof UsageError && /^R1OV_S3_BUCKET: /.test(e.message),
    );
    assert.throws(
      () => s3ConfigFromEnv({ R1OV_S3_BUCKET: 'b-1', R1OV_S3_ENDPOINT: 'minio:9000' }),
      /UsageError: R1OV_S3_ENDPOINT: must be a URL/,
    );
    assert.throws(
      () => s3ConfigFromEnv({ R1OV_S3_BUCKET: 'b-1', R1OV_S3_FORCE_PATH_STYLE: 'maybe' }),
      /R1OV_S3_FORCE_PATH_STYLE=maybe/,
    );
    assert.throws(() => s3ConfigFromEnv({ R1OV_S3_BUCKET: 'b-1', R1OV_S3_SQL: 'duck' }), /UsageError: R1OV_S3_SQL: /);
    assert.throws(
      () => s3ConfigFromEnv({ R1OV_S3_BUCKET: 'b-1', AWS_ACCESS_KEY_ID: 'AKIA-SECRET-ID' }),
      (e: Error) => /AWS_SECRET_ACCESS_KEY is not/.test(e.message) && !e.message.includes('AKIA-SECRET-ID'),
    );
  });
});

/** Run the CLI as a user would (stderr and exit code are the contract). */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ status: code ?? -1, stdout, stderr }));
  });
}

async function httpfsLoads(): Promise<boolean> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    try {
      await c.run('LOAD httpfs');
    } catch {
      await c.run('INSTALL httpfs');
      await c.run('LOAD httpfs');
    }
    return true;
  } catch {
    return false;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('blobs, commits and sql on S3', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const saved = { ...process.env };

  before(async () => {
    home = tempDir('r1ov-s3home-');
    env = { ...(await s3.env('r1ov-unit', 'home/')), R1OV_HOME: home };
    Object.assign(process.env, env); // storeFor() reads the environment of this process
  });
  after(() => {
    for (const k of Object.keys(env))
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });

  test('blobs are content-addressed objects; staged rows commit to one shard; nothing lands in the home', async () => {
    const { putBlob, getBlob } = await import('../core/blobs.ts');
    const { commitShard } = await import('../activities/shards/commit.ts');
    const { storeFor } = await import('../core/storage/index.ts');
    const k1 = await putBlob(home, 'an image');
    assert.equal(await putBlob(home, 'an image'), k1);
    assert.equal((await getBlob(home, k1)).toString(), 'an image');
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: 'r1ov-unit', Key: `home/blobs/${k1.slice(0, 2)}/${k1}` }),
    );
    assert.equal(head.ContentLength, 8);

    const store = storeFor(home);
    for (let i = 0; i < 5; i++) {
      await store.put(
        `runs/u/staging/s${i}.json`,
        JSON.stringify({
          run: 'u',
          sample_id: `s${i}`,
          row_id: `s${i}`,
          turn: 0,
          status: i === 4 ? 'quarantined' : 'done',
          finished_at: `2026-01-0${i + 1}T00:00:00Z`,
        }),
      );
    }
    await store.put(
      'runs/u/run.json',
      JSON.stringify({ run: 'u', source: 'unit', status: 'completed', started_at: 'x', updated_at: 'y' }),
    );
    const r = await commitShard(home, { run: 'u' });
    assert.equal(r.rows, 5);
    assert.match(r.shard!, /^runs\/u\/shards\/records-[0-9a-f]{20}\.parquet$/);
    assert.deepEqual((await store.list('runs/u/staging/')).length, 0);
    assert.deepEqual((await commitShard(home, { run: 'u' })).rows, 0, 'a second commit has nothing to do');
    const all = await s3.client.send(new ListObjectsV2Command({ Bucket: 'r1ov-unit', Prefix: 'home/' }));
    assert.ok(!all.Contents?.some((o) => o.Key!.endsWith('.tmp')), 'no temporary object left');
    assert.deepEqual(readdirSync(home), [], 'nothing written under the home');
  });

  test('r1ov sql over S3: httpfs, or one stderr line saying it reads a local mirror', async () => {
    const q = ['sql', `select status, count(*) as n from samples where run = 'u' group by 1 order by 1`, '--json'];
    const auto = await cli(q, env);
    assert.equal(auto.status, 0, auto.stderr);
    assert.deepEqual(JSON.parse(auto.stdout).rows, [
      { status: 'done', n: 4 },
      { status: 'quarantined', n: 1 },
    ]);
    const runs = await cli(['sql', 'select run, status, samples from runs', '--json'], env);
    assert.deepEqual(JSON.parse(runs.stdout).rows, [{ run: 'u', status: 'completed', samples: 5 }]);
    const canHttpfs = await httpfsLoads();
    const lines = auto.stderr.trim().split('\n').filter(Boolean);
    if (canHttpfs) {
      assert.deepEqual(lines, [], 'httpfs loads: no fallback line');
    } else {
      assert.equal(lines.length, 1, auto.stderr);
      assert.match(
        lines[0]!,
        /^r1ov: DuckDB's httpfs extension is unavailable \(.+\); reading S3 shards through a local mirror in .*cache[/\\]s3[/\\]/,
      );
      // Only the cache is written: no runs/ or blobs/ under the home.
      assert.deepEqual(readdirSync(home), ['cache']);
      const refused = await cli(q, { ...env, R1OV_S3_SQL: 'httpfs' });
      assert.equal(refused.status, 2);
      assert.match(
        refused.stderr.trim(),
        /^r1ov: R1OV_S3_SQL=httpfs: DuckDB's httpfs extension is unavailable \(.+\); unset R1OV_S3_SQL/,
      );
      assert.equal(refused.stderr.trim().split('\n').length, 1);
    }
    const mirror = await cli(q, { ...env, R1OV_S3_SQL: 'mirror' });
    assert.equal(mirror.status, 0, mirror.stderr);
    assert.equal(mirror.stderr.trim(), '');
    assert.deepEqual(JSON.parse(mirror.stdout).rows, [
      { status: 'done', n: 4 },
      { status: 'quarantined', n: 1 },
    ]);
    assert.ok(existsSync(join(home, 'cache', 's3')));
  });
});
