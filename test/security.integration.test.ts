/**
 * Security checks on a real dev server:
 *  - a distinctive API key given only to the LLM worker's environment reaches the endpoint, and never appears in any
 *    history payload / failure, any worker or server log line, or any file under $R1OV_HOME (shards, llm_calls,
 *    blobs, caches, catalog, even the server's SQLite);
 *  - hostile sample ids (`../`, `/`, absolute paths, very long, unicode, control characters) never write outside
 *    $R1OV_HOME: the home sits four directories deep in a sandbox that is scanned for stray files, and the usual
 *    places are searched for files named after the ids;
 *  - `r1ov sql` refuses writes beyond the basic list in build.integration.test.ts: comments, case, CTE-wrapped DML,
 *    multi-statement smuggling, PRAGMA/SET/INSTALL/LOAD/EXPORT/CALL, and checks that nothing was written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { repoRoot, startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import { fixtureResponder, writeLlavaFixture } from './support/llava-fixture.ts';

const KEY = `sk-r1ov-canary-${randomBytes(12).toString('hex')}`;
const MARK = 'HOSTILEMARK';
const ORIG_TMP = tmpdir();

let cluster: Cluster;
let fake: FakeOpenAI;
let sandbox: string;
let dir: string;
let configFile: string;
let worker: ChildProcess;
let workerLog = '';
let cliLog = '';
const t0 = Date.now();

const sql = async (q: string) =>
  (await cluster.cliJson<{ rows: Array<Record<string, unknown>> }>(['sql', q], { env: { TMPDIR: ORIG_TMP } })).rows;

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const f of entries) {
      const p = join(d, f);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Start a worker ourselves so every byte of its stdout and stderr is captured. */
function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), 'worker', '--config', configFile], {
    env: { ...cluster.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (workerLog += d));
  child.stderr!.on('data', (d) => (workerLog += d));
  cluster.workers.push(child);
  return new Promise((res, rej) => {
    const onData = () => {
      if (workerLog.includes('worker ready')) {
        child.stderr!.off('data', onData);
        res(child);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`worker exited ${code}: ${workerLog.slice(-1500)}`)));
  });
}

/** Rows with hostile ids, in the LLaVA layout (single subset, known data_source so no classifier is needed). */
const HOSTILE_IDS = [
  `../../../../${MARK}-up4`,
  `../${MARK}-up1`,
  `/tmp/${MARK}-abs`,
  `a/b/../../${MARK}-nested`,
  `..`,
  '.',
  `${MARK}\\..\\win`,
  `${MARK}-${'y'.repeat(400)}`,
  `${MARK}-数学题-🙂-ü`,
  `${MARK}-%2e%2e%2f`,
  `${MARK}\u0001ctl`,
  `~/${MARK}-home`,
  `${MARK} spaced name`,
];

/** Longer than Temporal's default workflow-id limit (1,000) once prefixed with r1ov/<run>/. */
const LONG_ID = `${MARK}-${'x'.repeat(2000)}`;

async function writeHostileSource(to: string, ids: string[]): Promise<void> {
  const img = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 220, b: 240 } } })
    .png()
    .toBuffer();
  const rows = ids.map((id, i) => ({
    id,
    img: img.toString('base64'),
    data_source: 'chartqa',
    conversations: [
      { from: 'human', value: `<image>\nThe image shows two bars labelled ${i + 2} and ${i + 3}. What is their sum?` },
      { from: 'gpt', value: String(2 * i + 5) },
    ],
  }));
  mkdirSync(join(to, 'chartqa'), { recursive: true });
  const jsonl = join(dir, `hostile-${ids.length}.jsonl`);
  writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join('\n'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source
    FROM read_json('${jsonl}', columns={id: 'VARCHAR', img: 'VARCHAR', conversations: 'STRUCT("from" VARCHAR, value VARCHAR)[]', data_source: 'VARCHAR'}))
    TO '${join(to, 'chartqa', 'train-00000-of-00001.parquet')}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
}

before(async () => {
  dir = mkdtempSync(join(ORIG_TMP, 'r1ov-sec-src-'));
  // The home goes four levels deep in a sandbox: `../` escapes of up to four levels land in the sandbox, where we look.
  sandbox = mkdtempSync(join(ORIG_TMP, 'r1ov-sec-sandbox-'));
  const deep = join(sandbox, 'l1', 'l2', 'l3');
  mkdirSync(deep, { recursive: true });
  process.env.TMPDIR = deep;
  try {
    cluster = await startCluster({ env: { R1OV_LOG_LEVEL: 'DEBUG' } });
  } finally {
    process.env.TMPDIR = ORIG_TMP;
  }
  fake = await startFakeOpenAI({
    respond: (req, n) => {
      // A few transient failures so error paths (retries, failure messages) are exercised too.
      if (n % 17 === 3) return { status: 500, error: 'upstream overloaded' };
      return fixtureResponder()(req);
    },
  });
  const roles = Object.fromEntries(
    ['router', 'formalizer', 'reasoner', 'judge'].map((r) => [
      r,
      { baseUrl: fake.url, model: `sec-${r}`, apiKeyEnv: 'R1OV_SEC_TEST_KEY' },
    ]),
  );
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ roles, window: 50, pageSize: 25, commitEvery: 40 }));
  // Only the worker holds the key; the CLI that starts the build does not.
  worker = await startWorker({ R1OV_SEC_TEST_KEY: KEY, TMPDIR: ORIG_TMP });
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
  for (const d of [dir, sandbox]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('the API key never persists', () => {
  test('a build with LLM roles uses the key at the endpoint', { timeout: 10 * 60_000 }, async () => {
    const src = join(dir, 'llava');
    await writeLlavaFixture(src);
    const r = await cluster.cli(
      ['build', '--source', src, '--run', 'sec', '--config', configFile, '--limit', '60', '--wait', '--json'],
      { env: { TMPDIR: ORIG_TMP } },
    );
    cliLog += r.stdout + r.stderr;
    assert.equal(r.status, 0, r.stderr.slice(-1500));
    assert.equal(JSON.parse(r.stdout).status, 'COMPLETED');
    assert.ok(fake.calls.length > 60);
    assert.ok(
      fake.calls.every((c) => c.headers.authorization === `Bearer ${KEY}`),
      'the endpoint did not get the key',
    );
    assert.ok(
      fake.calls.some((c, i) => i % 17 === 3),
      'no failure path exercised',
    );
  });

  test('not in any history payload, failure message or stack of the run', async () => {
    const conn = await Connection.connect({ address: cluster.server.address });
    const client = new Client({ connection: conn });
    const ids = ['r1ov/sec'];
    for await (const wf of client.workflow.list({ query: `R1ovRun = 'sec'` })) ids.push(wf.workflowId);
    assert.ok(ids.length > 60);
    let bytes = 0;
    for (const id of ids) {
      const h = await client.workflow.getHandle(id).fetchHistory();
      const text = JSON.stringify(h, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
      bytes += text.length;
      assert.ok(!text.includes(KEY), `key in the history of ${id}`);
      // Nor its base64 form (a payload's data as the CLI prints it).
      assert.ok(!text.includes(Buffer.from(KEY).toString('base64').slice(0, 24)), `base64 key in ${id}`);
    }
    assert.ok(bytes > 100_000, `only ${bytes} bytes of history inspected`);
    await conn.close();
  });

  test('not in any log line: worker (at DEBUG), CLI, Temporal server log', () => {
    assert.ok(workerLog.length > 0 || cliLog.length > 0);
    assert.ok(!workerLog.includes(KEY), 'key in worker output');
    assert.ok(!cliLog.includes(KEY), 'key in CLI output');
    const serverLog = existsSync(cluster.server.log) ? readFileSync(cluster.server.log, 'utf8') : '';
    assert.ok(!serverLog.includes(KEY), 'key in the server log');
  });

  test('not in any file under $R1OV_HOME: shards, llm_calls, blobs, caches, catalog, server database', async () => {
    const files = filesUnder(cluster.home);
    const kinds = new Set(files.map((f) => relative(cluster.home, f).split('/')[0]));
    for (const k of ['blobs', 'server']) assert.ok(kinds.has(k), `no ${k} files to scan (${[...kinds].join(', ')})`);
    assert.ok(
      files.some((f) => f.endsWith('.parquet')),
      'no shard files to scan',
    );
    const needle = Buffer.from(KEY);
    for (const f of files) {
      const buf = readFileSync(f);
      assert.equal(buf.indexOf(needle), -1, `key in ${relative(cluster.home, f)}`);
    }
    const calls = await sql(`select count(*) as n from llm_calls where run = 'sec'`);
    assert.ok((calls[0]!.n as number) > 0, 'llm_calls is empty: nothing was scanned there');
  });
});

describe('hostile sample ids stay inside $R1OV_HOME', () => {
  test(
    'ingest and build of ids with ../, /, absolute paths, 400 chars, unicode, control characters',
    { timeout: 10 * 60_000 },
    async () => {
      const src = join(dir, 'hostile');
      await writeHostileSource(src, HOSTILE_IDS);
      const before = new Set(filesUnder(sandbox));
      const r = await cluster.cli(
        ['build', '--source', src, '--run', 'hostile', '--config', configFile, '--wait', '--json'],
        { env: { TMPDIR: ORIG_TMP } },
      );
      assert.equal(r.status, 0, r.stderr.slice(-1500));
      assert.equal(JSON.parse(r.stdout).status, 'COMPLETED');
      // Every row is accounted for (done, rejected or quarantined), none lost to a path error.
      const rows = await sql(`select sample_id, status from samples where run = 'hostile'`);
      assert.equal(rows.length, HOSTILE_IDS.length, JSON.stringify(rows.map((x) => x.status)));
      assert.ok(
        rows.some((x) => String(x.sample_id).includes('数学题-🙂')),
        'unicode id not preserved',
      );
      // Nothing new in the sandbox outside the home.
      const stray = filesUnder(sandbox).filter((f) => !before.has(f) && !f.startsWith(cluster.home + '/'));
      assert.deepEqual(stray, []);
      // Nothing named after the ids anywhere an escape could land.
      const roots = [ORIG_TMP, '/tmp', repoRoot, process.env.HOME ?? '/root', '/etc', '/'].filter(
        (p, i, a) => existsSync(p) && a.indexOf(p) === i,
      );
      for (const root of roots) {
        const shallow = root === '/' || root === repoRoot || root === (process.env.HOME ?? '/root');
        const found = (
          shallow
            ? readdirSync(root).map((f) => join(root, f))
            : filesUnder(root).concat(readdirSync(root).map((f) => join(root, f)))
        )
          .filter((p) => p.includes(MARK) && !p.startsWith(cluster.home + '/') && !p.startsWith(dir + '/'))
          .filter((p) => {
            try {
              return statSync(p).mtimeMs >= t0 - 1000;
            } catch {
              return false;
            }
          });
        assert.deepEqual(found, [], `files named after hostile ids under ${root}`);
      }
    },
  );

  test('a 2,000-character id is data, not a stuck build', { timeout: 3 * 60_000 }, async () => {
    const src = join(dir, 'hostile-long');
    await writeHostileSource(src, [LONG_ID, `${MARK}-short`]);
    const before = new Set(filesUnder(sandbox));
    assert.equal(
      (
        await cluster.cli(['build', '--source', src, '--run', 'hostlong', '--config', configFile], {
          env: { TMPDIR: ORIG_TMP },
        })
      ).status,
      0,
    );
    let status = 'RUNNING';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 2000));
      status = (await cluster.cliJson<{ status: string }>(['status', 'hostlong'], { env: { TMPDIR: ORIG_TMP } }))
        .status;
    }
    if (status === 'RUNNING') await cluster.cli(['cancel', 'hostlong'], { env: { TMPDIR: ORIG_TMP } });
    // Stuck or not, nothing escaped the home.
    assert.deepEqual(
      filesUnder(sandbox).filter((f) => !before.has(f) && !f.startsWith(cluster.home + '/')),
      [],
    );
    assert.equal(status, 'COMPLETED', 'the build with a 2,000-character id did not finish within 60 s');
  });
});

describe('r1ov sql refuses writes (beyond the basic list)', () => {
  const target = () => join(dir, `sql-out-${randomBytes(4).toString('hex')}`);
  const attempts = (t: string): string[] => [
    `copy (select 1) to '${t}.csv'`,
    `/* harmless */ COPY (SELECT 1) TO '${t}.parquet' (FORMAT parquet)`,
    `select 1; COPY (select 2) TO '${t}.csv'`,
    `WITH x AS (SELECT 1 AS a) INSERT INTO samples SELECT * FROM x`,
    `CREATE TEMP TABLE t AS SELECT 1`,
    `CREATE OR REPLACE VIEW samples AS SELECT 1`,
    `DROP VIEW samples`,
    `UPDATE samples SET status = 'done'`,
    `DELETE FROM samples`,
    `ATTACH '${t}.db' AS x`,
    `INSTALL httpfs`,
    `LOAD httpfs`,
    `SET enable_external_access = true`,
    `PRAGMA enable_profiling`,
    `CALL pragma_version()`,
    `COPY samples FROM '${t}.csv'`,
    `EXPLAIN COPY (select 1) TO '${t}-explain.csv'`,
  ];

  test('each is refused with exit 2 and a one-line reason, and writes nothing', async () => {
    const t = target();
    for (const q of attempts(t)) {
      const r = await cluster.cli(['sql', q], { env: { TMPDIR: ORIG_TMP } });
      if (q.startsWith('EXPLAIN COPY')) {
        // Plain EXPLAIN only plans; allowed or refused, it must not write.
        assert.ok([0, 2].includes(r.status), `${q}: exit ${r.status}`);
      } else {
        assert.equal(r.status, 2, `${q}: exit ${r.status} ${r.stderr}`);
        // "read-only" from the statement check, or the binder refusing DML on a view before anything runs.
        assert.match(r.stderr, /read-only|Catalog Error|Binder Error/i, q);
        assert.equal(r.stderr.trim().split('\n').length, 1, q);
      }
    }
    const written = readdirSync(dir).filter((f) => f.startsWith(t.split('/').pop()!));
    assert.deepEqual(written, []);
    // The catalog still answers: the views were not dropped or replaced.
    assert.ok(Array.isArray(await sql(`select count(*) as n from samples`)));
    assert.ok(
      !(await sql(`select * from samples limit 1`)).some((row) => Object.keys(row).length === 1),
      'samples view was replaced',
    );
  });

  test('EXPLAIN ANALYZE does not execute a write', async () => {
    const t = target();
    const r = await cluster.cli(['sql', `EXPLAIN ANALYZE COPY (select 1) TO '${t}.csv'`], {
      env: { TMPDIR: ORIG_TMP },
    });
    assert.ok(!existsSync(`${t}.csv`), `EXPLAIN ANALYZE wrote ${t}.csv (exit ${r.status})`);
  });

  test('a refused EXPORT DATABASE leaves nothing behind', async () => {
    const t = target();
    const r = await cluster.cli(['sql', `EXPORT DATABASE '${t}'`], { env: { TMPDIR: ORIG_TMP } });
    assert.equal(r.status, 2);
    assert.ok(!existsSync(t), `refused EXPORT DATABASE still created ${t}`);
  });
});
