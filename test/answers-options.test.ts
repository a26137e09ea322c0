import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { findOptions, INSTRUCTIONS, parseQuestion } from '../core/answers/index.ts';
import { ParsedQuestionSchema } from '../schemas/answers.ts';

const CaseSchema = z.object({
  from: z.string(),
  turn: z.string(),
  question: z.string(),
  choices: z.array(z.string()).nullable(),
  stripped: z.array(z.string()),
});
const cases = z
  .array(CaseSchema)
  .parse(parse(readFileSync(new URL('./fixtures/answers/questions.yaml', import.meta.url), 'utf8')));

test('question fixtures cover every option style and instruction family', () => {
  assert.ok(cases.length >= 40, `only ${cases.length} question fixtures`);
  const turns = cases.map((c) => c.turn).join('\n');
  for (const style of ['\nA: ', '\nA:', '\nA. ', '\n(A) ', ' (A) ', 'A. 300, 400;B.', '\nA) ', 'Choices:', 'Options:'])
    assert.ok(turns.includes(style), `no fixture with ${JSON.stringify(style)}`);
  // Every instruction of the table is exercised by at least one fixture.
  for (const ins of INSTRUCTIONS) {
    const hit = cases.some((c) => c.stripped.some((s) => new RegExp(`^(?:${ins.text.source})$`).test(s)));
    assert.ok(hit, `instruction ${ins.name} has no fixture`);
  }
});

for (const c of cases) {
  test(`parseQuestion: ${c.from}`, () => {
    const got = parseQuestion(c.turn);
    ParsedQuestionSchema.parse(got);
    assert.equal(got.questionRaw, c.turn);
    assert.equal(got.question, c.question);
    assert.deepEqual(got.choices, c.choices);
    assert.deepEqual(got.stripped, c.stripped);
    assert.ok(!got.question.includes('<image>'), 'image token left in the question');
  });
}

test('findOptions reports the block range so the question can be cut around it', () => {
  const text = 'Find y.\nChoices:\nA: 4.0\nB: 12.0\nThanks';
  const block = findOptions(text);
  assert.ok(block);
  // A line after the last option continues it (option texts may run over several lines).
  assert.deepEqual(block.choices, ['4.0', '12.0\nThanks']);
  assert.equal(text.slice(0, block.start), 'Find y.\n');
  assert.equal(block.end, text.length);
  const inline = findOptions('Pick one: (A) red (B) blue');
  assert.ok(inline);
  assert.equal('Pick one: (A) red (B) blue'.slice(inline.start, inline.end), '(A) red (B) blue');
  assert.equal(findOptions('No options here.'), null);
});

test('parseQuestion never throws and keeps the raw turn', () => {
  for (const bad of ['', '   ', '<image>', 'Choices:', 'A.', '(A)', 'A. x\nB.', '\n\n\n', 'Question:']) {
    const got = parseQuestion(bad);
    ParsedQuestionSchema.parse(got);
    assert.equal(got.questionRaw, bad);
  }
  // Non-string input from an untyped reader is read as text rather than crashing.
  assert.equal(parseQuestion(undefined as unknown as string).questionRaw, '');
});

test('parseQuestion is fast: 10,000 turns well under a second', () => {
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) parseQuestion(cases[i % cases.length]?.turn ?? '');
  const ms = performance.now() - start;
  assert.ok(ms < 2000, `10,000 parses took ${ms.toFixed(0)} ms`);
});
