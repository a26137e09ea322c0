/**
 * The judge's edited trace is checked: it must be the original minus whole steps, every removed step it lists must
 * exist in the original, and the edit must still pass every QA rule; otherwise the original trace stands and the
 * reason is stored in the verdict. Activity-level, through the local OpenAI-protocol server as the judge.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJudgeEdit } from '../activities/qa/edits.ts';
import { qaJudge, qaRules } from '../activities/qa/qa.ts';
import { getBlob, getJsonBlob, putBlob, putJsonBlob } from '../core/blobs.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { lastUserText, startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

const STEPS = [
  'The circuit shows V1 = 12 V driving R1 = 4 Ω and R2 = 2 Ω in series.',
  'The wires are drawn in black ink on a white page.',
  'In series the resistances add: 4 + 2 = 6 Ω.',
  'The current is I = 12 / 6 = 2 A.',
];
const ANSWER = 'The current is 2 A. The answer is \\boxed{2}.';
const trace = (steps: string[], answer = ANSWER) =>
  `<think>\n${steps.join('\n')}\n</think>\n<answer>\n${answer}\n</answer>`;
const ORIGINAL = trace(STEPS);
const WITHOUT_INK = trace([STEPS[0]!, STEPS[2]!, STEPS[3]!]);

describe('checkJudgeEdit', () => {
  test('deleting whole steps passes (whitespace differences do not matter)', () => {
    assert.deepEqual(checkJudgeEdit(ORIGINAL, WITHOUT_INK.replace('add: 4', 'add:   4'), [STEPS[1]!]), {
      ok: true,
      removed: 1,
    });
  });
  test('an inserted step is refused', () => {
    const r = checkJudgeEdit(
      ORIGINAL,
      trace([STEPS[0]!, "Ohm's law relates voltage and current.", STEPS[2]!, STEPS[3]!]),
      [STEPS[1]!],
    );
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'edit_inserted_step');
  });
  test('a reworded step is refused and named', () => {
    const r = checkJudgeEdit(
      ORIGINAL,
      trace([STEPS[0]!, 'In series the resistances add up: 4 + 2 = 6 Ω.', STEPS[3]!]),
      [STEPS[1]!],
    );
    assert.equal(!r.ok && r.code, 'edit_reworded_step');
    assert.match(!r.ok ? r.reason : '', /rewords "In series the resistances add: 4 \+ 2 = 6 Ω\."/);
  });
  test('a removed step that the original lacks is refused', () => {
    const r = checkJudgeEdit(ORIGINAL, WITHOUT_INK, ['The battery is drawn on the left.']);
    assert.equal(!r.ok && r.code, 'edit_missing_removed_step');
  });
  test('reordered steps are refused; a multi-line removed paragraph counts as existing', () => {
    assert.equal(
      (checkJudgeEdit(ORIGINAL, trace([STEPS[2]!, STEPS[0]!, STEPS[3]!]), []) as { code?: string }).code,
      'edit_reordered',
    );
    assert.equal(checkJudgeEdit(ORIGINAL, trace([STEPS[0]!, STEPS[3]!]), [`${STEPS[1]}\n${STEPS[2]}`]).ok, true);
  });
});

describe('qaJudge applies only checked edits', () => {
  let fake: FakeOpenAI;
  let home: string;
  let verdict: unknown;
  let judgePrompt = '';
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'r1ov-qa-edits-'));
    fake = await startFakeOpenAI({
      respond: (req) => {
        judgePrompt = lastUserText(req);
        return { json: verdict };
      },
    });
  });
  after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });

  const judge = async (
    id: string,
    reply: unknown,
    config = { minTraceChars: 40, maxTraceChars: 32000 },
    gold: { answer: string; choices?: string[]; trace?: string } = { answer: '2' },
  ) => {
    verdict = reply;
    const sampleKey = await putJsonBlob(home, {
      sampleId: id,
      rowId: id,
      turn: 0,
      source: 't',
      subset: 't',
      sourceFile: 'f',
      question: 'What current does V1 supply, in amperes?',
      answer: gold.answer,
      choices: gold.choices,
    });
    const ref = { sampleId: id, sampleKey, source: 't' };
    const formalKey = await putJsonBlob(home, {
      kind: 'diagram',
      subkind: 'circuit',
      format: 'spice',
      text: `* ${id}\nV1 n1 0 12\nR1 n1 n2 4\nR2 n2 0 2\n.end`,
      data: null,
    });
    const traceKey = await putBlob(home, gold.trace ?? ORIGINAL);
    const rules = await qaRules(home, { run: 'qa', ref, traceKey, config });
    assert.equal(rules.accepted, true, rules.reason ?? '');
    const endpoint = ResolvedEndpointSchema.parse({ role: 'judge', baseUrl: fake.url, model: 'judge' });
    const r = await qaJudge(home, { run: 'qa', ref, formalKey, rules, endpoint, config });
    const stored = (await getBlob(home, r.traceKey!)).toString('utf8');
    const v = (await getJsonBlob(home, r.verdictKey!)) as {
      edit: { status: string; code: string | null; reason: string | null };
    };
    return { r, stored, edit: v.edit };
  };

  test('a deletion of whole steps replaces the trace', async () => {
    const { r, stored, edit } = await judge('ok', {
      valid: true,
      removed_steps: [STEPS[1]],
      edited_trace: WITHOUT_INK,
      reason: 'ink colour is irrelevant',
    });
    assert.equal(r.accepted, true);
    assert.equal(stored, WITHOUT_INK);
    assert.deepEqual(edit, { status: 'applied', code: null, reason: null });
  });

  const rejected: Array<[string, unknown, string]> = [
    [
      'an inserted step',
      {
        valid: true,
        removed_steps: [STEPS[1]],
        edited_trace: trace([STEPS[0]!, 'Current flows from + to −.', STEPS[2]!, STEPS[3]!]),
        reason: 'r',
      },
      'edit_inserted_step',
    ],
    [
      'a reworded step',
      {
        valid: true,
        removed_steps: [STEPS[1]],
        edited_trace: trace([STEPS[0]!, STEPS[2]!, 'So the current is I = 12 / 6 = 2 A.']),
        reason: 'r',
      },
      'edit_reworded_step',
    ],
    [
      'a missing removed step',
      { valid: true, removed_steps: ['The source is drawn as a circle.'], edited_trace: WITHOUT_INK, reason: 'r' },
      'edit_missing_removed_step',
    ],
    [
      'an edit that breaks a rule (answer removed)',
      {
        valid: true,
        removed_steps: [ANSWER],
        edited_trace: trace(STEPS, '').replace('<answer>\n\n</answer>', '<answer>\n</answer>'),
        reason: 'r',
      },
      'edit_bad_format',
    ],
  ];
  for (const [what, v, code] of rejected) {
    test(`${what}: the original trace stands and the reason is stored`, async () => {
      const { r, stored, edit } = await judge(`bad-${code}`, v);
      assert.equal(r.accepted, true, 'the verdict (valid) stands');
      assert.equal(stored, ORIGINAL);
      assert.equal(edit.status, 'rejected');
      assert.equal(edit.code, code);
      assert.ok(edit.reason && edit.reason.length > 10);
    });
  }

  test('the judge reads the options of a multiple-choice question as "A. …" lines, so the gold letter names one', async () => {
    const lettered = trace(STEPS, 'The current is 2 A, option B. The answer is \\boxed{B}.');
    const { r } = await judge(
      'mc',
      { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' },
      undefined,
      { answer: 'B', choices: ['1 A', '2 A', '3 A', '6 A'], trace: lettered },
    );
    assert.equal(r.accepted, true);
    assert.match(
      judgePrompt,
      /Question: What current does V1 supply, in amperes\?\nOptions:\nA\. 1 A\nB\. 2 A\nC\. 3 A\nD\. 6 A\n/,
    );
    assert.match(judgePrompt, /Ground-truth answer: B\n/);
    await judge('free', { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' });
    assert.match(
      judgePrompt,
      /Question: What current does V1 supply, in amperes\?\nGround-truth answer: 2\n/,
      'no options block without choices',
    );
  });

  test("an edit under the run's length limit fails the rules and is not applied", async () => {
    const short = trace([STEPS[3]!]);
    const { stored, edit } = await judge(
      'short',
      { valid: true, removed_steps: STEPS.slice(0, 3), edited_trace: short, reason: 'r' },
      { minTraceChars: 150, maxTraceChars: 32000 },
    );
    assert.equal(stored, ORIGINAL);
    assert.equal(edit.code, 'edit_too_short');
  });
});
