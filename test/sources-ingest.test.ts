/**
 * Ingest of real layouts (no Temporal): the conformance corpus's LLaVA-OneVision and R1-Onevision folders become
 * samples with the cleaned question, parsed choices, the normalised gold answer and the turns as written; base64
 * images with and without a `data:` prefix, role `assistant` and the missing data_source column are read as
 * published; a gold turn without an answer is quarantined `no_gold_answer`; `importTraces` carries the released trace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJsonBlob } from '../core/blobs.ts';
import { SampleSchema, type Sample } from '../schemas/sample.ts';
import { RunConfigSchema } from '../schemas/config.ts';
import { ingestPage } from '../activities/ingest/ingest-page.ts';
import { pairTurns } from '../activities/ingest/turns.ts';
import { writeConformanceCorpus, type Corpus } from './support/conformance-corpus.ts';

let dir: string;
let corpus: Corpus;

async function ingestAll(source: string, importTraces = false): Promise<Map<string, Sample>> {
  const home = mkdtempSync(join(dir, 'home-'));
  const config = { ...RunConfigSchema.parse({}), pageSize: 7, importTraces };
  const out = new Map<string, Sample>();
  let cursor: { file: number; row: number } | null = { file: 0, row: 0 };
  while (cursor) {
    const page = await ingestPage(home, { run: 't', source, cursor, config });
    for (const ref of page.refs) {
      const s = SampleSchema.parse(await getJsonBlob(home, ref.sampleKey));
      out.set(s.sampleId, s);
    }
    cursor = page.next;
  }
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-sources-'));
  corpus = await writeConformanceCorpus(join(dir, 'corpus'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ingest of the published layouts', () => {
  test('LLaVA-OneVision rows: cleaned question, choices in every style, normalised answer, turns kept as written', async () => {
    const s = await ingestAll(corpus.ovDir);
    assert.equal(s.size, corpus.samples.filter((x) => !x.sampleId.startsWith('r1ov-')).length);
    const geo = s.get('geo3k-0#0')!;
    assert.equal(geo.question, 'Find m \\angle Q.');
    assert.deepEqual(geo.choices, ['70', '90', '110', '180']);
    assert.equal(geo.answer, 'A');
    assert.equal(geo.answerRaw, 'Answer:A');
    assert.equal(geo.answerSource, 'answer_colon');
    assert.match(geo.questionRaw!, /^<image>\nBased on the image, directly select/);
    assert.deepEqual(s.get('ai2d-0#0')!.choices, ['pupa', 'larva', 'adult', 'nymph']); // `A. x` and the letter suffix
    assert.ok(!s.get('ai2d-0#0')!.question.includes("option's letter"));
    assert.deepEqual(s.get('iconqa-0#0')!.choices, ['a triangle', 'a green rectangle', 'a blue star']); // `(A) x`
    assert.equal(s.get('iconqa-0#0')!.answer, 'B');
    assert.equal(s.get('tqa-0#0')!.choices!.length, 5); // A–E
    assert.equal(s.get('mv360k-0#0')!.answer, '7'); // "The radius is 7 cm."
    assert.equal(s.get('mv360k-2#0')!.answer, '\\frac{25\\pi}{2}');
    // The multi-turn row: three samples on one image, the later turns without <image>.
    const multi = [0, 1, 2].map((t) => s.get(`${corpus.multiTurnRow}#${t}`)!);
    assert.equal(new Set(multi.map((m) => m.imageKey)).size, 1);
    assert.deepEqual(
      multi.map((m) => m.answer),
      ['22', '2', '51'],
    );
    assert.equal(s.get('geo170k-cut#0')!.error?.code, 'no_gold_answer');
    assert.equal(s.get('geo170k-cut#0')!.answerSource, 'none');
    // Cut off after its first clause, short enough to look like a short answer: still no answer.
    assert.equal(s.get('geo170k-cut-short#0')!.error?.code, 'no_gold_answer');
    assert.equal(s.get('geo170k-cut-short#0')!.answerSource, 'none');
  });

  test('R1-Onevision rows: base64 images with and without data: prefix, role assistant, source from the folder', async () => {
    const s = await ingestAll(corpus.r1Dir);
    assert.equal(s.size, corpus.samples.filter((x) => x.sampleId.startsWith('r1ov-')).length);
    for (const e of corpus.samples.filter((x) => x.sampleId.startsWith('r1ov-'))) {
      const x = s.get(e.sampleId)!;
      if (e.expect === 'no_gold_answer') assert.equal(x.error?.code, 'no_gold_answer', e.sampleId);
      else {
        assert.equal(x.error, undefined, `${e.sampleId}: ${x.error?.message}`);
        assert.ok(x.imageKey && x.width! > 0, e.sampleId);
        assert.equal(x.answer, e.answer, e.sampleId);
      }
    }
    assert.equal(s.get('r1ov-0#0')!.source, 'ai2d');
    assert.equal(s.get('r1ov-2#0')!.source, 'Geometry3K(MathV360K)');
    assert.match(s.get('r1ov-0#0')!.answerRaw!, /^<think>/);
    assert.equal(s.get('r1ov-0#0')!.imported, undefined, 'no import unless asked');
  });

  test('importTraces: the released <think> trace becomes a ready-made trace ending in the gold answer', async () => {
    const s = await ingestAll(corpus.r1Dir, true);
    const x = s.get('r1ov-2#0')!;
    assert.equal(x.imported?.generator, 'import:Geometry3K(MathV360K)');
    assert.match(
      x.imported!.trace,
      /^<think>\nBy the Pythagorean theorem[\s\S]*<\/think>\n<answer>\n\*\*Final Answer\*\*\n\\boxed\{5\}\n<\/answer>$/,
    );
    assert.match(s.get('r1ov-0#0')!.imported!.trace, /<answer>\nThe final answer is \\boxed\{B\}\.\n<\/answer>$/);
    assert.equal(s.get('r1ov-4#0')!.imported, undefined, 'no answer, nothing to import');
  });

  test('turn pairing accepts gpt and assistant replies and keeps an unanswered human turn', () => {
    const pairs = pairTurns([
      { from: 'human', value: '<image>\nQ1' },
      { from: 'assistant', value: ' A ' },
      { from: 'human', value: 'Q2' },
      { from: 'gpt', value: '3' },
      { from: 'human', value: 'Q3' },
    ]);
    assert.deepEqual(pairs, [
      { turn: 0, question: '<image>\nQ1', answer: 'A' },
      { turn: 1, question: 'Q2', answer: '3' },
      { turn: 2, question: 'Q3', answer: null },
    ]);
  });
});
