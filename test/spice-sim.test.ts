/**
 * Executable SPICE: netlists run through ngspice's `.op` (Debian package `ngspice`). Every exact synthetic netlist
 * simulates and the simulator answers its question with the synthetic answer; a netlist that parses but does not
 * simulate goes back to the formalizer with the simulator's message (repaired, or quarantined with that message);
 * netlists that would reach a shell or files are refused before ngspice runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticItem } from '../activities/synthetic/index.ts';
import { validateSpice } from '../activities/formalize/validators/spice.ts';
import {
  ngspiceBinary,
  opDeck,
  refuseUnsafeNetlist,
  simulateOp,
} from '../activities/formalize/validators/spice-sim.ts';
import { finalAnswerValue, simulatedAnswer, valuesAgree } from '../activities/formalize/validators/spice-answer.ts';
import { runFormalChecks } from '../activities/formalize/validators/formal-checks.ts';
import { formalize } from '../activities/formalize/formalize.ts';
import { putJsonBlob } from '../core/blobs.ts';
import { ResolvedEndpointSchema } from '../schemas/config.ts';
import { startFakeOpenAI, type FakeOpenAI } from './support/fake-openai.ts';

const FLOATING = '* divider\nV1 n1 0 DC 10\nR1 n1 n2 1k\nR2 n3 n4 1k\n.end';
const GOOD = '* divider\nV1 n1 0 DC 10\nR1 n1 n2 1k\nR2 n2 0 1k\n.end';

test('ngspice is installed (apt-get install ngspice; .ci/run installs it)', () => {
  assert.ok(ngspiceBinary(), 'ngspice not found on PATH');
});

describe('synthetic circuits', () => {
  const items = Array.from({ length: 40 }, (_, i) => generateSyntheticItem(i, { n: 40, kinds: ['circuit'], seed: 11 }));

  test('every exact netlist simulates, and the simulated answer equals the synthetic answer', async () => {
    const templates = new Set<string>();
    for (const item of items) {
      const parsed = validateSpice(item.formalText);
      assert.ok(parsed.ok, `${item.id}: ${!parsed.ok && parsed.error}`);
      const sim = await simulateOp(item.formalText);
      assert.ok(sim.ok, `${item.id}: ${!sim.ok && sim.error}`);
      const q = simulatedAnswer(item.question, parsed.summary.elements, sim.op);
      assert.ok(q, `${item.id}: no simulated quantity for "${item.question}"`);
      const expected = finalAnswerValue(item.answer, item.choices);
      assert.notEqual(expected, null, `${item.id}: answer ${item.answer} is not a number`);
      assert.ok(
        valuesAgree(expected!, q.value),
        `${item.id}: ${q.quantity} simulated ${q.value}, synthetic answer ${item.answer} (${expected})`,
      );
      templates.add(item.template);
    }
    assert.deepEqual([...templates].sort(), [
      'circuit-branch-current',
      'circuit-power',
      'circuit-req',
      'circuit-total-current',
      'circuit-voltage',
    ]);
  });

  test('the stored check compares the trace answer with the simulator: agreeing and disagreeing answers', async () => {
    const item = items.find((i) => i.template === 'circuit-voltage')!;
    const right = await runFormalChecks({
      format: 'spice',
      text: item.formalText,
      question: item.question,
      finalAnswer: item.answer,
    });
    assert.equal(right.sim?.status, 'simulated');
    assert.equal(right.sim?.agrees, true);
    assert.match(right.sim!.quantity!, /^voltage across R\d+$/);
    const wrong = await runFormalChecks({
      format: 'spice',
      text: item.formalText,
      question: item.question,
      finalAnswer: String(Number(item.answer) + 1),
    });
    assert.equal(wrong.sim?.agrees, false);
    assert.equal(right.table, null);
    assert.equal(right.flow, null);
  });
});

describe('safety: netlists that reach a shell or files are refused before ngspice runs', () => {
  const refused = [
    [
      'a .control block with a shell line',
      `${GOOD.replace('.end', '')}.control\nshell touch pwned\n.endc\n.end`,
      /\.control blocks/,
    ],
    ['an include', `* x\n.include /etc/passwd\n${GOOD}`, /includes and libraries/],
    [
      'a file-backed source',
      `* x\nA1 %v([n1]) filesrc\n.model filesrc filesource (file="/etc/passwd")\n${GOOD}`,
      /file-backed/,
    ],
    ['a bare shell command', `* x\nshell rm -rf /\n${GOOD}`, /simulator commands/],
  ] as const;
  for (const [what, netlist, why] of refused) {
    test(what, async () => {
      assert.match(refuseUnsafeNetlist(netlist) ?? '', why);
      const sim = await simulateOp(netlist);
      assert.equal(sim.ok, false);
      assert.match(!sim.ok ? sim.error : '', /^netlist refused: line \d+/);
    });
  }
  test('the deck keeps the circuit and runs only our .op', () => {
    const deck = opDeck(`${GOOD.replace('.end', '')}.tran 1u 1m\n.print tran v(n2)\n.end`);
    assert.doesNotMatch(deck, /\.tran|\.print/);
    assert.match(deck, /\nR2 n2 0 1k\n\.op\n\.end\n$/);
  });
});

describe('a netlist that parses but does not simulate', () => {
  test('fails with the simulator message', async () => {
    assert.ok(validateSpice(FLOATING).ok, 'the syntax validator accepts it');
    const sim = await simulateOp(FLOATING);
    assert.equal(sim.ok, false);
    assert.match(!sim.ok ? sim.error : '', /does not simulate: .*singular matrix/i);
  });

  let fake: FakeOpenAI;
  let home: string;
  let replies: string[] = [];
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'r1ov-spice-'));
    fake = await startFakeOpenAI({
      respond: (req) => ({
        json: { format: 'spice', netlist: replies[Math.min((req.messages.length - 1) / 2, replies.length - 1)] },
      }),
    });
  });
  after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });
  const run = async (id: string) => {
    const sampleKey = await putJsonBlob(home, {
      sampleId: id,
      rowId: id,
      turn: 0,
      source: 'test',
      subset: 't',
      sourceFile: 'f',
      question: `What is the voltage across R2 (${id})?`,
      answer: '5',
    });
    return formalize(home, {
      run: 'spice',
      ref: { sampleId: id, sampleKey, source: 'test' },
      route: {
        kind: 'diagram',
        subkind: 'circuit',
        routeBy: 'test',
        exact: false,
        needsClassifier: false,
        reject: null,
        quarantine: null,
      },
      endpoint: ResolvedEndpointSchema.parse({ role: 'formalizer', baseUrl: fake.url, model: 'vl' }),
      maxRepairs: 1,
    });
  };

  test('is repaired: the simulator message goes back to the formalizer', async () => {
    replies = [FLOATING, GOOD];
    const before = fake.calls.length;
    const r = await run('repaired');
    assert.equal(r.valid, true);
    assert.equal(r.attempts, 2);
    const second = fake.calls[before + 1]!.body!.messages.map((m) => JSON.stringify(m.content)).join('\n');
    assert.match(second, /does not simulate.*singular matrix/i);
  });

  test('or is quarantined with the simulator message', async () => {
    replies = [FLOATING.replace('divider', 'floating')];
    const r = await run('broken');
    assert.equal(r.valid, false);
    assert.match(r.error ?? '', /does not simulate: .*singular matrix/i);
  });
});

test('a classic title line (not a comment) stays the title; a netlist without one gets a title', async () => {
  const titled = await simulateOp(
    'Voltage divider\nV1 a 0 DC 10\nR1 a b 1k\nR2 b 0 1k\n.end\n* after end: ignored\nR9 x y',
  );
  assert.ok(titled.ok, !titled.ok ? titled.error : '');
  assert.equal(titled.ok && titled.op.nodes.b, 5);
  const bare = await simulateOp('V1 a 0 DC 10\nR1 a 0 2');
  assert.ok(bare.ok && bare.op.branches.v1 === -5, 'the first card is a card, not the title');
});
