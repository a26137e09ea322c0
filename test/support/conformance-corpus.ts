/**
 * The conformance corpus: rows written the way the published data writes them, one family per subset folder.
 *
 * - `ov/`: the LLaVA-OneVision-Data layout — `<config>/train-00000-of-00001.parquet` (config names with parentheses
 *   and commas), columns id, image struct{bytes, path}, conversations list<{from, value}> with from ∈ {human, gpt},
 *   data_source = the config name. Human turns carry `<image>\n`, hint prefixes, `Choices:` blocks in the `A: x`,
 *   `A. x` and `(A) x` styles and the instruction suffixes; gpt turns are `Answer:A`, `A`, `(A)`, chain-of-thought
 *   prose ending in `Answer: C`, `The answer is 10.`, `The radius is 7 cm.`, `x = 3`, `$\frac{25\pi}{2}$`.
 * - `r1ov/`: the released R1-Onevision layout — per-source folders, `image` a base64 string (some with a
 *   `data:image/png;base64,` prefix), role `assistant`, no data_source column, and the four `<think>` layouts
 *   (answer after the tag, answer only inside it, `**Final Answer** \boxed{…}`, no answer at all).
 *
 * Every sample states what a correct build does with it: `done` (with the normalised gold answer and what a correct
 * model replies — sometimes the option text instead of the letter), `no_gold_answer` (quarantined), or `not_done`
 * (captioning / transcription requests: rejected or quarantined, never done).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../../core/sql.ts';
import { lastUserText, type FakeReply, type FakeRequest } from './fake-openai.ts';

type Turn = { from: string; value: string };
export type Expect = 'done' | 'no_gold_answer' | 'not_done';

export interface CorpusSample {
  sampleId: string;
  family: 'math' | 'chart_doc' | 'ocr' | 'general' | 'r1_onevision';
  expect: Expect;
  /** The normalised gold answer a correct ingest keeps (letter for multiple choice). */
  answer?: string;
  /** A distinctive piece of the question: finds the sample in a reasoner prompt. */
  needle?: string;
  /** What the correct model answers (the letter, or the option text). */
  reply?: string;
}

export interface Corpus {
  ovDir: string;
  r1Dir: string;
  samples: CorpusSample[];
  /** Row id of the multi-turn row with three questions on one chart image. */
  multiTurnRow: string;
}

interface Row {
  id: string;
  image: Buffer;
  conversations: Turn[];
}

// ---- images: real PNGs drawn from SVG ----
const svgPng = (body: string, w = 200, h = 140) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#fff"/>${body}</svg>`,
    ),
  )
    .png()
    .toBuffer();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const barChart = (values: number[], title: string) =>
  svgPng(
    `<text x="8" y="14" font-family="DejaVu Sans" font-size="11">${esc(title)}</text>` +
      values
        .map(
          (v, i) =>
            `<rect x="${20 + i * 40}" y="${130 - v * 5}" width="28" height="${v * 5}" fill="#3a6fd8"/><text x="${24 + i * 40}" y="${126 - v * 5}" font-size="10" font-family="DejaVu Sans">${v}</text>`,
        )
        .join(''),
  );
const geometry = (label: string) =>
  svgPng(
    `<polygon points="30,120 170,120 100,20" fill="none" stroke="#000" stroke-width="2"/><circle cx="100" cy="85" r="22" fill="none" stroke="#c22"/><text x="92" y="14" font-size="12" font-family="DejaVu Sans">${esc(label)}</text>`,
  );
const receipt = (lines: string[]) =>
  svgPng(
    lines
      .map((l, i) => `<text x="10" y="${22 + i * 22}" font-size="14" font-family="DejaVu Sans">${esc(l)}</text>`)
      .join(''),
    240,
    30 + lines.length * 22,
  );
const scene = (seed: number) =>
  svgPng(
    `<rect width="100%" height="100%" fill="hsl(${(seed * 47) % 360},45%,70%)"/><circle cx="${50 + (seed % 5) * 20}" cy="70" r="26" fill="#d33"/><rect x="120" y="40" width="50" height="60" fill="#2a5"/>`,
  );
const diagram = (labels: string[]) =>
  svgPng(
    labels
      .map(
        (l, i) =>
          `<rect x="${10 + i * 62}" y="50" width="52" height="30" fill="#eef" stroke="#335"/><text x="${14 + i * 62}" y="69" font-size="10" font-family="DejaVu Sans">${esc(l)}</text>`,
      )
      .join(''),
    260,
    130,
  );

const ANSWER_LETTER = "Answer with the option's letter from the given choices directly.";
const SINGLE_WORD = 'Answer the question using a single word or phrase.';

export async function writeConformanceCorpus(dir: string): Promise<Corpus> {
  const ovDir = join(dir, 'ov');
  const r1Dir = join(dir, 'r1ov');
  const samples: CorpusSample[] = [];
  const ov = new Map<string, Row[]>();
  const r1 = new Map<string, Array<Row & { prefix: boolean }>>();
  const add = (m: Map<string, Row[]>, subset: string, row: Row) => {
    if (!m.has(subset)) m.set(subset, []);
    m.get(subset)!.push(row);
  };
  const expect = (
    family: CorpusSample['family'],
    id: string,
    turn: number,
    e: Omit<CorpusSample, 'sampleId' | 'family'>,
  ) => samples.push({ sampleId: `${id}#${turn}`, family, ...e });

  // ---------------- math ----------------
  // geo3k: the "directly select" hint, `A: x` options, gold `Answer:A` (no space).
  const geo3k: Array<[string, string[], number]> = [
    ['Find m \\angle Q.', ['70', '90', '110', '180'], 0],
    ['Find x so that the two triangles are congruent.', ['2', '3', '4', '5'], 1],
    ['Find the area of the shaded sector. Round to the nearest tenth.', ['12.6', '25.1', '50.3', '100.5'], 2],
    ['Find y in the given parallelogram.', ['6', '8', '10', '12'], 3],
  ];
  for (const [i, [q, ch, k]] of geo3k.entries()) {
    const id = `geo3k-${i}`;
    add(ov, 'geo3k', {
      id,
      image: await geometry(`Q${i}`),
      conversations: [
        {
          from: 'human',
          value: `<image>\nBased on the image, directly select the correct answer for the following question:\nQuestion: ${q}\nChoices:\n${ch.map((c, j) => `${'ABCD'[j]}: ${c}`).join('\n')}`,
        },
        { from: 'gpt', value: `Answer:${'ABCD'[k]}` },
      ],
    });
    // Every other row, the correct model answers with the option text instead of the letter.
    expect('math', id, 0, { expect: 'done', answer: 'ABCD'[k]!, needle: q, reply: i % 2 ? ch[k]! : 'ABCD'[k]! });
  }
  // geo170k(qa): the reason-first hint (typo and all), chain-of-thought ending "Answer: C"; one CoT cut off.
  const geo170: Array<[string, string[], number, string]> = [
    [
      'In the given diamond ABCD, diagonal AC measures 8.0 and BD measures 6.0. What is the value of the side length y?',
      ['4.0', '12.0', '5.0', '8.0'],
      2,
      'To determine the value of y, we use the fact that the diagonals of a rhombus bisect each other at right angles. Half of AC is 4.0 and half of BD is 3.0, so y = √(4.0² + 3.0²) = 5.0. Therefore, the answer is option C.\nAnswer: C',
    ],
    [
      'As shown in the figure, AB is the diameter of circle O and angle ABC = 40.0. What is the measure of angle BAC?',
      ['40°', '50°', '60°', '90°'],
      1,
      'Since AB is a diameter, angle ACB is a right angle (90°). In triangle ABC, angle BAC = 180° - 90° - 40° = 50°.\nAnswer: B',
    ],
  ];
  for (const [i, [q, ch, k, cot]] of geo170.entries()) {
    const id = `geo170k-${i}`;
    add(ov, 'geo170k(qa)', {
      id,
      image: await geometry(`G${i}`),
      conversations: [
        {
          from: 'human',
          value: `<image>\nFirst perform reasoning, then finally select the question from the choices in the following format: Answer: xxx.\nQuestion: ${q}\nChoices:\n${ch.map((c, j) => `${'ABCD'[j]}: ${c}`).join('\n')}`,
        },
        { from: 'gpt', value: cot },
      ],
    });
    expect('math', id, 0, { expect: 'done', answer: 'ABCD'[k]!, needle: q, reply: 'ABCD'[k]! });
  }
  add(ov, 'geo170k(qa)', {
    id: 'geo170k-cut',
    image: await geometry('EF'),
    conversations: [
      {
        from: 'human',
        value:
          '<image>\nFirst perform reasoning, then finally select the question from the choices in the following format: Answer: xxx.\nQuestion: In the given diamond ABCD, EF is parallel to BC and AE = 2.0, EB = 4.0. What is the value of y?\nChoices:\nA: 4.0\nB: 12.0\nC: 8.0\nD: 4.0',
      },
      {
        from: 'gpt',
        value:
          'To determine the value of y, we can use the fact that EF is parallel to BC. By the basic proportionality theorem, the segments cut on the two sides are proportional, so AE/EB equals AF/FC. Substituting the given lengths into this relation and using the property that all sides of a diamond are equal in length, we can set up an equation in y and then simplify it step by step, starting with',
      },
    ],
  });
  expect('math', 'geo170k-cut', 0, { expect: 'no_gold_answer' });
  // The same question cut off after its first clause: short enough to pass for a short answer, still none.
  add(ov, 'geo170k(qa)', {
    id: 'geo170k-cut-short',
    image: await geometry('EF2'),
    conversations: [
      {
        from: 'human',
        value:
          '<image>\nFirst perform reasoning, then finally select the question from the choices in the following format: Answer: xxx.\nQuestion: In the given diamond ABCD, EF is parallel to BC and AE = 3.0, EB = 6.0. What is the value of y?\nChoices:\nA: 6.0\nB: 9.0\nC: 12.0\nD: 18.0',
      },
      { from: 'gpt', value: 'To determine the value of y, we can use the fact that EF is parallel to BC' },
    ],
  });
  expect('math', 'geo170k-cut-short', 0, { expect: 'no_gold_answer' });
  // MathV360K free-form: value answers in prose, with units, as equations, in LaTeX.
  const free: Array<[string, string, string, string]> = [
    [
      'geoqa+(mathv360k)',
      'What is the radius of circle O if the chord AB measures 14 cm and passes through the centre?',
      'The radius is 7 cm.',
      '7',
    ],
    ['geoqa+(mathv360k)', 'Solve for x in the triangle where 2x + 4 = 10.', 'x = 3', '3'],
    [
      'unigeo(mathv360k)',
      'What is the area of the semicircle with radius 5?',
      '$\\frac{25\\pi}{2}$',
      '\\frac{25\\pi}{2}',
    ],
    [
      'unigeo(mathv360k)',
      'How many degrees is angle AOC when angle ABC is 5 degrees short of 15 degrees?',
      'The answer is 10.',
      '10',
    ],
  ];
  for (const [i, [subset, q, gold, a]] of free.entries()) {
    const id = `mv360k-${i}`;
    add(ov, subset, {
      id,
      image: await geometry(`M${i}`),
      conversations: [
        { from: 'human', value: `<image>\n${q}` },
        { from: 'gpt', value: gold },
      ],
    });
    expect('math', id, 0, { expect: 'done', answer: a, needle: q, reply: a });
  }
  // MathVista-style `(A) x` options (iconqa in MathV360K), gold `(B)`.
  add(ov, 'iconqa(mathv360k)', {
    id: 'iconqa-0',
    image: await scene(3),
    conversations: [
      {
        from: 'human',
        value:
          '<image>\nHint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Which shape is to the right of the red circle?\nChoices:\n(A) a triangle\n(B) a green rectangle\n(C) a blue star',
      },
      { from: 'gpt', value: '(B)' },
    ],
  });
  expect('math', 'iconqa-0', 0, {
    expect: 'done',
    answer: 'B',
    needle: 'Which shape is to the right of the red circle?',
    reply: 'a green rectangle',
  });

  // ---------------- charts and documents ----------------
  // The multi-turn row: three questions on one chart image (one formalization for all three).
  const chart3 = await barChart([14, 9, 22, 6], 'Sales by quarter');
  const multi: Array<[string, string]> = [
    ['What is the value of the tallest bar?', '22'],
    ['How many bars have a value greater than 10?', '2'],
    ['What is the total of all the bars?', '51'],
  ];
  add(ov, 'chartqa(cauldron,llava_format)', {
    id: 'chartqa-multi',
    image: chart3,
    conversations: multi.flatMap(([q, a], t) => [
      { from: 'human', value: `${t === 0 ? '<image>\n' : ''}${q}\n${SINGLE_WORD}` },
      { from: 'gpt', value: a },
    ]),
  });
  multi.forEach(([q, a], t) =>
    expect('chart_doc', 'chartqa-multi', t, { expect: 'done', answer: a, needle: q, reply: a }),
  );
  const chartRows: Array<[number[], string, string]> = [
    [[3, 7, 5], 'What is the difference between the highest and the lowest bar?', '4'],
    [[12, 4, 8, 10], 'Which quarter has the lowest sales? Answer with its value.', '4'],
    [[2, 18, 11], 'What is the average of the three bars?', '10.33'],
  ];
  for (const [i, [vals, q, a]] of chartRows.entries()) {
    const id = `chartqa-${i}`;
    add(ov, 'chartqa(cauldron,llava_format)', {
      id,
      image: await barChart(vals, `Chart ${i}`),
      conversations: [
        { from: 'human', value: `<image>\n${q}\n${SINGLE_WORD}` },
        { from: 'gpt', value: a },
      ],
    });
    expect('chart_doc', id, 0, { expect: 'done', answer: a, needle: q, reply: a });
  }
  // The same chart image in two more rows (another subset): shares the formalization too.
  for (const [i, [q, a]] of (
    [
      ['Is the second bar taller than the fourth bar?', 'Yes'],
      ['What is the sum of the first two bars?', '23'],
    ] as const
  ).entries()) {
    const id = `dvqa-${i}`;
    add(ov, 'dvqa(cauldron,llava_format)', {
      id,
      image: chart3,
      conversations: [
        { from: 'human', value: `<image>\n${q}\n${SINGLE_WORD}` },
        { from: 'gpt', value: a },
      ],
    });
    expect('chart_doc', id, 0, { expect: 'done', answer: a, needle: q, reply: a });
  }
  // ai2d: `A. x` options and the option-letter suffix, gold a bare letter.
  const ai2d: Array<[string, string[], number]> = [
    ['Which stage comes right after the egg in this life cycle?', ['pupa', 'larva', 'adult', 'nymph'], 1],
    ['How many stages are shown before the adult stage?', ['1', '2', '3', '4'], 2],
    ['Which part of the diagram absorbs water from the soil?', ['leaf', 'stem', 'root', 'flower'], 2],
  ];
  for (const [i, [q, ch, k]] of ai2d.entries()) {
    const id = `ai2d-${i}`;
    add(ov, 'ai2d(cauldron,llava_format)', {
      id,
      image: await diagram(['egg', 'larva', 'pupa', 'adult']),
      conversations: [
        {
          from: 'human',
          value: `<image>\n${q}\n${ch.map((c, j) => `${'ABCD'[j]}. ${c}`).join('\n')}\n${ANSWER_LETTER}`,
        },
        { from: 'gpt', value: 'ABCD'[k]! },
      ],
    });
    expect('chart_doc', id, 0, { expect: 'done', answer: 'ABCD'[k]!, needle: q, reply: i === 0 ? ch[k]! : 'ABCD'[k]! });
  }
  // tqa: `Choices:` then `A. x` options up to E, no <image> token in the turn (it is moved to the front by loaders).
  add(ov, 'tqa(cauldron,llava_format)', {
    id: 'tqa-0',
    image: await diagram(['tri', 'tri', 'tri']),
    conversations: [
      {
        from: 'human',
        value: `How many triangles are there?\nChoices:\nA. 3\nB. 6\nC. 2\nD. 4\nE. 5\n${ANSWER_LETTER}`,
      },
      { from: 'gpt', value: 'A' },
    ],
  });
  expect('chart_doc', 'tqa-0', 0, { expect: 'done', answer: 'A', needle: 'How many triangles are there?', reply: 'A' });

  // ---------------- OCR ----------------
  // textocr is a transcription subset: the transcription request is rejected, the reasoning questions are kept.
  const bill = await receipt(['Coffee 3.50', 'Bagel 2.75', 'Juice 4.25', 'Tax 0.84', 'TOTAL 11.34']);
  add(ov, 'textocr(gpt4v)', {
    id: 'textocr-0',
    image: bill,
    conversations: [
      { from: 'human', value: '<image>\nWhat is written in the image?' },
      { from: 'gpt', value: 'Coffee 3.50, Bagel 2.75, Juice 4.25, Tax 0.84, TOTAL 11.34' },
    ],
  });
  expect('ocr', 'textocr-0', 0, { expect: 'not_done' });
  add(ov, 'textocr(gpt4v)', {
    id: 'textocr-1',
    image: bill,
    conversations: [
      { from: 'human', value: `<image>\nWhat is the total cost including tax?\n${SINGLE_WORD}` },
      { from: 'gpt', value: '11.34' },
    ],
  });
  expect('ocr', 'textocr-1', 0, {
    expect: 'done',
    answer: '11.34',
    needle: 'What is the total cost including tax?',
    reply: '11.34',
  });
  add(ov, 'textocr(gpt4v)', {
    id: 'textocr-2',
    image: bill,
    conversations: [
      { from: 'human', value: '<image>\nHow many items are listed before the tax line?' },
      { from: 'gpt', value: '3' },
    ],
  });
  expect('ocr', 'textocr-2', 0, {
    expect: 'done',
    answer: '3',
    needle: 'How many items are listed before the tax line?',
    reply: '3',
  });
  add(ov, 'iam(cauldron)', {
    id: 'iam-0',
    image: await receipt(['the quick brown fox', 'jumps over the dog']),
    conversations: [
      { from: 'human', value: '<image>\nTranscribe the handwritten text in the image.' },
      { from: 'gpt', value: 'the quick brown fox jumps over the dog' },
    ],
  });
  expect('ocr', 'iam-0', 0, { expect: 'not_done' });
  add(ov, 'sroie', {
    id: 'sroie-0',
    image: await receipt(['ACME STORE', 'Date 12/03/2019', 'Total 45.60']),
    conversations: [
      {
        from: 'human',
        value: '<image>\nWhat is the total amount on this receipt?\nAnswer the question with a short answer.',
      },
      { from: 'gpt', value: '45.60' },
    ],
  });
  expect('ocr', 'sroie-0', 0, {
    expect: 'done',
    answer: '45.60',
    needle: 'What is the total amount on this receipt?',
    reply: '45.60',
  });

  // ---------------- general ----------------
  const aok: Array<[string, string[], number]> = [
    ['What is the red round object most likely used for?', ['eating', 'signalling', 'decoration', 'sitting'], 1],
    ['Why might the green box be placed next to the circle?', ['storage', 'balance', 'random', 'light'], 0],
  ];
  for (const [i, [q, ch, k]] of aok.entries()) {
    const id = `aokvqa-${i}`;
    add(ov, 'aokvqa(cauldron,llava_format)', {
      id,
      image: await scene(10 + i),
      conversations: [
        { from: 'human', value: `<image>\n${q}\nA. ${ch[0]}\nB. ${ch[1]}\nC. ${ch[2]}\nD. ${ch[3]}\n${ANSWER_LETTER}` },
        { from: 'gpt', value: 'ABCD'[k]! },
      ],
    });
    expect('general', id, 0, { expect: 'done', answer: 'ABCD'[k]!, needle: q, reply: 'ABCD'[k]! });
  }
  add(ov, 'vqarad(cauldron,llava_format)', {
    id: 'vqarad-0',
    image: await scene(21),
    conversations: [
      {
        from: 'human',
        value: '<image>\nIs there more than one shape in the image?\nAnswer the question with Yes or No.',
      },
      { from: 'gpt', value: 'yes' },
    ],
  });
  expect('general', 'vqarad-0', 0, {
    expect: 'done',
    answer: 'Yes',
    needle: 'Is there more than one shape in the image?',
    reply: 'Yes',
  });
  add(ov, 'visual7w(cauldron,llava_format)', {
    id: 'visual7w-0',
    image: await scene(22),
    conversations: [
      {
        from: 'human',
        value: '<image>\nHow many red objects are there?\nAnswer the question using a single word or phrase.',
      },
      { from: 'gpt', value: '1' },
    ],
  });
  expect('general', 'visual7w-0', 0, {
    expect: 'done',
    answer: '1',
    needle: 'How many red objects are there?',
    reply: '1',
  });
  add(ov, 'sharegpt4v(coco)', {
    id: 'sharegpt4v-0',
    image: await scene(23),
    conversations: [
      { from: 'human', value: '<image>\nPlease generate detailed descriptions of the given image.' },
      {
        from: 'gpt',
        value:
          'The image shows a simple flat illustration on a pastel background. On the left there is a red circle, drawn without any outline.\n\nTo its right stands a green rectangle, taller than it is wide. There is no text, and the composition is minimal and balanced.',
      },
    ],
  });
  expect('general', 'sharegpt4v-0', 0, { expect: 'not_done' });

  // ---------------- the released R1-Onevision layout ----------------
  const cot = (s: string) =>
    `${s} Let me check this against the figure once more: the values are consistent with what is drawn, so the conclusion stands.`;
  const r1rows: Array<{
    folder: string;
    q: string;
    gold: string;
    answer?: string;
    reply?: string;
    image: Buffer;
    prefix: boolean;
  }> = [
    {
      folder: 'ai2d',
      q: '<image>\nHint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Which organism is a producer in this food web?\nChoices:\n(A) hawk\n(B) grass\n(C) snake\n(D) frog',
      gold: `<think>${cot('The diagram shows arrows from grass to the grasshopper, so grass makes its own food.')} So the answer is B.</think>`,
      answer: 'B',
      reply: 'B',
      image: await diagram(['grass', 'frog', 'snake', 'hawk']),
      prefix: true,
    },
    {
      folder: 'ai2d',
      q: '<image>\nQuestion: Which organism eats the frog?\nChoices:\n(A) hawk\n(B) grass\n(C) snake\n(D) grasshopper',
      gold: `<think>${cot('Following the arrows, the frog points to the snake.')}</think>\n\nC`,
      answer: 'C',
      reply: 'snake',
      image: await diagram(['frog', 'snake']),
      prefix: false,
    },
    {
      folder: 'Geometry3K(MathV360K)',
      q: '<image>\nHint: Please answer the question and provide the final answer at the end.\nQuestion: Find the length of the hypotenuse of the right triangle with legs 3 and 4.',
      gold: `<think>${cot('By the Pythagorean theorem, c = √(3² + 4²) = √25 = 5.')}</think>\n\n**Final Answer**\n\\boxed{5}`,
      answer: '5',
      reply: '5',
      image: await geometry('3-4-5'),
      prefix: true,
    },
    {
      folder: 'Geometry3K(MathV360K)',
      q: '<image>\nQuestion: Find x if the angles x and 2x are supplementary.',
      gold: `<think>${cot('x + 2x = 180, so 3x = 180.')}</think>\n\nSince 3x = 180, dividing both sides by 3 gives x = 60.`,
      answer: '60',
      reply: '60',
      image: await geometry('x 2x'),
      prefix: false,
    },
    {
      folder: 'Geometry3K(MathV360K)',
      q: '<image>\nQuestion: Find the perimeter of the square with side 6.',
      gold: `<think>${cot('The square has four equal sides of 6, and I keep going over the figure without settling on a number.')}</think>`,
      image: await geometry('sq'),
      prefix: true,
    },
    {
      folder: 'scienceqa(nona_context)',
      q: '<image>\nQuestion: Which of these states is farthest north?\nChoices:\n(A) Arizona\n(B) Maine\n(C) Texas',
      gold: `<think>${cot('On the map, Maine lies at the top right, farther north than the others.')}</think>\nThe answer is B.`,
      answer: 'B',
      reply: 'B',
      image: await scene(31),
      prefix: false,
    },
    {
      folder: 'robut_WTQ',
      q: '<image>\nQuestion: How many more medals did the first team win than the third team?',
      gold: `<think>${cot('The table lists 12 medals for the first team and 7 for the third team; 12 - 7 = 5.')}</think>\n\n5`,
      answer: '5',
      reply: '5',
      image: await receipt(['Team  Medals', 'Red   12', 'Blue  9', 'Green 7']),
      prefix: true,
    },
    {
      folder: 'llava_cot_100k_natural_scene',
      q: '<image>\nWhy is the red circle drawn larger than the other shapes?',
      gold: `<think>${cot('I compare the sizes but cannot decide which explanation is meant; the image gives no caption or context to go on.')}</think>`,
      image: await scene(41),
      prefix: false,
    },
    {
      folder: 'llava_cot_100k_natural_scene',
      q: '<image>\nHow many shapes are in the picture?',
      gold: `<think>${cot('There is a red circle and a green rectangle.')}</think>\n\nThere are 2 shapes.`,
      answer: '2',
      reply: '2',
      image: await scene(42),
      prefix: true,
    },
  ];
  for (const [i, r] of r1rows.entries()) {
    const id = `r1ov-${i}`;
    const list = r1.get(r.folder) ?? [];
    list.push({
      id,
      image: r.image,
      prefix: r.prefix,
      conversations: [
        { from: 'human', value: r.q },
        { from: 'assistant', value: r.gold },
      ],
    });
    r1.set(r.folder, list);
    const needle = r.q
      .replace(/^[\s\S]*Question: /, '')
      .replace(/^<image>\n/, '')
      .split('\n')[0]!;
    expect(
      'r1_onevision',
      id,
      0,
      r.answer ? { expect: 'done', answer: r.answer, needle, reply: r.reply! } : { expect: 'no_gold_answer' },
    );
  }

  // ---------------- write the parquet files ----------------
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const convType = `STRUCT("from" VARCHAR, value VARCHAR)[]`;
  const write = async (folder: string, lines: string[], select: string, columns: string) => {
    mkdirSync(folder, { recursive: true });
    const jsonl = join(folder, 'rows.jsonl');
    writeFileSync(jsonl, lines.join('\n'));
    await conn.run(`COPY (SELECT ${select} FROM read_json(${sqlString(jsonl)}, columns=${columns}))
      TO ${sqlString(join(folder, 'train-00000-of-00001.parquet'))} (FORMAT parquet)`);
    rmSync(jsonl);
  };
  for (const [subset, rows] of ov) {
    await write(
      join(ovDir, subset),
      rows.map((r) =>
        JSON.stringify({
          id: r.id,
          img: r.image.toString('base64'),
          conversations: r.conversations,
          data_source: subset,
        }),
      ),
      `id, {'bytes': from_base64(img), 'path': NULL::VARCHAR} AS image, conversations, data_source`,
      `{id: 'VARCHAR', img: 'VARCHAR', conversations: '${convType}', data_source: 'VARCHAR'}`,
    );
  }
  for (const [folder, rows] of r1) {
    await write(
      join(r1Dir, folder),
      rows.map((r) =>
        JSON.stringify({
          id: r.id,
          image: `${r.prefix ? 'data:image/png;base64,' : ''}${r.image.toString('base64')}`,
          conversations: r.conversations,
        }),
      ),
      'id, image, conversations',
      `{id: 'VARCHAR', image: 'VARCHAR', conversations: '${convType}'}`,
    );
  }
  conn.closeSync();
  db.closeSync();
  return { ovDir, r1Dir, samples, multiTurnRow: 'chartqa-multi' };
}

/** Valid formal outputs per formal kind (the corpus routes to these). */
const FORMALS: Record<string, unknown> = {
  formal_chart: { chartType: 'bar', title: 'Sales by quarter', csv: 'Quarter,Value\nQ1,14\nQ2,9\nQ3,22\nQ4,6' },
  formal_mixed: { caption: 'A labelled diagram with a few boxes.', objects: [], lines: [] },
  formal_natural: { caption: 'A red circle and a green rectangle on a plain background.', objects: [] },
  formal_text_only: {
    lines: [{ text: 'TOTAL 11.34', box: [6, 6, 120, 26] }],
    document: 'A short printed document with a few lines of text and numbers.',
  },
  formal_table: { format: 'csv', csv: 'Team,Medals\nRed,12\nBlue,9\nGreen,7' },
  formal_math: {
    figure: 'A triangle with a circle drawn inside it.',
    givens: [],
    strategies: ['Use the relations marked in the figure.'],
  },
};

/**
 * "An endpoint that answers every question correctly": the reasoner finds the sample by its question and answers
 * with the gold (the letter or, for some multiple-choice rows, the option text); the formalizer returns a valid
 * output for the kind; the router says mixed.
 */
export function corpusResponder(corpus: Corpus) {
  const answerable = corpus.samples.filter((s) => s.needle);
  return (req: FakeRequest): FakeReply => {
    const name = req.response_format?.json_schema?.name ?? '';
    if (name === 'modality')
      return { json: { kind: 'mixed', subkind: null, needs_reasoning: true, rationale: 'a question about the scene' } };
    if (name.startsWith('formal_')) return { json: FORMALS[name] ?? {} };
    if (name === 'qa_verdict') return { json: { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' } };
    const text = lastUserText(req);
    const s = answerable.find((x) => text.includes(x.needle!));
    const reply = s?.reply ?? 'unknown';
    return {
      content: `<think>\nLooking at the image carefully, I read off what the question needs and work it through step by step.\n</think>\n<answer>\nThe answer is \\boxed{${reply}}.\n</answer>`,
    };
  };
}
