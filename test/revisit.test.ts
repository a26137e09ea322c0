/**
 * The revisit loop, activity by activity, against the local OpenAI-protocol server: the first pass answers from a
 * description that misses a value and gets it wrong; the reasoner names the fact it is unsure of; the vision role
 * (the formalizer's endpoint) answers it looking at the image; the observation is appended to the description; the
 * second pass is right; the next round the reasoner is sure and the loop stops. Every call is in llm_calls.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { reason } from '../activities/reason/reason.ts';
import { revisitRound } from '../activities/reason/revisit.ts';
import { qaRules } from '../activities/qa/qa.ts';
import { getBlob, getJsonBlob, putBlob, putJsonBlob } from '../core/blobs.ts';
import { keys } from '../core/storage/keys.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { RevisitLogSchema } from '../schemas/revisit.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest } from './support/fake-openai.ts';

const FORMAL = '* divider\nV1 n1 0 DC 12\nR1 n1 n2 4\nR2 n2 0 ?\n.end';
const text = (req: FakeRequest) =>
  req.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
const trace = (steps: string, answer: string) =>
  `<think>\n${steps}\n</think>\n<answer>\nThe voltage across R2 is ${answer} V. The answer is \\boxed{${answer}}.\n</answer>`;

let fake: FakeOpenAI;
let home: string;
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'r1ov-revisit-'));
  fake = await startFakeOpenAI({
    respond: (req) => {
      const schema = req.response_format?.json_schema?.name;
      const t = text(req);
      if (req.model === 'vision') {
        assert.equal(schema, 'revisit_answers');
        return { json: { answers: [{ index: 1, answer: '2 Ω' }] } };
      }
      if (schema === 'revisit_facts') {
        return {
          json: {
            facts: t.includes('Looking again at the image')
              ? []
              : [{ target: 'resistor R2', question: 'What resistance is written next to R2?' }],
          },
        };
      }
      // Role-play reasoning: without R2's value the reasoner guesses R2 = 4 Ω; with the observation it computes 4 V.
      return t.includes('What resistance is written next to R2? → 2 Ω')
        ? {
            content: trace(
              'The circuit has V1 = 12 V with R1 = 4 Ω and R2 = 2 Ω in series, so I = 12 / 6 = 2 A.\nThe voltage across R2 is 2 × 2 = 4 V.',
              '4',
            ),
          }
        : {
            content: trace(
              'The circuit has V1 = 12 V with R1 = 4 Ω and R2 in series; R2 looks like R1, 4 Ω.\nThe voltage across R2 is half of 12 V, 6 V.',
              '6',
            ),
          };
    },
  });
});
after(async () => {
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

test('a wrong first pass, a visual fact from the vision role, a right second pass; then the loop stops', async () => {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  const imageKey = await putBlob(home, png);
  const sampleKey = await putJsonBlob(home, {
    sampleId: 'rv-1',
    rowId: 'rv-1',
    turn: 0,
    source: 't',
    subset: 't',
    sourceFile: 'f',
    question: 'What is the voltage across R2, in volts?',
    answer: '4',
    imageKey,
    width: 64,
    height: 48,
  });
  const ref = { sampleId: 'rv-1', sampleKey, source: 't' };
  const formalKey = await putJsonBlob(home, {
    kind: 'diagram',
    subkind: 'circuit',
    format: 'spice',
    text: FORMAL,
    data: null,
  });
  const reasoner = ResolvedEndpointSchema.parse({ role: 'reasoner', baseUrl: fake.url, model: 'reasoner' });
  const vision = ResolvedEndpointSchema.parse({ role: 'formalizer', baseUrl: fake.url, model: 'vision' });
  const limits = { minTraceChars: 40, maxTraceChars: 32000 };

  const first = await reason(home, { run: 'rv', ref, formalKey, endpoint: reasoner, judge: null, candidates: 1 });
  assert.equal(first.finalAnswer, '6');
  assert.equal(
    (await qaRules(home, { run: 'rv', ref, traceKey: first.traceKey, config: limits })).code,
    'wrong_answer',
  );

  const r1 = await revisitRound(home, {
    run: 'rv',
    ref,
    formalKey,
    traceKey: first.traceKey,
    finalAnswer: first.finalAnswer,
    logKey: null,
    reasoner,
    vision,
    judge: null,
  });
  assert.equal(r1.stop, false);
  assert.equal(r1.finalAnswer, '4');
  assert.notEqual(r1.formalKey, formalKey);
  const observed = (await getJsonBlob(home, r1.formalKey)) as { text: string; data: { observations: unknown[] } };
  assert.match(
    observed.text,
    /^\* divider[\s\S]*\.end\n\nLooking again at the image:\n- resistor R2: What resistance is written next to R2\? → 2 Ω$/,
  );
  assert.deepEqual(observed.data.observations, [
    { target: 'resistor R2', question: 'What resistance is written next to R2?', answer: '2 Ω' },
  ]);
  const second = await qaRules(home, { run: 'rv', ref, traceKey: r1.traceKey, config: limits });
  assert.equal(second.accepted, true, second.reason ?? '');

  // The vision role looked at the image: its request carried the PNG.
  const look = fake.calls.find((c) => c.body?.model === 'vision')!;
  assert.match(JSON.stringify(look.body!.messages), /data:image\/png;base64,/);

  const r2 = await revisitRound(home, {
    run: 'rv',
    ref,
    formalKey: r1.formalKey,
    traceKey: r1.traceKey,
    finalAnswer: r1.finalAnswer,
    logKey: r1.revisitKey!,
    reasoner,
    vision,
    judge: null,
  });
  assert.equal(r2.stop, true);
  assert.equal(r2.traceKey, r1.traceKey, 'a sure reasoner keeps its trace');
  const log = RevisitLogSchema.parse(await getJsonBlob(home, r2.revisitKey!));
  assert.equal(log.firstAnswer, '6');
  assert.deepEqual(
    log.rounds.map((r) => [r.round, r.answerBefore, r.answerAfter, r.changed, r.facts.length]),
    [
      [1, '6', '4', true, 1],
      [2, '4', '4', false, 0],
    ],
  );
  assert.equal(log.rounds[0]!.facts[0]!.answer, '2 Ω');
  assert.match(log.rounds[1]!.note ?? '', /sure/);
  assert.match((await getBlob(home, r2.traceKey!)).toString('utf8'), /\\boxed\{4\}/);

  // Each call is accounted in llm_calls: reasoner (pass 1, ask, pass 2, ask) and the vision role (look).
  const dir = join(home, keys.llmStaging('rv'));
  const rows = readdirSync(dir).map(
    (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { role: string; prompt_id: string },
  );
  const count = (role: string, prompt: string) => rows.filter((r) => r.role === role && r.prompt_id === prompt).length;
  assert.equal(count('reasoner', 'reason/roleplay'), 2);
  assert.equal(count('reasoner', 'reason/revisit-ask'), 2);
  assert.equal(count('formalizer', 'reason/revisit-look'), 1);
});

test('an unusable structured answer ends the loop without failing the sample', async () => {
  const bad = await startFakeOpenAI({ respond: () => ({ content: 'I am not sure about anything in particular.' }) });
  try {
    const sampleKey = await putJsonBlob(home, {
      sampleId: 'rv-2',
      rowId: 'rv-2',
      turn: 0,
      source: 't',
      subset: 't',
      sourceFile: 'f',
      question: 'Q?',
      answer: '1',
    });
    const formalKey = await putJsonBlob(home, {
      kind: 'math',
      subkind: null,
      format: 'math',
      text: 'Figure: x',
      data: null,
    });
    const ep = ResolvedEndpointSchema.parse({ role: 'reasoner', baseUrl: bad.url, model: 'm' });
    const r = await revisitRound(home, {
      run: 'rv2',
      ref: { sampleId: 'rv-2', sampleKey, source: 't' },
      formalKey,
      traceKey: null,
      finalAnswer: null,
      logKey: null,
      reasoner: ep,
      vision: ep,
      judge: null,
    });
    assert.equal(r.stop, true);
    assert.equal(r.formalKey, formalKey);
    const log = RevisitLogSchema.parse(await getJsonBlob(home, r.revisitKey!));
    assert.match(log.rounds[0]!.note ?? '', /unusable structured output/);
  } finally {
    await bad.close();
  }
});

test('with --fidelity, accuracy before and after revisiting is staged beside the fidelity rows', async () => {
  const { scoreRevisitFidelity } = await import('../activities/reason/revisit-fidelity.ts');
  const { generateSyntheticItem } = await import('../activities/synthetic/index.ts');
  const item = generateSyntheticItem(0, { n: 1, kinds: ['circuit'], seed: 3 });
  const sampleKey = await putJsonBlob(home, {
    sampleId: `${item.id}#0`,
    rowId: item.id,
    turn: 0,
    source: 'synthetic/circuit',
    subset: 'circuit',
    sourceFile: 'synthetic:1',
    question: item.question,
    answer: item.answer,
    ...(item.choices ? { choices: item.choices } : {}),
    exact: {
      kind: item.routeKind,
      subkind: item.subkind,
      formalFormat: item.formalFormat,
      formalText: item.formalText,
      trace: item.trace,
      template: item.template,
      generator: `synthetic:circuit/${item.template}`,
    },
  });
  const revisitKey = await putJsonBlob(home, {
    firstAnswer: 'Z',
    rounds: [
      {
        round: 1,
        facts: [{ target: 'R1', question: 'value?', answer: '4 Ω' }],
        answerBefore: 'Z',
        answerAfter: item.answer,
        changed: true,
        note: null,
      },
    ],
  });
  const r = await scoreRevisitFidelity(home, {
    run: 'fid',
    ref: { sampleId: `${item.id}#0`, sampleKey, source: 'synthetic/circuit' },
    firstAnswer: 'Z',
    finalAnswer: item.answer,
    revisitKey,
    modelName: 'vl',
  });
  const rows = readFileSync(join(home, r.staged!), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { metric: string; value: number; kind: string });
  assert.deepEqual(
    rows.map((x) => [x.metric, x.value]),
    [
      ['answer_accuracy_first', 0],
      ['answer_accuracy_revisit', 1],
      ['revisit_changed', 1],
      ['revisit_facts', 1],
    ],
  );
  assert.ok(rows.every((x) => x.kind === 'circuit'));
});
