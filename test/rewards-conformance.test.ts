// Conformance of the reward verifier with Math-Verify's public test suite (test/fixtures/math-verify,
// made by convert.py there from the recorded upstream commit), read two ways — as a boxed model
// response and as the upstream test writes the prediction — plus this project's own hard cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { scoreCompletion } from '../core/rewards/index.ts';
import { boxedReading, goldAnswer, writtenReading } from './fixtures/math-verify/readings.ts';

const fixtureDir = new URL('./fixtures/math-verify/', import.meta.url);
const Fixture = z.object({
  source: z.object({ repo: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/), files: z.array(z.string()) }),
  cases: z.array(
    z.object({
      id: z.string(),
      file: z.string(),
      test: z.string(),
      gold: z.string(),
      pred: z.string(),
      expected: z.union([z.literal(0), z.literal(1)]),
    }),
  ),
  excluded: z.array(z.object({ why: z.string() }).passthrough()),
});
const Labels = z.object({
  overrides: z.record(
    z.string(),
    z.object({ expected: z.union([z.literal(0), z.literal(1)]), reason: z.string().min(10) }),
  ),
});

const fixture = Fixture.parse(JSON.parse(readFileSync(new URL('cases.json', fixtureDir), 'utf8')));
const labels = Labels.parse(JSON.parse(readFileSync(new URL('labels.json', fixtureDir), 'utf8')));
const REQUIRED = 0.97;

function agreement(reading: (pred: string) => string): { rate: number; failures: string[] } {
  const failures: string[] = [];
  for (const c of fixture.cases) {
    const expected = labels.overrides[c.id]?.expected ?? c.expected;
    const got = scoreCompletion({ completion: reading(c.pred), groundTruth: goldAnswer(c.gold) });
    if (got.accuracy !== expected)
      failures.push(
        `${c.id}: expected ${expected}, got ${got.accuracy} (gold ${JSON.stringify(goldAnswer(c.gold)).slice(0, 80)}, extracted ${JSON.stringify(got.extracted)?.slice(0, 80)})`,
      );
  }
  return { rate: 1 - failures.length / fixture.cases.length, failures };
}

test('the fixture is the recorded upstream suite, every override names a case', () => {
  assert.equal(fixture.source.repo, 'huggingface/Math-Verify');
  assert.ok(fixture.cases.length >= 250, `only ${fixture.cases.length} cases`);
  const ids = new Set(fixture.cases.map((c) => c.id));
  assert.equal(ids.size, fixture.cases.length, 'case ids are unique');
  for (const id of Object.keys(labels.overrides)) assert.ok(ids.has(id), `override for unknown case ${id}`);
});

for (const [name, reading] of [
  ['boxed', boxedReading],
  ['as written', writtenReading],
] as const) {
  test(`Math-Verify suite, ${name} reading: ≥ ${REQUIRED * 100} % agreement with the expected labels`, () => {
    const { rate, failures } = agreement(reading);
    assert.ok(
      rate >= REQUIRED,
      `${(100 * rate).toFixed(1)} % < ${REQUIRED * 100} %; disagreements:\n${failures.join('\n')}`,
    );
  });
}

test('Math-Verify suite: no false positive on a relation gold, in either reading', () => {
  const negatives = fixture.cases.filter(
    (c) => c.test === 'test_relations_math' && (labels.overrides[c.id]?.expected ?? c.expected) === 0,
  );
  assert.ok(negatives.length >= 4, `only ${negatives.length} negative relation cases`);
  const wrong = negatives.flatMap((c) =>
    [boxedReading, writtenReading]
      .filter((read) => scoreCompletion({ completion: read(c.pred), groundTruth: goldAnswer(c.gold) }).accuracy === 1)
      .map((read) => `${c.id} (${read === boxedReading ? 'boxed' : 'as written'})`),
  );
  assert.deepEqual(wrong, []);
});

const THINK = '<think>\nWork it out.\n</think>\n';
// [completion, gold, expected, choices?]
type Hard = [string, string, 0 | 1, string[]?];

// An equation gold is never matched by its right-hand side alone, unless its left side is a name.
const equationRhs: Hard[] = [
  [`${THINK}\\boxed{1}`, '2x + z = 1', 0],
  [`${THINK}\\boxed{0}`, 'a + 3z = 0', 0],
  [`${THINK}\\boxed{25}`, 'x^2 + y^2 = 25', 0],
  [`${THINK}\\boxed{7}`, '3x - 2 = 7', 0],
  [`${THINK}\\boxed{10}`, 'x + y = 10', 0],
  [`${THINK}\\boxed{1}`, '\\frac{x^2}{4} + \\frac{y^2}{3} = 1', 0],
  [`${THINK}The final answer is $0$.`, 'a^2 + b = 0', 0],
  [`${THINK}\\boxed{y = 2}`, 'x = 2', 0],
  [`${THINK}\\boxed{3}`, 'x = 3', 1],
  [`${THINK}\\boxed{2x+1}`, 'y = 2x + 1', 1],
  [`${THINK}\\boxed{4, 5}`, 'AB = 4, CD = 5', 1],
  [`${THINK}\\boxed{y=-\\frac{1}{2}x+\\frac{3}{4}}`, '2x+4y-3=0', 1],
  [`${THINK}\\boxed{x^2/16 + y^2/12 = 1/4}`, 'x^2/4 + y^2/3 = 1', 1],
  [`${THINK}\\boxed{x = 1 + 2 = 3}`, '3', 1],
  [`${THINK}\\boxed{x = \\frac{1}{3} \\approx 0.33}`, '\\frac13', 1],
];

const choiceList = ['2 cm', '3 cm', '4 cm', '5 cm'];
const multipleChoice: Hard[] = [
  [`${THINK}\\boxed{B}`, 'B', 1],
  [`${THINK}<answer>B</answer>`, 'B', 1],
  [`${THINK}The answer is (B).`, 'B', 1],
  [`${THINK}The correct option is D.`, 'D', 1],
  [`${THINK}$\\boxed{\\text{D}}$`, 'D', 1],
  [`${THINK}\\boxed{4 cm}`, 'C', 1, choiceList],
  [`${THINK}\\boxed{3 cm}`, 'C', 0, choiceList],
  [`${THINK}\\boxed{C}`, '4 cm', 1, choiceList],
  [`${THINK}\\boxed{A or B}`, 'B', 0],
  [`${THINK}Answer: A, C`, 'A', 0],
  [`${THINK}\\boxed{B} \\boxed{C}`, 'B', 0],
  ['<think>the answer is B</think>', 'B', 0],
  ['<think>\\boxed{B}', 'B', 0],
  [`${THINK}<answer></answer>`, 'B', 0],
  [`${THINK}\\boxed{E}`, 'B', 0, choiceList],
];

const other: Hard[] = [
  [`${THINK}\\boxed{3e8}`, '300000000', 1],
  [`${THINK}\\boxed{1\\,000}`, '1000', 1],
  [`${THINK}\\boxed{1 000}`, '1000', 1],
  [`${THINK}\\boxed{1{,}000}`, '1000', 1],
  [`${THINK}\\boxed{1,000}`, '1', 0],
  [`${THINK}\\boxed{2,5}`, '2.5', 1],
  [`${THINK}\\boxed{5\\text{ cm}}`, '5', 1],
  [`${THINK}\\boxed{12 m²}`, '12', 1],
  [`${THINK}\\boxed{5 €}`, '5', 1],
  [`${THINK}\\boxed{-285.8\\ \\text{kJ}\\cdot\\text{mol}^{-1}}`, '-285.8', 1],
  [`${THINK}\\boxed{28 pct}`, '28\\%', 1],
  [`${THINK}\\boxed{28 percent}`, '28\\%', 1],
  [`${THINK}\\boxed{2:3}`, '2:3', 1],
  [`${THINK}\\boxed{3:2}`, '2:3', 0],
  [`${THINK}\\boxed{30^\\circ}`, '30', 1],
  [`${THINK}\\boxed{\\sum_{k=1}^{n} k}`, '\\frac{n(n+1)}{2}', 0],
  [`${THINK}\\boxed{\\int_0^1 x\\,dx}`, '\\frac12', 0],
  [`${THINK}\\boxed{\\sum_{k=1}^{n} k}`, '\\sum_{k=1}^{n} k', 1],
  [`${THINK}\\boxed{(1,2)}`, '\\{1,2\\}', 0],
  [`${THINK}\\boxed{\\pm 2}`, '2, -2', 1],
  [`${THINK}\\boxed{\\{1, 1, 2\\}}`, '\\{2, 1\\}', 1],
  [`${THINK}\\boxed{\\{1, 2\\}}`, '{1, 2}', 1],
  [`${THINK}\\boxed{x \\lt 3}`, '(-\\infty, 3)', 1],
  [`${THINK}\\boxed{x \\ne 3}`, '(-\\infty, 3) \\cup (3, \\infty)', 1],
  [`${THINK}\\boxed{-2\\le x\\le 7}`, '[-2, 7]', 1],
  [`${THINK}\\boxed{[-2, 7]}`, '-2\\le x\\le 7', 1],
  [`${THINK}\\boxed{x > 5}`, 'x \\geq 5', 0],
  [`${THINK}\\boxed{-x > -1}`, 'x < 1', 1],
  [`${THINK}\\boxed{p=5, q=2}`, '(5, 2)', 1],
  [`${THINK}\\boxed{1 \\text{ and } 2}`, '\\{1, 2\\}', 1],
  [`${THINK}\\boxed{1; 2}`, '\\{1, 2\\}', 1],
  [
    `${THINK}\\boxed{\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}}`,
    '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}',
    1,
  ],
  [
    `${THINK}\\boxed{\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}}`,
    '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}',
    0,
  ],
  [`${THINK}Final Answer: The final answer is $14{,}916$. I hope it is correct.`, '14916', 1],
  [`${THINK}So the number of sequences is 19.`, '19', 1],
  [`${THINK}$\\frac12$`, '0.5', 1],
  [`${THINK}\\(\\frac12\\)`, '0.5', 1],
  [`${THINK}\\fbox{7}`, '7', 1],
  [`${THINK}So $x = \\boxed{1}$ or $x = \\boxed{-2}$.`, '1, -2', 1],
  [`${THINK}\\boxed{1} and \\boxed{-2}`, '1', 0],
  ['<think>\nSo the answer is \\boxed{5}.\n</think>', '5', 0],
];

for (const [name, cases] of [
  ['equation right-hand sides', equationRhs],
  ['multiple choice', multipleChoice],
  ['project hard cases', other],
] as const) {
  test(`${name}: every case right (${cases.length})`, () => {
    const failures = cases
      .filter(
        ([completion, gold, expected, choices]) =>
          scoreCompletion({ completion, groundTruth: gold, choices }).accuracy !== expected,
      )
      .map(
        ([completion, gold, expected, choices]) =>
          `${JSON.stringify(completion)} vs ${JSON.stringify(gold)}${choices ? ` ${JSON.stringify(choices)}` : ''}: expected ${expected}`,
      );
    assert.deepEqual(failures, []);
  });
}
