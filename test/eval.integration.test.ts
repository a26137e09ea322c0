/**
 * `r1ov eval` end to end on a real Temporal dev server: every benchmark format evaluated against the local
 * protocol server; reported accuracies equal the expected fractions exactly; 500s retry then count as errored;
 * malformed rows are reported and skipped; the judge decides only what the verifier cannot; reports with --vs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { repoRoot, startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';
import {
  benchResponder,
  expectedAccuracy,
  publishedExpectation,
  publishedFixture,
  writeBenchFixtures,
  GRADES,
  CATEGORIES,
  type BenchFixtures,
} from './support/bench-fixtures.ts';

let cluster: Cluster;
let fake: FakeOpenAI;
let fx: BenchFixtures;
const SECRET = 'sk-evaltest-secret-0123456789';

type Group = { dimension: string; key: string; n: number; correct: number; accuracy: number | null };
type Report = {
  run: string;
  items: number;
  correct: number;
  errored: number;
  malformed: number;
  judged: number;
  accuracy: number;
  groups: Group[];
  errors: Array<{ item_id: string }>;
  malformedRows: Array<{ row: number }>;
  metrics?: { values: Record<string, number> };
};
type EvalOut = { status: string; progress: Report };

before(async () => {
  fx = await writeBenchFixtures(mkdtempSync(join(tmpdir(), 'r1ov-bench-it-')));
  fake = await startFakeOpenAI({ respond: benchResponder(fx, [publishedFixture('vlmevalkit')]) });
  cluster = await startCluster({ env: { R1OV_MODEL_API_KEY: SECRET, OPENAI_BASE_URL: '', R1OV_MODEL: '' } });
  await cluster.startWorker();
});
after(async () => {
  await cluster?.stop();
  await fake?.close();
});

/** The CLI as a subprocess, asynchronously: the fake model server lives in this process and must keep answering. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'r1ov.js'), ...args], {
      env: { ...cluster.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ status: code ?? -1, stdout, stderr }));
  });
}
async function cliJson<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await cli([...args, '--json'], env);
  if (r.status !== 0) throw new Error(`r1ov ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1500)}`);
  return JSON.parse(r.stdout) as T;
}
const evalRun = (file: string, run: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  cliJson<EvalOut>(
    [
      'eval',
      '--bench',
      file,
      '--model-endpoint',
      fake.url,
      '--model',
      'fake-vlm',
      '--run',
      run,
      '--attempts',
      '2',
      '--batch-size',
      '6',
      '--wait',
      ...extra,
    ],
    env,
  );
const group = (r: Report, d: string, k: string) => r.groups.find((g) => g.dimension === d && g.key === k);

describe('r1ov eval', () => {
  test('R1-OneVision-Bench: exact accuracy, Table-3 breakdowns, errored and malformed listed', async () => {
    const out = await evalRun(fx.r1ov.file, 'r1-rules');
    assert.equal(out.status, 'COMPLETED');
    const r = out.progress;
    const e = expectedAccuracy(fx.r1ov.items);
    assert.equal(r.items, e.n);
    assert.equal(r.correct, e.correct);
    assert.equal(r.accuracy, e.correct / e.n);
    assert.equal(r.errored, 1);
    assert.deepEqual(
      r.errors.map((x) => x.item_id),
      fx.r1ov.items.filter((i) => i.behaviour === 'error').map((i) => i.id),
    );
    assert.deepEqual(
      r.malformedRows.map((m) => m.row),
      fx.r1ov.malformedRows,
    );
    for (const g of GRADES) {
      const its = fx.r1ov.items.filter((i) => i.meta.level === g);
      assert.equal(group(r, 'grade', g)!.accuracy, its.filter((i) => i.behaviour === 'right').length / its.length, g);
    }
    for (const c of CATEGORIES) {
      const its = fx.r1ov.items.filter((i) => i.meta.category === c);
      assert.equal(
        group(r, 'category', c)!.accuracy,
        its.filter((i) => i.behaviour === 'right').length / its.length,
        c,
      );
    }
    // The erroring item was retried before it was recorded.
    const hits = fake.calls.filter((c) => JSON.stringify(c.body).includes('[q:r1-19]')).length;
    assert.ok(hits >= 2, `error item asked ${hits} times`);
  });

  test('with --judge, only the undecided items are judged', async () => {
    const env = { R1OV_JUDGE_BASE_URL: fake.url, R1OV_JUDGE_MODEL: 'fake-judge' };
    const out = await evalRun(fx.r1ov.file, 'r1-judge', ['--judge', '--prompt-style', 'rl'], env);
    const e = expectedAccuracy(fx.r1ov.items, true);
    assert.equal(out.progress.correct, e.correct);
    assert.equal(out.progress.judged, fx.r1ov.items.filter((i) => i.behaviour === 'unsure').length);
    const rl = fake.calls.find((c) => JSON.stringify(c.body).includes('<think> </think>'));
    assert.ok(rl, 'rl prompt style sent');
  });

  test('MathVista, MathVerse, MathVision, WeMath: exact accuracies and their breakdowns', async () => {
    const benches = [
      ['mathvista', 'mv'],
      ['mathverse', 'mvs'],
      ['mathvision', 'mvis'],
      ['wemath', 'wm'],
    ] as const;
    const outs = await Promise.all(benches.map(([name, run]) => evalRun(fx[name].file, run)));
    for (const [i, [name]] of benches.entries()) {
      const out = outs[i]!;
      assert.equal(out.status, 'COMPLETED', name);
      const e = expectedAccuracy(fx[name].items);
      assert.equal(out.progress.items, e.n, name);
      assert.equal(out.progress.accuracy, e.correct / e.n, name);
      assert.deepEqual(
        out.progress.malformedRows.map((m) => m.row),
        fx[name].malformedRows,
        name,
      );
    }
    const rep = async (run: string) => (await cliJson<{ runs: Report[] }>(['eval', 'report', run])).runs[0]!;
    const [mvs, mv, wmRep] = await Promise.all([rep('mvs'), rep('mv'), rep('wm')]);
    for (const v of ['Text Dominant', 'Vision Only']) {
      const its = fx.mathverse.items.filter((i) => i.meta.problem_version === v);
      assert.equal(
        group(mvs, 'problem_version', v)!.accuracy,
        its.filter((i) => i.behaviour === 'right').length / its.length,
        v,
      );
    }
    for (const t of ['multi_choice', 'free_form']) {
      const its = fx.mathvista.items.filter((i) => i.meta.question_type === t);
      assert.equal(
        group(mv, 'question_type', t)!.accuracy,
        its.filter((i) => i.behaviour === 'right').length / its.length,
        t,
      );
    }
    // WeMath as published (image_path files): the model answers only when the image arrives; hand-counted metrics.
    const wm = wmRep.metrics!.values;
    const we = publishedExpectation('wemath');
    assert.equal(wmRep.correct, we.correct);
    for (const k of [
      'problems',
      'IK',
      'IG',
      'CM_strict',
      'CM_loose',
      'RM_strict',
      'RM_loose',
      'score_strict',
      'score_loose',
    ] as const)
      assert.equal(wm[k], we.metrics![k], k);
  });

  test('VLMEvalKit TSV with VLMEvalKit prompts; predictions exported in its layout and scored back', async () => {
    const vk = publishedFixture('vlmevalkit');
    const e = publishedExpectation('vlmevalkit');
    const out = await evalRun(vk.file, 'vk', ['--prompt-style', 'vlmevalkit']);
    assert.equal(out.status, 'COMPLETED');
    assert.deepEqual([out.progress.items, out.progress.correct], [e.items, e.correct]);
    const dir = mkdtempSync(join(tmpdir(), 'r1ov-vkexport-'));
    const exp = await cliJson<{ rows: number; columns: string[]; file: string }>([
      'eval',
      'export',
      'vk',
      '--out',
      join(dir, 'fake-vlm_MMBench.xlsx'),
    ]);
    assert.deepEqual(exp.columns, e.columns);
    assert.equal(exp.rows, 6);
    const scored = await cliJson<{ report: Report }>(['eval', 'score', exp.file]);
    assert.equal(scored.report.correct, e.correct);
  });

  test('eval_items / eval_runs views, report files, --vs flips', async () => {
    const sql = async (q: string) => (await cliJson<{ rows: Array<Record<string, unknown>> }>(['sql', q])).rows;
    const runs = await sql(`select run, bench, items, correct, errored, malformed, status from eval_runs order by run`);
    assert.equal(runs.length, 7);
    assert.ok(runs.every((r) => r.status === 'completed'));
    assert.equal(
      (await sql(`select count(*) as n from eval_items where run = 'r1-judge' and decided_by = 'judge'`))[0]!.n,
      2,
    );
    const out = mkdtempSync(join(tmpdir(), 'r1ov-report-'));
    const r = await cliJson<{ flips: { fixed: string[]; broken: string[] }; files: Record<string, string> }>([
      'eval',
      'report',
      'r1-rules',
      '--vs',
      'r1-judge',
      '--out',
      out,
    ]);
    assert.deepEqual(
      r.flips.fixed.sort(),
      fx.r1ov.items
        .filter((i) => i.behaviour === 'unsure')
        .map((i) => i.id)
        .sort(),
    );
    assert.deepEqual(r.flips.broken, []);
    for (const f of ['report.md', 'report.csv', 'chart.svg', 'chart.png']) assert.ok(existsSync(join(out, f)), f);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\| r1-rules \| [\d.]+ \|/);
    assert.match(md, /\| r1-judge \| [\d.]+ \|/);
    assert.match(md, /errored items/);
    assert.equal(readFileSync(join(out, 'chart.png')).subarray(1, 4).toString(), 'PNG');
    assert.equal((await cli(['eval', 'report', 'nope'])).status, 2);
  });

  test('no item data and no key in history; bad usage exits 2', async () => {
    const conn = await Connection.connect({ address: cluster.server.address });
    const client = new Client({ connection: conn });
    const { events } = await client.workflow.getHandle('r1ov-eval/r1-rules').fetchHistory();
    const text = JSON.stringify(events, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    assert.ok(!text.includes(SECRET));
    assert.ok(!text.includes('[q:r1-'), 'question text in history');
    assert.ok(text.length < 200_000);
    await conn.close();
    assert.equal(
      (await cli(['eval', '--bench', '/nonexistent.tsv', '--model-endpoint', fake.url, '--model', 'm', '--run', 'x']))
        .status,
      2,
    );
    const noJudge = await cli([
      'eval',
      '--bench',
      fx.r1ov.file,
      '--model-endpoint',
      fake.url,
      '--model',
      'm',
      '--run',
      'x',
      '--judge',
    ]);
    assert.equal(noJudge.status, 2);
    assert.match(noJudge.stderr, /judge role/);
  });
});
