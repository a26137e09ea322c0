/**
 * Benchmark modules on fixtures written in each published layout (test/fixtures/benchmarks/, make_fixtures.py):
 * detection, normalisation (WeMath's image_path and option string, R1-OneVision-Bench's question with hint and
 * options, VLMEvalKit's image forms), the toolkits' prompts, and a run without Temporal against a local endpoint
 * that answers only when the item's image arrives: accuracies and WeMath's four-dimensional metrics equal the
 * values counted by hand.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BENCHES } from '../activities/eval/benches/index.ts';
import { wemathAnswerLetter } from '../activities/eval/benches/wemath.ts';
import { commitEval, describeBench, evalBatch } from '../activities/eval/evaluate.ts';
import { loadBench } from '../activities/eval/loaders.ts';
import { itemPrompt } from '../activities/eval/prompt.ts';
import { buildRunReport, renderMarkdown, type ItemRow } from '../activities/eval/report.ts';
import { openCatalog } from '../core/catalog.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import type { BenchItem, BenchKind, PromptStyle } from '../schemas/eval.ts';
import {
  PUBLISHED_DIR,
  benchResponder,
  publishedExpectation,
  publishedFixture,
  requestImages,
  writeBenchFixtures,
  type BenchFixtures,
} from './support/bench-fixtures.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

let fake: FakeOpenAI;
let fx: BenchFixtures;
const published = {
  wemath: publishedFixture('wemath'),
  r1ov: publishedFixture('r1ov'),
  vlmevalkit: publishedFixture('vlmevalkit'),
};
before(async () => {
  fx = await writeBenchFixtures(mkdtempSync(join(tmpdir(), 'r1ov-benchmods-')));
  fake = await startFakeOpenAI({ respond: benchResponder(fx, [published.r1ov, published.vlmevalkit]) });
});
after(async () => {
  await fake?.close();
});

const tagOf = (it: BenchItem) => /\[q:([^\]]+)\]/.exec(it.question)?.[1];

describe('WeMath as published', () => {
  test('image_path relative to the file, the option string, ID/key grouping; a missing image is a reported row', async () => {
    const b = await loadBench(published.wemath.file);
    assert.equal(b.kind, 'wemath');
    assert.equal(b.items.length, 17);
    for (const it of b.items) {
      assert.equal(it.images.length, 1, it.id);
      assert.deepEqual(it.images[0], readFileSync(join(PUBLISHED_DIR, 'wemath', String(it.raw.image_path))), it.id);
    }
    assert.deepEqual(b.malformed, [
      { row: 17, reason: 'image file 2steps/image/9-1.png not found beside the benchmark file' },
    ]);
    const multi = b.items.find((i) => i.id === '3steps_1@3steps_multi')!;
    assert.deepEqual(multi.meta.ID, '3steps_1');
    assert.deepEqual(multi.meta.key, '3steps_multi');
    // `A. 3, 5, 4; B. 3, 50, 40; C. 300, 50, 40; D. 30, 50, 40.; E. No correct answer` and a four-option string.
    const spaced = b.items.find(
      (i) => i.raw.option === 'A. 3, 5, 4; B. 3, 50, 40; C. 300, 50, 40; D. 30, 50, 40.; E. No correct answer',
    )!;
    assert.deepEqual(spaced.choices, ['3, 5, 4', '3, 50, 40', '300, 50, 40', '30, 50, 40.', 'No correct answer']);
    const four = b.items.find((i) => String(i.raw.option).startsWith('A. 15π'))!;
    assert.deepEqual(four.choices, ['15π', '10π', '5π', 'No correct answer']);
  });

  test('the Hugging Face copy: image_path is an Image struct {bytes, path}', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1ov-wemath-hf-'));
    const png = readFileSync(join(PUBLISHED_DIR, 'wemath', '2steps', 'image', '1-1.png'));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT '2steps_1' AS "ID", 'testmini' AS split, 'Length' AS "knowledge concept", 'OA = ( ) m' AS question,
      'A. 300, 400;B. 400, 300; C. No correct answer' AS option, 'A' AS answer,
      {'bytes': from_hex('${png.toString('hex')}'), 'path': '1-1.png'} AS image_path, '2steps_1' AS key, 1 AS "question number")
      TO '${join(dir, 'testmini.parquet')}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const b = await loadBench(join(dir, 'testmini.parquet'));
    assert.equal(b.kind, 'wemath');
    assert.deepEqual(b.items[0]!.images[0], png);
    assert.deepEqual(b.items[0]!.choices, ['300, 400', '400, 300', 'No correct answer']);
  });

  test("WeMath's own answer rule: the text after the last `Answer`", () => {
    assert.equal(wemathAnswerLetter('<Thought process>: the scale reads 3 km. <Answer>: C'), 'C');
    assert.equal(wemathAnswerLetter('Answer: D.'), 'D');
    assert.equal(wemathAnswerLetter('Answer: none of them'), undefined);
    assert.equal(wemathAnswerLetter('the final answer is \\boxed{B}'), undefined);
  });
});

describe('R1-OneVision-Bench as published', () => {
  test('hint and options inside question; choices string; the empty-answer row is reported; grades and categories from the file', async () => {
    const b = await loadBench(published.r1ov.file);
    assert.equal(b.kind, 'r1ov-bench');
    assert.deepEqual(b.malformed, [{ row: 3, reason: 'answer is empty' }]);
    const mc = b.items.find((i) => i.id === '101')!;
    assert.deepEqual(mc.choices, ['12', '15', '18', '21']);
    assert.match(mc.question, /^\[q:r1-101\] How many edges/);
    assert.equal(
      mc.meta.hint,
      'Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.',
    );
    assert.equal(b.items.find((i) => i.id === '102')!.choices, undefined);
    assert.deepEqual(
      [...new Set(b.items.map((i) => i.meta.category))],
      ['Math', 'Physics', 'Chemistry', 'Deduction', 'Earth Science'],
    );
    // Both toolkit styles send the published question (hint and options inside) as is.
    assert.equal(itemPrompt('r1ov-bench', mc, 'vlmevalkit').user, mc.raw.question);
  });
});

describe('VLMEvalKit TSV', () => {
  test("image as base64, as another row's index, as a list; NaN options absent; a dangling reference is reported", async () => {
    const b = await loadBench(published.vlmevalkit.file);
    const e = publishedExpectation('vlmevalkit');
    assert.equal(b.kind, 'vlmevalkit');
    assert.deepEqual(Object.fromEntries(b.items.map((i) => [i.id, i.images.length])), e.images);
    assert.deepEqual(b.items[1]!.images[0], b.items[0]!.images[0]);
    assert.notDeepEqual(b.items[2]!.images[0], b.items[2]!.images[1]);
    assert.deepEqual(b.items[3]!.choices, ['3', '4', '5']);
    assert.equal(b.items[0]!.meta['l2-category'], 'perception');
    assert.deepEqual(b.malformed, [{ row: 5, reason: 'image "77" names no row with an image' }]);
    assert.equal(
      itemPrompt('vlmevalkit', b.items[0]!, 'vlmevalkit').user,
      'Hint: Look at the whole image.\nQuestion: [q:vk-0] Which colour dominates?\nOptions:\nA. red\nB. blue\nC. green\nD. grey\nPlease select the correct answer from the options above. \n',
    );
  });
});

test('a VLMEvalKit VQA TSV (MathVista_MINI layout): choices as a list string, question sent verbatim', async () => {
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-vkvqa-'));
  const png = readFileSync(join(PUBLISHED_DIR, 'wemath', '2steps', 'image', '1-1.png')).toString('base64');
  const q =
    'Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Which is green?\nChoices:\n(A) red\n(B) green';
  writeFileSync(
    join(dir, 'MathVista_MINI.tsv'),
    `index\timage\tquestion\tanswer\tanswer_option\tchoices\tquestion_type\n1\t${png}\t"${q}"\tgreen\tB\t"['red', 'green']"\tmulti_choice\n`,
  );
  const b = await loadBench(join(dir, 'MathVista_MINI.tsv'));
  const it = b.items[0]!;
  assert.equal(b.kind, 'vlmevalkit');
  assert.deepEqual(it.choices, ['red', 'green']);
  assert.equal(itemPrompt('vlmevalkit', it, 'vlmevalkit').user, q);
  const { ruleVerdict } = await import('../activities/eval/score.ts');
  assert.equal(ruleVerdict('The answer is \\boxed{B}', it).decision, 'correct');
});

describe('prompts as the toolkits send them', () => {
  const first = async (file: string, id?: string) => {
    const b = await loadBench(file);
    return { kind: b.kind, it: id ? b.items.find((i) => i.id === id)! : b.items[0]! };
  };
  const p = (kind: BenchKind, it: BenchItem, s: PromptStyle) => itemPrompt(kind, it, s);
  test('MathVista: VLMEvalKit sends `query`; lmms-eval the format prompt', async () => {
    const { kind, it } = await first(fx.mathvista.file);
    assert.equal(
      p(kind, it, 'vlmevalkit').user,
      `Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: ${it.raw.question}\nChoices:\n(A) red\n(B) green\n(C) blue`,
    );
    assert.equal(
      p(kind, it, 'lmms-eval').user,
      `${it.raw.question}\nA. red\nB. green\nC. blue\nAnswer with the option's letter from the given choices directly.`,
    );
    const { it: fl } = await first(fx.mathvista.file, '3');
    assert.equal(
      p(kind, fl, 'lmms-eval').user,
      `${fl.raw.question}\nAnswer the question using a single floating-point number with one decimal place.`,
    );
  });
  test('MathVerse: VLMEvalKit `question`, lmms-eval `query_wo`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1ov-mathverse-'));
    const row = {
      sample_index: '1',
      problem_index: '1',
      problem_version: 'Vision Only',
      question: 'Q text',
      image: '',
      answer: 'B',
      question_type: 'multi-choice',
      query_wo:
        'Please directly answer the question and provide the correct option letter, e.g., A, B, C, D.\nQuestion: Q text',
      query_cot:
        'Please first conduct reasoning, and then answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Q text',
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'mathverse.json'), JSON.stringify([row]));
    const { kind, it } = await first(join(dir, 'mathverse.json'));
    assert.equal(p(kind, it, 'vlmevalkit').user, 'Q text');
    assert.equal(p(kind, it, 'lmms-eval').user, row.query_wo);
  });
  test('MathVision: the boxed instruction of lmms-eval', async () => {
    const { kind, it } = await first(fx.mathvision.file);
    assert.equal(
      p(kind, it, 'lmms-eval').user,
      `Please solve the problem step by step and put your answer in one "\\boxed{}".${it.raw.question}\nChoices: A. 1\nB. 2\nC. 3\nD. 4\nE. 5\nAnswer the question with the option's letter from the given choices directly.`,
    );
  });
  test('WeMath: VLMEvalKit Question/Options; lmms-eval question + option with its <think>/<answer> system prompt', async () => {
    const { kind, it } = await first(published.wemath.file);
    assert.equal(
      p(kind, it, 'vlmevalkit').user,
      `Question: ${it.raw.question}\nOptions:\n${it.choices!.map((c, i) => `${'ABCDE'[i]}. ${c}`).join('\n')}\n`,
    );
    const le = p(kind, it, 'lmms-eval');
    assert.equal(le.user, `${it.raw.question}\n${it.raw.option}`);
    assert.match(le.system!, /^You are a helpful assistant\. .*<think>\.\.\.<\/think> tags.*<answer> <\/answer> tags/);
  });
  test('every module has prompts for both toolkits and report dimensions', async () => {
    assert.deepEqual(BENCHES.map((b) => b.kind).sort(), [
      'mathverse',
      'mathvision',
      'mathvista',
      'r1ov-bench',
      'vlmevalkit',
      'wemath',
    ]);
    for (const b of BENCHES) assert.ok(b.dimensions.length > 0, b.kind);
  });
});

/** Evaluate a file without Temporal: describe, every batch, commit; the run's eval_items rows. */
async function evaluateFile(file: string, run: string, promptStyle: PromptStyle): Promise<ItemRow[]> {
  const home = mkdtempSync(join(tmpdir(), 'r1ov-benchhome-'));
  const model = ResolvedEndpointSchema.parse({ role: 'model', baseUrl: fake.url, model: 'fake-vlm' });
  const b = await loadBench(file);
  const common = { run, bench: b.file, kind: b.kind, promptStyle };
  const d = await describeBench(home, {
    ...common,
    model: 'fake-vlm',
    judge: false,
    startedAt: new Date().toISOString(),
  });
  for (let off = 0; off < d.rows; off += 8)
    await evalBatch(home, { ...common, offset: off, limit: 8, model, itemAttempts: 1 });
  await commitEval(home, { run });
  const { conn, close } = await openCatalog(home);
  try {
    const rows = (
      await conn.runAndReadAll(
        `SELECT * REPLACE (CAST(to_json(meta) AS VARCHAR) AS meta) FROM eval_items WHERE run = '${run}' ORDER BY row_index`,
      )
    ).getRowObjectsJS();
    return rows.map(
      (r) => ({ ...r, row_index: Number(r.row_index), meta: JSON.parse(String(r.meta)) }) as unknown as ItemRow,
    );
  } finally {
    close();
  }
}

describe('evaluation against a model that sees only the images it is sent', () => {
  test('the fake model cannot answer a WeMath item without its image', () => {
    const it = published.wemath.items[0]!;
    const respond = benchResponder(fx);
    const text = (r: ReturnType<typeof respond>) => String(r.content);
    const msg = [{ type: 'text', text: `[q:${it.tag}] question` }];
    assert.match(text(respond({ model: 'm', messages: [{ role: 'user', content: msg }] })), /No image/);
    assert.match(
      text(
        respond({
          model: 'm',
          messages: [
            {
              role: 'user',
              content: [...msg, { type: 'image_url', image_url: { url: `data:image/png;base64,${it.image}` } }],
            },
          ],
        }),
      ),
      /boxed/,
    );
  });

  test('WeMath: accuracy and the four-dimensional metrics equal the hand counts; the paper-style table', async () => {
    const e = publishedExpectation('wemath');
    const rows = await evaluateFile(published.wemath.file, 'wm-unit', 'vlmevalkit');
    const rep = buildRunReport(rows);
    assert.equal(rep.items, e.items);
    assert.equal(rep.correct, e.correct);
    assert.deepEqual(
      rep.malformedRows.map((m) => m.row),
      e.malformed_rows,
    );
    for (const [k, v] of Object.entries(e.metrics!))
      assert.ok(Math.abs(Number(rep.metrics!.values[k]) - v) < 1e-12, `${k}: ${rep.metrics!.values[k]} ≠ ${v}`);
    assert.equal(rep.metrics!.values.score_strict, 0.3);
    assert.equal(rep.metrics!.values.score_loose, 0.5);
    const md = renderMarkdown([rep]);
    assert.match(md, /\| condition \| Score \| IK \| IG \| CM \| RM \|/);
    assert.match(md, /\| strict \| 30\.00% \| 20\.00% \(1\) \| 20\.00% \(1\) \| 20\.00% \(1\) \| 66\.67% \(2\) \|/);
    assert.match(md, /\| loose \| 50\.00% \| 20\.00% \(1\) \| 20\.00% \(1\) \| 40\.00% \(2\) \| 33\.33% \(1\) \|/);
    // Every request carried its item's image; the prompt sent is recorded per item.
    const sent = fake.calls.filter((c) => JSON.stringify(c.body).includes('[q:wm-'));
    assert.equal(sent.length, e.items);
    for (const c of sent) assert.equal(requestImages(c.body!).length, 1);
  });

  test("R1-OneVision-Bench: accuracy by the file's grades and categories", async () => {
    const e = publishedExpectation('r1ov');
    const rep = buildRunReport(await evaluateFile(published.r1ov.file, 'r1-unit', 'sft'));
    assert.equal(rep.items, e.items);
    assert.equal(rep.correct, e.correct);
    assert.deepEqual(rep.malformedRows, [{ row: 3, reason: 'answer is empty' }]);
    for (const [dim, want] of [
      ['grade', e.grade!],
      ['category', e.category!],
    ] as const) {
      for (const [k, [c, n]] of Object.entries(want)) {
        const g = rep.groups.find((x) => x.dimension === dim && x.key === k)!;
        assert.deepEqual([g.correct, g.n], [c, n], `${dim} ${k}`);
      }
    }
    assert.match(
      renderMarkdown([rep]),
      /\| run \| Avg \| Junior High School \| High School \| College \| Social Test \| Math \| Physics \| Chemistry \| Deduction \| Earth Science \|/,
    );
  });
});
