import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { normalizeGoldAnswer, parseQuestion } from '../core/answers/index.ts';
import { scoreCompletion } from '../core/rewards/index.ts';
import { AnswerRuleSchema, GoldAnswerSchema } from '../schemas/answers.ts';

const CaseSchema = z.object({
  from: z.string(),
  turn: z.string(),
  choices: z.array(z.string()).optional(),
  answer: z.string().nullable(),
  source: AnswerRuleSchema,
  model: z.array(z.string()).optional(),
  wrong: z.array(z.string()).optional(),
});
const cases = z
  .array(CaseSchema)
  .parse(parse(readFileSync(new URL('./fixtures/answers/gold.yaml', import.meta.url), 'utf8')));

/** A model completion in the R1 format whose answer block holds `answer`. */
const completion = (answer: string): string => `<think>reasoning</think><answer>${answer}</answer>`;

test('gold fixtures: at least 150, every rule and every think layout', () => {
  assert.ok(cases.length >= 150, `only ${cases.length} gold fixtures`);
  const rules = new Set(cases.map((c) => c.source));
  for (const r of AnswerRuleSchema.options) assert.ok(rules.has(r), `no fixture for rule ${r}`);
  for (const layout of ['layout 1', 'layout 2', 'layout 3', 'layout 4'])
    assert.ok(
      cases.some((c) => c.from.includes(layout)),
      `no fixture for ${layout}`,
    );
});

for (const c of cases) {
  test(`normalizeGoldAnswer: ${c.from}`, () => {
    const choices = c.choices ?? null;
    const got = normalizeGoldAnswer(c.turn, { choices });
    GoldAnswerSchema.parse(got);
    assert.equal(got.answerRaw, c.turn);
    assert.deepEqual({ answer: got.answer, source: got.source }, { answer: c.answer, source: c.source });
    const hasThink = /<\/?think>/.test(c.turn);
    assert.equal(got.think !== null, hasThink, 'think is set exactly when the turn has a think block');
    if (got.think !== null) assert.ok(!/<\/?think>/.test(got.think), 'think text keeps no tags');
    // The normalised gold verifies against itself and against the answers a model would write.
    if (got.answer !== null) {
      const self = scoreCompletion({
        completion: completion(got.answer),
        groundTruth: got.answer,
        choices: choices ?? undefined,
      });
      assert.equal(self.accuracy, 1, `gold ${JSON.stringify(got.answer)} does not verify against itself`);
    }
    for (const m of c.model ?? []) {
      const r = scoreCompletion({
        completion: completion(m),
        groundTruth: got.answer ?? '',
        choices: choices ?? undefined,
      });
      assert.equal(
        r.accuracy,
        1,
        `model answer ${JSON.stringify(m)} rejected against gold ${JSON.stringify(got.answer)}`,
      );
    }
    for (const w of c.wrong ?? []) {
      const r = scoreCompletion({
        completion: completion(w),
        groundTruth: got.answer ?? '',
        choices: choices ?? undefined,
      });
      assert.equal(
        r.accuracy,
        0,
        `wrong answer ${JSON.stringify(w)} accepted against gold ${JSON.stringify(got.answer)}`,
      );
    }
  });
}

test('a whole LLaVA-OneVision row: options parsed from the human turn map a text gold to its letter', () => {
  const q = parseQuestion(
    '<image>\nBased on the image, directly select the correct answer for the following question:\nQuestion: Find m \\angle Q.\nChoices:\nA: 70\nB: 90\nC: 110\nD: 180',
  );
  assert.deepEqual(normalizeGoldAnswer('110', { choices: q.choices }), {
    answer: 'C',
    answerRaw: '110',
    source: 'option_text',
    think: null,
  });
  assert.equal(normalizeGoldAnswer('Answer:C', { choices: q.choices }).answer, 'C');
  // Without the options the same text is a plain value.
  assert.equal(normalizeGoldAnswer('110', { choices: null }).answer, '110');
});

test('think text is the reasoning without tags', () => {
  const got = normalizeGoldAnswer('<think>\nStep one.\nStep two.\n</think>\n\n42', { choices: null });
  assert.equal(got.think, 'Step one.\nStep two.');
  assert.equal(got.answer, '42');
});

test('normalizeGoldAnswer never throws on odd input', () => {
  const odd = [
    '\\boxed{',
    '\\boxed{}',
    '<answer>',
    '</answer>',
    '<think>',
    '</think>',
    'Answer:',
    'The answer is',
    '(',
    '$',
    '$$',
    '\\(',
    '((((((',
    'x = = 3',
    '\u0000',
  ];
  for (const t of odd) {
    const got = normalizeGoldAnswer(t, { choices: ['a', 'b'] });
    GoldAnswerSchema.parse(got);
    assert.equal(got.answerRaw, t);
  }
  assert.equal(normalizeGoldAnswer(undefined as unknown as string, { choices: null }).source, 'none');
});

test('normalizeGoldAnswer is fast: 10,000 turns, long reasoning included, well under a second each thousand', () => {
  const long = `<think>${'We compare the two bars carefully and note the values. '.repeat(400)}\n\nThe answer is 12.</think>`;
  const turns = [...cases.map((c) => c.turn), long, 'x'.repeat(200_000)];
  const start = performance.now();
  for (let i = 0; i < 10_000; i++)
    normalizeGoldAnswer(turns[i % turns.length] ?? '', { choices: i % 2 ? ['3', '5', '8', '13'] : null });
  const ms = performance.now() - start;
  assert.ok(ms < 5000, `10,000 normalisations took ${ms.toFixed(0)} ms`);
});
