/** Evaluation without Temporal: loaders for every published format, the verifier's verdicts, WeMath metrics, batches. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBench, parseDelimited, parseInlineChoices, parseList } from '../activities/eval/loaders.ts';
import { ruleVerdict, parseJudgeExtraction, parseYesNo } from '../activities/eval/score.ts';
import { wemathScores } from '../activities/eval/benches/wemath.ts';
import { commitEval, describeBench, evalBatch, judgeBatch } from '../activities/eval/evaluate.ts';
import { buildRunReport, renderCsv, renderMarkdown, renderSvg, type ItemRow } from '../activities/eval/report.ts';
import { openCatalog } from '../core/catalog.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { benchResponder, writeBenchFixtures, type BenchFixtures } from './support/bench-fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

let fx: BenchFixtures;
let fake: FakeOpenAI;
before(async () => {
  fx = await writeBenchFixtures(mkdtempSync(join(tmpdir(), 'r1ov-bench-')));
  fake = await startFakeOpenAI({ respond: benchResponder(fx) });
});
after(async () => {
  await fake?.close();
});

describe('loaders', () => {
  test('TSV parsing keeps quoted tabs, quotes and newlines', () => {
    const { header, rows } = parseDelimited('a\tb\n1\t"x\ty ""q""\nz"\n2\t3\n');
    assert.deepEqual(header, ['a', 'b']);
    assert.deepEqual(
      rows.map((r) => r.cells),
      [
        ['1', 'x\ty "q"\nz'],
        ['2', '3'],
      ],
    );
    assert.equal(rows[1]!.line, 4);
  });
  test('option lists: JSON, Python repr, inline', () => {
    assert.deepEqual(parseList('["a", "b"]'), ['a', 'b']);
    assert.deepEqual(parseList("['it''s', 'b']".replace("''", "\\'")), ["it's", 'b']);
    assert.deepEqual(parseInlineChoices('Q?\nChoices:\nA:30°\nB:45°\nC:60°'), ['30°', '45°', '60°']);
    assert.deepEqual(parseInlineChoices('A. 3 cm; B. 4 cm; C. 5 cm'), ['3 cm', '4 cm', '5 cm']);
  });
  for (const [name, kind] of [
    ['r1ov', 'r1ov-bench'],
    ['mathvista', 'mathvista'],
    ['mathverse', 'mathverse'],
    ['mathvision', 'mathvision'],
    ['wemath', 'wemath'],
  ] as const) {
    test(`${kind}: detected, every item read, malformed rows reported by row number`, async () => {
      const b = await loadBench(fx[name].file);
      assert.equal(b.kind, kind);
      assert.deepEqual(
        b.items.map((i) => /\[q:([^\]]+)\]/.exec(i.question)?.[1]),
        fx[name].items.map((i) => i.tag),
      );
      assert.deepEqual(
        b.malformed.map((m) => m.row),
        fx[name].malformedRows,
      );
      for (const m of b.malformed) assert.ok(m.reason.length > 3);
    });
  }
  test('metadata and images come through', async () => {
    const r1 = await loadBench(fx.r1ov.file);
    assert.equal(r1.items[0]!.meta.level, 'Junior High School');
    assert.deepEqual(r1.items[0]!.choices, ['1', '2', '3', '4']);
    assert.equal(r1.items[0]!.images.length, 1);
    assert.equal(r1.items[0]!.images[0]!.subarray(1, 4).toString(), 'PNG');
    const mv = await loadBench(fx.mathvista.file);
    assert.equal(mv.items[0]!.images.length, 1, 'image path relative to the parquet file');
    assert.equal(mv.items[0]!.meta.task, 'geometry problem solving');
    assert.equal(mv.items[2]!.meta.precision, '1');
    const mvs = await loadBench(fx.mathverse.file);
    assert.deepEqual(mvs.items[0]!.choices, ['30°', '45°', '60°', '90°']);
    assert.equal(mvs.items[4]!.meta.problem_version, 'Vision Only');
  });
});

describe('verifier verdicts', () => {
  const mc = { answer: 'B', choices: ['1', '2', '3'], meta: {} };
  test('decided by rules', () => {
    assert.equal(ruleVerdict('so \\boxed{B}', mc).decision, 'correct');
    assert.equal(ruleVerdict('the answer is 2', mc).decision, 'correct');
    assert.equal(ruleVerdict('\\boxed{C}', mc).decision, 'wrong');
    assert.equal(ruleVerdict('\\boxed{1.50}', { answer: '1.5', meta: { precision: '1' } }).decision, 'correct');
    assert.equal(ruleVerdict('\\boxed{7}', { answer: '8', meta: {} }).decision, 'wrong');
  });
  test('undecided: no final answer, or a non-trivial mismatch', () => {
    assert.equal(
      ruleVerdict('I think it might be something, not sure at all, really no idea here.', mc).decision,
      'undecided',
    );
    assert.equal(ruleVerdict('\\boxed{twelve centimetres}', { answer: '12', meta: {} }).decision, 'undecided');
  });
  test('judge replies', () => {
    assert.equal(parseYesNo('YES.'), true);
    assert.equal(parseYesNo('no'), false);
    assert.equal(parseYesNo('maybe'), null);
    assert.equal(parseJudgeExtraction('NONE'), null);
    assert.equal(parseJudgeExtraction('Answer: B'), 'B');
  });
});

describe('WeMath four-dimensional metrics (hand-computed)', () => {
  test('one group of each kind', () => {
    const s = wemathScores([
      { id: '1', key: '2steps_1', correct: true },
      { id: '1', key: '2steps_2', correct: true },
      { id: '1', key: '2steps_multi', correct: false }, // IG
      { id: '2', key: '2steps_1', correct: false },
      { id: '2', key: '2steps_2', correct: true },
      { id: '2', key: '2steps_multi', correct: true }, // RM strict, CM loose
      { id: '3', key: '3steps_1', correct: false },
      { id: '3', key: '3steps_2', correct: false },
      { id: '3', key: '3steps_3', correct: false },
      { id: '3', key: '3steps_multi', correct: true }, // RM both
      { id: '4', key: '2steps_1', correct: true },
      { id: '4', key: '2steps_2', correct: true },
      { id: '4', key: '2steps_multi', correct: true }, // CM both
      { id: '5', key: '2steps_1', correct: false },
      { id: '5', key: '2steps_2', correct: false },
      { id: '5', key: '2steps_multi', correct: false }, // IK
      { id: '6', key: '1step_1', correct: true },
    ]);
    assert.equal(s.problems, 5);
    assert.deepEqual([s.IK, s.IG, s.CM_strict, s.CM_loose, s.RM_strict, s.RM_loose], [1, 1, 1, 2, 2, 1]);
    // strict = (5 - 0.5*1 - 2 - 1) / 5 = 1.5/5 ; loose = (5 - 0.5*1 - 1 - 1) / 5 = 2.5/5
    assert.equal(s.score_strict, 0.3);
    assert.equal(s.score_loose, 0.5);
  });
  test('all mastered scores 1; all wrong scores 0; incomplete groups are listed, not scored', () => {
    const all = wemathScores([
      { id: 'a', key: '2steps_1', correct: true },
      { id: 'a', key: '2steps_2', correct: true },
      { id: 'a', key: '2steps_multi', correct: true },
    ]);
    assert.equal(all.score_strict, 1);
    assert.equal(all.score_loose, 1);
    const none = wemathScores([
      { id: 'a', key: '3steps_1', correct: false },
      { id: 'a', key: '3steps_2', correct: false },
      { id: 'a', key: '3steps_3', correct: false },
      { id: 'a', key: '3steps_multi', correct: false },
      { id: 'b', key: '2steps_1', correct: true },
    ]);
    assert.equal(none.score_strict, 0);
    assert.deepEqual(none.incomplete, ['b']);
  });
});

describe('batches without Temporal', () => {
  test('score, error after the last attempt, judge the undecided, commit, report', async () => {
    const home = mkdtempSync(join(tmpdir(), 'r1ov-evalhome-'));
    const model = ResolvedEndpointSchema.parse({ role: 'model', baseUrl: fake.url, model: 'fake-vlm' });
    const judge = ResolvedEndpointSchema.parse({ role: 'judge', baseUrl: fake.url, model: 'fake-judge' });
    const common = { run: 'unit', bench: fx.r1ov.file, kind: 'r1ov-bench' as const, promptStyle: 'sft' as const };
    const d = await describeBench(home, {
      ...common,
      model: 'fake-vlm',
      judge: true,
      startedAt: new Date().toISOString(),
    });
    assert.deepEqual(d, { kind: 'r1ov-bench', rows: 22, malformed: 2 });
    let correct = 0,
      errored = 0;
    const undecided: number[] = [];
    for (let off = 0; off < 22; off += 8) {
      const r = await evalBatch(home, { ...common, offset: off, limit: 8, model, itemAttempts: 1 });
      correct += r.correct;
      errored += r.errored;
      undecided.push(...r.undecided);
    }
    const right = fx.r1ov.items.filter((i) => i.behaviour === 'right').length;
    assert.equal(correct, right);
    assert.equal(errored, 1);
    assert.equal(undecided.length, 2);
    const j = await judgeBatch(home, { run: 'unit', rows: undecided, judge });
    assert.deepEqual(j, { judged: 2, correct: 2 });
    const c = await commitEval(home, { run: 'unit' });
    assert.equal(c.rows, 22);
    assert.equal(readdirSync(join(home, 'runs', 'unit', 'staging-eval')).length, 0);
    assert.ok(existsSync(join(home, 'runs', 'unit', 'llm_calls')));
    const { conn, close } = await openCatalog(home);
    const rows = (
      await conn.runAndReadAll(
        `select * replace (CAST(to_json(meta) AS VARCHAR) AS meta) from eval_items where run = 'unit' order by row_index`,
      )
    ).getRowObjectsJS() as unknown as Array<ItemRow & { meta: string }>;
    const runs = (
      await conn.runAndReadAll(`select items, correct, errored, malformed, judged, accuracy from eval_runs`)
    ).getRowObjectsJS();
    close();
    assert.equal(rows.length, 22);
    assert.deepEqual(
      runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))),
      [{ items: 20, correct: right + 2, errored: 1, malformed: 2, judged: 2, accuracy: (right + 2) / 20 }],
    );
    const rep = buildRunReport(
      rows.map((r) => ({ ...r, row_index: Number(r.row_index), meta: JSON.parse(r.meta) as Record<string, string> })),
    );
    assert.equal(rep.accuracy, (right + 2) / 20);
    assert.equal(rep.errors.length, 1);
    assert.match(rep.errors[0]!.error, /HTTP 500/);
    assert.deepEqual(
      rep.malformedRows.map((m) => m.row),
      [6, 13],
    );
    const md = renderMarkdown([rep]);
    assert.match(
      md,
      /\| run \| Avg \| Junior High School \| High School \| College \| Social Test \| Math \| Physics \| Chemistry \| Biology \| Deduction \|/,
    );
    assert.match(renderCsv([rep]), /^run,bench,model,dimension,key,n,correct,accuracy\n/);
    assert.match(renderSvg([rep]), /^<svg/);
    // The key never reaches a row; the prompt went through the sft template.
    const sent = fake.calls.find((x) => JSON.stringify(x.body).includes('[q:r1-0]'))!;
    assert.match(JSON.stringify(sent.body), /Hint: Please answer the question and provide the final answer at the end/);
    assert.match(JSON.stringify(sent.body), /data:image\/png;base64/);
    assert.ok(!readFileSync(join(home, 'runs', 'unit', 'eval-run.json'), 'utf8').includes('sk-'));
  });
});
