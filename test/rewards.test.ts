import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersEquivalent, extractAnswer, formatReward, iouReward, scoreCompletion } from '../core/rewards/index.ts';

// [predicted, gold, expected, choices?]
type EqCase = [string, string, boolean, string[]?];

const numeric: EqCase[] = [
  ['42', '42', true],
  ['42', '43', false],
  ['-7', '-7', true],
  ['-7', '7', false],
  ['+5', '5', true],
  ['0.5', '.5', true],
  ['0.50', '0.5', true],
  ['1/2', '0.5', true],
  ['2/4', '1/2', true],
  ['1/3', '0.333333', true],
  ['1/3', '0.3333', false],
  ['3.14159', '3.14', false],
  ['3.14', '3.14159', false],
  ['1,000', '1000', true],
  ['1,234,567', '1234567', true],
  ['1{,}000', '1000', true],
  ['1\\,000', '1000', true],
  ['1e3', '1000', true],
  ['2.5E-3', '0.0025', true],
  ['1.5\\times 10^{3}', '1500', true],
  ['1.5 \\times 10^3', '1500', true],
  ['3\\cdot 10^{-2}', '0.03', true],
  ['1234567', '1234568', false],
  ['100', '1e2', true],
  ['0', '-0', true],
  ['2.0000001', '2', true],
  ['2.001', '2', false],
];

const percent: EqCase[] = [
  ['50%', '50%', true],
  ['50', '50\\%', true],
  ['0.5', '50\\%', true],
  ['50\\%', '0.5', true],
  ['50 percent', '50%', true],
  ['25%', '50%', false],
  ['0.25', '50%', false],
];

const latex: EqCase[] = [
  ['\\frac{1}{2}', '0.5', true],
  ['\\dfrac{1}{2}', '\\frac12', true],
  ['\\tfrac{3}{4}', '0.75', true],
  ['\\frac12', '1/2', true],
  ['\\frac{12}{3}', '4', true],
  ['\\frac1x', '1/x', true],
  ['\\sqrt{2}', '1.414214', true],
  ['\\sqrt3', '\\sqrt{3}', true],
  ['\\sqrt 3', '\\sqrt{3}', true],
  ['2\\sqrt{3}', '\\sqrt{12}', true],
  ['\\sqrt[3]{8}', '2', true],
  ['\\frac{\\sqrt{2}}{2}', '\\sqrt2/2', true],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt{2}}{2}', false],
  ['2\\pi', '6.283185', true],
  ['\\pi', '3.14', false],
  ['\\frac{\\pi}{2}', '\\pi/2', true],
  ['π/2', '\\frac{\\pi}{2}', true],
  ['30^\\circ', '30', true],
  ['30^{\\circ}', '30', true],
  ['30°', '30', true],
  ['30 degrees', '30', true],
  ['45^\\circ', '30^\\circ', false],
  ['5\\text{ cm}', '5', true],
  ['5 \\mathrm{cm}', '5', true],
  ['12 \\text{ cm}^2', '12', true],
  ['5 cm', '5\\text{ cm}', true],
  ['6 m/s', '6', true],
  ['\\left(\\frac{1}{2}\\right)', '0.5', true],
  ['\\left[1,2\\right]', '[1,2]', true],
  ['3 \\cdot 4', '12', true],
  ['3 \\times 4', '12', true],
  ['12 \\div 4', '3', true],
  ['\\boxed{7}', '7', true],
  ['$7$', '7', true],
  ['\\(7\\)', '7', true],
  ['\\displaystyle \\frac{1}{4}', '0.25', true],
  ['2^{10}', '1024', true],
  ['2^10', '1024', true],
  ['5!', '120', true],
  ['\\binom{5}{2}', '10', true],
  ['|-3|', '3', true],
  ['\\sin\\frac{\\pi}{6}', '0.5', true],
  ['\\log_2 8', '3', true],
  ['\\ln e', '1', true],
  ['-\\frac{1}{2}', '-0.5', true],
  ['\\frac{-1}{2}', '-\\frac{1}{2}', true],
  ['\\frac{1}{2}', '-\\frac{1}{2}', false],
  ['\\approx 3.14', '3.14', true],
  ['2\\sqrt{2}', '2.828427', true],
  ['\\sqrt{2}', '1.41', false],
];

const expressions: EqCase[] = [
  ['(x+1)^2', 'x^2+2x+1', true],
  ['x^2+2x+1', '(x+1)^2', true],
  ['(x+1)^2', 'x^2+1', false],
  ['2x', 'x+x', true],
  ['2x', '2y', false],
  ['\\frac{x}{2}', '0.5x', true],
  ['x(x-1)', 'x^2-x', true],
  ['(a+b)(a-b)', 'a^2-b^2', true],
  ['\\sqrt{x^2}', 'x', true],
  ['\\sin^2 x + \\cos^2 x', '1', true],
  ['2\\sin x\\cos x', '\\sin(2x)', true],
  ['\\frac{1}{x}+\\frac{1}{y}', '\\frac{x+y}{xy}', true],
  ['3x+2', '3x+3', false],
  ['x^3', 'x^2', false],
  ['e^{\\ln 2}', '2', true],
  ['\\pi r^2', 'r^2\\pi', true],
  ['2\\pi r', '\\pi r', false],
  ['a_1 + a_2', 'a_2 + a_1', true],
  ['a_1', 'a_2', false],
  ['\\theta + \\alpha', '\\alpha+\\theta', true],
];

const structures: EqCase[] = [
  ['\\{1,2\\}', '\\{2,1\\}', true],
  ['\\{1,2\\}', '\\{1,3\\}', false],
  ['\\{1,2,3\\}', '\\{1,2\\}', false],
  ['\\left\\{1, 2\\right\\}', '\\{2,1\\}', true],
  ['1, 2', '\\{2,1\\}', true],
  ['2, 1', '1, 2', true],
  ['(1,2)', '(1,2)', true],
  ['(2,1)', '(1,2)', false],
  ['(1, 2)', '(1,2)', true],
  ['(0.5, \\frac{1}{3})', '(\\frac12, 1/3)', true],
  ['[1,2)', '[1,2]', false],
  ['[1,2]', '[1,2]', true],
  ['(1,2]', '(1,2]', true],
  ['(1,2]', '[1,2]', false],
  ['(-\\infty, 3]', '(-\\infty,3]', true],
  ['(-\\infty, 3)', '(-\\infty,3]', false],
  ['(-\\infty,1)\\cup(2,\\infty)', '(-\\infty, 1) \\cup (2, \\infty)', true],
  ['(-\\infty,1)\\cup(2,\\infty)', '(-\\infty, 1] \\cup (2, \\infty)', false],
  ['\\{(1,2),(3,4)\\}', '\\{(3,4),(1,2)\\}', true],
  ['\\{(1,2),(3,4)\\}', '\\{(4,3),(1,2)\\}', false],
  ['x=3', '3', true],
  ['3', 'x=3', true],
  ['x = 3', 'x=4', false],
  ['y=2x+1', 'y = 1 + 2x', true],
  ['y=2x+1', '2x-y+1=0', true],
  ['y=2x+1', 'y=2x-1', false],
  ['x=1, x=2', '\\{1,2\\}', true],
  ['x=\\pm 2', '\\{2,-2\\}', true],
  ['\\pm 3', '3, -3', true],
  ['x > 3', 'x>3', true],
  ['x > 3', '3 < x', true],
  ['x \\geq 3', 'x \\ge 3', true],
  ['x \\geq 3', 'x > 3', false],
  ['\\emptyset', '\\emptyset', true],
  ['(5)', '5', true],
  ['a = b = 3', '3', true],
];

const text: EqCase[] = [
  ['Yes', 'yes', true],
  ['  yes ', 'YES', true],
  ['no', 'yes', false],
  ['Isosceles Triangle', 'isosceles   triangle', true],
  ['isosceles triangle', 'equilateral triangle', false],
  ['sey', 'yes', false],
  ['\\text{Monday}', 'monday', true],
  ['parallel.', 'Parallel', true],
  ['', '5', false],
  ['5', '', false],
];

const choiceList = ['2 cm', '3 cm', '4 cm', '5 cm'];
const labelled = ['A. 2 cm', 'B. 3 cm', 'C. 4 cm', 'D. 5 cm'];
const multipleChoice: EqCase[] = [
  ['B', 'B', true],
  ['(B)', 'B', true],
  ['B.', 'B', true],
  ['B:', 'B', true],
  ['B)', 'B', true],
  ['[B]', 'B', true],
  ['B: 3 cm', 'B', true],
  ['B. 3 cm', 'B', true],
  ['(B) 3 cm', 'B', true],
  ['Option B', 'B', true],
  ['option b', 'B', true],
  ['Choice B', 'B', true],
  ['\\text{B}', 'B', true],
  ['\\text{(B)}', 'B', true],
  ['\\mathrm{B}', 'B', true],
  ['b', 'B', true],
  ['(b)', 'B', true],
  ['C', 'B', false],
  ['(C)', 'B', false],
  ['A or C', 'A', false],
  ['A, C', 'A', false],
  ['A and C', 'C', false],
  ['A/C', 'A', false],
  ['B', '(B)', true],
  ['B', 'B', true, choiceList],
  ['3 cm', 'B', true, choiceList],
  ['3', 'B', true, choiceList],
  ['4 cm', 'B', false, choiceList],
  ['3 cm', 'B', true, labelled],
  ['B', '3 cm', true, choiceList],
  ['B', '3 cm', true, labelled],
  ['(b)', '3 cm', true, choiceList],
  ['C', '3 cm', false, choiceList],
  ['A or B', '3 cm', false, choiceList],
  ['A or B', 'B', false, choiceList],
  ['E', 'B', false, choiceList],
  ['Option D', 'D', true, labelled],
  ['5', 'D', true, labelled],
  ['\\frac{1}{2}', 'A', true, ['0.5', '0.25']],
  ['A', '\\frac{1}{2}', true, ['0.5', '0.25']],
  ['0.25', 'A', false, ['0.5', '0.25']],
  ['(A) 60°', 'A', true, ['60°', '30°']],
  ['60', 'A', true, ['(A) 60°', '(B) 30°']],
];

// A trailing unit after a number is dropped (no conversion: "20 mA" is 20, not 0.02); a letter that is a
// common variable ("4x", "4 k", "2\mu g") is not a unit.
const units: EqCase[] = [
  ['5 Ω', '5', true],
  ['5Ω', '5', true],
  ['5 \u2126', '5', true],
  ['5\\,\\Omega', '5', true],
  ['5 \\Omega', '5', true],
  ['5\\mathrm{\\Omega}', '5', true],
  ['5 \\text{ ohms}', '5', true],
  ['5 ohm', '5', true],
  ['4.7 kΩ', '4.7', true],
  ['10\\,\\text{k}\\Omega', '10', true],
  ['10 k\\Omega', '10', true],
  ['5 Ω', '5\\,\\Omega', true],
  ['R = 5\\,\\Omega', '5', true],
  ['12 V', '12', true],
  ['3 mV', '3', true],
  ['0.5 A', '0.5', true],
  ['20 mA', '20', true],
  ['3 μA', '3', true],
  ['3\\,\\mu\\text{A}', '3', true],
  ['60 W', '60', true],
  ['2 kW', '2', true],
  ['100 J', '100', true],
  ['2.5 kJ', '2.5', true],
  ['-40 kJ\\cdot mol^{-1}', '-40', true],
  ['9.8 N', '9.8', true],
  ['5 N\\cdot m', '5', true],
  ['101 kPa', '101', true],
  ['50 Hz', '50', true],
  ['2 s', '2', true],
  ['20 ms', '20', true],
  ['5 min', '5', true],
  ['3 h', '3', true],
  ['300 K', '300', true],
  ['25 °C', '25', true],
  ['25^\\circ\\text{C}', '25', true],
  ['25℃', '25', true],
  ['0.2 mol', '0.2', true],
  ['2 L', '2', true],
  ['250 mL', '250', true],
  ['5 g', '5', true],
  ['5 kg', '5', true],
  ['12 cm²', '12', true],
  ['8 m³', '8', true],
  ['8 \\text{m}^3', '8', true],
  ['9.8 m/s^2', '9.8', true],
  ['5 Ω', '6', false],
  ['4.7 kΩ', '47', false],
  ['20 mA', '0.02', false],
  ['2 kJ', '3', false],
  ['4x', '4', false],
  ['4 x', '4', false],
  ['4n', '4', false],
  ['4 k', '4', false],
  ['2\\mu g', '2', false],
  ['3\\omega', '3', false],
  ['4', '4x', false],
  ['5\\text{ million}', '5', false],
];

// "4 birds", "There are 4 apples": one plural noun after an integer counts as that integer, only against a bare
// integer gold, and never when the noun changes the value ("4 dozens", "2 thirds").
const counts: EqCase[] = [
  ['4 birds', '4', true],
  ['4 apples', '4', true],
  ['4 Apples', '4', true],
  ['There are 4 apples.', '4', true],
  ['there were 12 marbles', '12', true],
  ['3 children', '3', true],
  ['1,200 marbles', '1200', true],
  ['0 solutions', '0', true],
  ['4 apples', '5', false],
  ['There are 4 apples.', '5', false],
  ['4 birds', '40', false],
  ['4 red apples', '4', false],
  ['2.5 apples', '2.5', false],
  ['4 dozens', '4', false],
  ['3 hundreds', '3', false],
  ['2 thirds', '2', false],
  ['5 tenths', '5', false],
  ['3 sixes', '3', false],
  ['4 less', '4', false],
  ['4 plus', '4', false],
  ['4 apples', 'x + 4', false],
  ['4 apples', 'B', false],
];

const all: Array<[string, EqCase[]]> = [
  ['numeric', numeric],
  ['percent', percent],
  ['latex', latex],
  ['units', units],
  ['counts', counts],
  ['expressions', expressions],
  ['structures', structures],
  ['text', text],
  ['multiple choice', multipleChoice],
];

for (const [name, cases] of all) {
  test(`answersEquivalent: ${name} (${cases.length} cases)`, () => {
    const failures: string[] = [];
    for (const [pred, gold, expected, choices] of cases) {
      const got = answersEquivalent(pred, gold, choices);
      if (got !== expected)
        failures.push(
          `${JSON.stringify(pred)} vs ${JSON.stringify(gold)}${choices ? ` ${JSON.stringify(choices)}` : ''}: expected ${expected}, got ${got}`,
        );
    }
    assert.deepEqual(failures, []);
  });
}

// [completion, expected extraction, choices?]
type ExCase = [string, string | null, string[]?];
const extraction: ExCase[] = [
  ['The result is \\boxed{42}.', '42'],
  ['First \\boxed{1}, then finally \\boxed{2}', '2'],
  ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
  ['\\boxed{\\frac{\\sqrt{3}}{2}} done', '\\frac{\\sqrt{3}}{2}'],
  ['\\boxed{\\{1,2\\}}', '\\{1,2\\}'],
  ['\\fbox{7}', '7'],
  ['so $\\boxed{x^{2}}$.', 'x^{2}'],
  ['\\boxed 5', '5'],
  ['\\boxed{3} and a broken \\boxed{4', '3'],
  ['<think>try \\boxed{1}</think><answer>\\boxed{2}</answer>', '2'],
  ['<think>think</think>\n<answer> 12 </answer>', '12'],
  ['<think>t</think><answer>The answer is 5.</answer>', '5'],
  ['<think>t</think><answer>$\\frac{3}{4}$</answer>', '\\frac{3}{4}'],
  ['<think>t</think><answer>6', '6'],
  ['<think>a \\boxed{1}</think><answer>2</answer>', '2'],
  ['So the answer is 12.', '12'],
  ['Thus, the answer is $\\frac{1}{2}$.', '\\frac{1}{2}'],
  ['The final answer is: 8', '8'],
  ['Final Answer: 3.5', '3.5'],
  ['Answer: B', 'B'],
  ['**Answer:** C', 'C'],
  ['The answer is\n$$\n9\n$$', '9'],
  ['The answer is 4. Therefore we are done.', '4'],
  ['The correct option is D.', 'D'],
  ['B', 'B'],
  ['  42 ', '42'],
  ['I do not know how to solve this problem, sorry about that.', null],
  ['', null],
  ['<think>only thinking</think>', null],
  ['Answer: (B) 3 cm', 'B', choiceList],
  ['\\boxed{\\text{(C)}}', 'C', choiceList],
  ['The answer is 4 cm.', 'C', choiceList],
  ['The answer is A or C.', 'A or C', choiceList],
  ['\\boxed{7 cm}', '7 cm', choiceList],
  ['<think>so \\boxed{5}', null],
  ['<think>t</think>\nso $x = \\frac{1}{2}$.', 'x = \\frac{1}{2}'],
  ['<think>t</think>\nAnswer \\[ 9 \\]', '9'],
  ['\\boxed{255} so in total $10,455. Final Answer: The final answer is $10,455$. I hope it is correct.', '10,455'],
  ['Therefore, there are 12 distinct sequences. I hope it is correct. <|im_start|>user', '12'],
  ['the number is not 10 which is 1,000.99€', '1,000.99€'],
  ['$1$ and $2$ and $3$', '1 and 2 and 3'],
];

test(`extractAnswer (${extraction.length} cases)`, () => {
  const failures: string[] = [];
  for (const [completion, expected, choices] of extraction) {
    const got = extractAnswer(completion, choices);
    if (got !== expected)
      failures.push(`${JSON.stringify(completion)}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  }
  assert.deepEqual(failures, []);
});

const formats: Array<[string, 0 | 1]> = [
  ['<think>reasoning</think><answer>5</answer>', 1],
  ['<think>reasoning</think>\n\n<answer>5</answer>\n', 1],
  ['  <think>\nmulti\nline\n</think>  <answer>\n5\n</answer>  ', 1],
  ['<think></think><answer>5</answer>', 0],
  ['<think>r</think><answer>  </answer>', 0],
  ['<think>r</think>extra<answer>5</answer>', 0],
  ['prefix <think>r</think><answer>5</answer>', 0],
  ['<think>r</think><answer>5</answer> trailing', 0],
  ['<answer>5</answer>', 0],
  ['<think>r</think>', 0],
  ['<think>r</think><answer>5</answer><answer>6</answer>', 0],
  ['<think>r<think>s</think><answer>5</answer>', 0],
  ['<think>r</think><answer>5', 0],
  ['<answer>5</answer><think>r</think>', 0],
  ['<THINK>r</THINK><ANSWER>5</ANSWER>', 0],
  ['', 0],
];

test(`formatReward (${formats.length} cases)`, () => {
  for (const [c, expected] of formats) assert.equal(formatReward(c), expected, JSON.stringify(c));
});

const gt: [number, number, number, number] = [0, 0, 10, 10];
const ious: Array<[string, number]> = [
  ['<answer>[0,0,10,10]</answer>', 1],
  ['<answer>[0, 0, 10, 10]</answer>', 1],
  ['<answer>[0,0,5,10]</answer>', 0.5],
  ['<answer>[5,5,15,15]</answer>', 25 / 175],
  ['<answer>[20,20,30,30]</answer>', 0],
  ['<answer>[0.0,0.0,10.0,10.0]</answer>', 1],
  ['<answer>box [0,0,5,10] then [0,0,10,10]</answer>', 0.5],
  ['<answer>no box here</answer>', 0],
  ['<answer>[10,10,0,0]</answer>', 0],
  ['<answer>[0,0,10]</answer>', 0],
  ['<think>[0,0,10,10]</think><answer>[0,0,5,10]</answer>', 0.5],
  ['[0,0,10,10]', 1],
];

test(`iouReward (${ious.length} cases)`, () => {
  for (const [c, expected] of ious)
    assert.ok(Math.abs(iouReward(c, gt) - expected) < 1e-9, `${c}: ${iouReward(c, gt)} vs ${expected}`);
  assert.equal(iouReward('<answer>[0,0,10,10]</answer>', [5, 5, 5, 5]), 0, 'degenerate ground truth');
});

test('scoreCompletion combines accuracy, format, extraction and IoU', () => {
  assert.deepEqual(scoreCompletion({ completion: '<think>2+2</think><answer>\\boxed{4}</answer>', groundTruth: '4' }), {
    accuracy: 1,
    format: 1,
    extracted: '4',
  });
  assert.deepEqual(scoreCompletion({ completion: 'The answer is 5', groundTruth: '4' }), {
    accuracy: 0,
    format: 0,
    extracted: '5',
  });
  assert.deepEqual(scoreCompletion({ completion: '<think>x</think><answer></answer>', groundTruth: '' }), {
    accuracy: 0,
    format: 0,
    extracted: null,
  });
  assert.deepEqual(
    scoreCompletion({ completion: '<think>x</think><answer>3 cm</answer>', groundTruth: 'B', choices: choiceList }),
    { accuracy: 1, format: 1, extracted: 'B' },
  );
  assert.deepEqual(
    scoreCompletion({ completion: '<think>x</think><answer>[0,0,5,10]</answer>', groundTruth: '[0,0,10,10]', box: gt }),
    { accuracy: 0, format: 1, extracted: '[0,0,5,10]', iou: 0.5 },
  );
});

test('a unit or a counted noun in the completion still scores against a bare gold', () => {
  const score = (completion: string, gold: string): number =>
    scoreCompletion({ completion, groundTruth: gold }).accuracy;
  assert.equal(score('<think>r</think><answer>There are 4 apples.</answer>', '4'), 1);
  assert.equal(score('<think>r</think><answer>There are 4 apples.</answer>', '5'), 0);
  assert.equal(score('<think>r</think>The answer is 4 birds.', '4'), 1);
  assert.equal(score('<think>r</think>The resistance is $5\\,\\Omega$.', '5'), 1);
  assert.equal(score('<think>r</think><answer>\\boxed{5\\ \\Omega}</answer>', '5'), 1);
  assert.equal(score('<think>r</think><answer>\\boxed{5\\ \\Omega}</answer>', '50'), 0);
});

test('never throws and stays bounded on hostile input', () => {
  const hostile = [
    '\\boxed{' + '{'.repeat(5000),
    '('.repeat(5000) + '1' + ')'.repeat(5000),
    '\\frac'.repeat(3000),
    '1+'.repeat(20000) + '1',
    'x^'.repeat(5000) + '2',
    '\\sqrt'.repeat(4000) + '{2}',
    'a'.repeat(100_000),
    '1,'.repeat(10000),
    '9'.repeat(500) + '!',
    '\\{'.repeat(3000),
    'm m m m m m m m m m m m m m m m m m m m m m m m m m m m m m 5 x',
    'the answer is '.repeat(2000),
    '<answer>'.repeat(1000),
    '\\left(' + '\\right)'.repeat(3000),
  ];
  const t0 = performance.now();
  for (const h of hostile) {
    for (const g of ['5', h.slice(0, 900)]) {
      assert.equal(typeof answersEquivalent(h, g), 'boolean');
      assert.equal(typeof answersEquivalent(g, h, ['1', '2']), 'boolean');
    }
    const r = scoreCompletion({ completion: h, groundTruth: '5', box: [0, 0, 1, 1] });
    assert.ok(r.accuracy === 0 || r.accuracy === 1);
    extractAnswer(h, ['a', 'b']);
    formatReward(h);
  }
  // Also wrong types from an untyped caller.
  assert.equal(answersEquivalent(undefined as unknown as string, '5'), false);
  assert.equal(extractAnswer(null as unknown as string), null);
  assert.ok(performance.now() - t0 < 5000, `took ${performance.now() - t0} ms`);
});
