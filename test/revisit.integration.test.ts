/**
 * The revisit loop and the formal checks inside the sample workflow on a real Temporal dev server: a model-path
 * sample whose first pass misreads the image is revisited (the vision role answers the reasoner's question), answered
 * right and accepted, with the rounds in `revisit` and every call in llm_calls; synthetic circuits get simulated and
 * their answers agree with ngspice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest, type FakeReply } from './support/fake-openai.ts';
import { writeLlavaRows } from './support/llava-fixture.ts';

let cluster: Cluster;
let fake: FakeOpenAI;
let dir: string;

function respond(req: FakeRequest): FakeReply {
  const text = JSON.stringify(req.messages);
  const name = req.response_format?.json_schema?.name ?? '';
  if (name.startsWith('formal_'))
    return {
      json: {
        figure: 'A card shows 12 + 3? where the last digit is smudged.',
        givens: ['the first number is 12'],
        strategies: ['Add the two numbers.'],
      },
    };
  if (name === 'revisit_facts')
    return {
      json: {
        facts: text.includes('Looking again at the image')
          ? []
          : [{ target: 'the second number', question: 'What is the second number on the card?' }],
      },
    };
  if (name === 'revisit_answers') return { json: { answers: [{ index: 1, answer: '30' }] } };
  if (name === 'qa_verdict') return { json: { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' } };
  const sum = text.includes('What is the second number on the card? → 30') ? 42 : 43;
  return {
    content: `<think>\nThe card shows 12 and ${sum - 12}. Adding them gives 12 + ${sum - 12} = ${sum}.\n</think>\n<answer>\nThe sum is \\boxed{${sum}}.\n</answer>`,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-revisit-int-'));
  const sub = join(dir, 'src', 'geo3k');
  mkdirSync(sub, { recursive: true });
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#eef' } })
    .png()
    .toBuffer();
  await writeLlavaRows(sub, [
    {
      id: 'smudged',
      png,
      conversations: [
        { from: 'human', value: '<image>\nWhat is 12 plus the second number on the card?' },
        { from: 'gpt', value: '42' },
      ],
      data_source: 'geo3k',
    },
  ]);
  fake = await startFakeOpenAI({ respond });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      roles: Object.fromEntries(
        ['formalizer', 'reasoner', 'judge'].map((r) => [r, { baseUrl: fake.url, model: `m-${r}` }]),
      ),
    }),
  );
  cluster = await startCluster();
  await cluster.startWorker();
});

after(async () => {
  await cluster?.stop();
  await fake?.close();
});

test('a misread fixed by revisiting the image; synthetic circuits simulated and agreeing', async () => {
  const out = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    join(dir, 'src'),
    '--run',
    'rv',
    '--config',
    join(dir, 'config.json'),
    '--wait',
  ]);
  assert.equal(out.status, 'COMPLETED');
  const [row] = (
    await cluster.cliJson<{ rows: Array<Record<string, unknown>> }>([
      'sql',
      `select status, reason, first_answer, final_answer, revisit_rounds, revisit, qa_edit from samples where run = 'rv'`,
    ])
  ).rows;
  assert.equal(row!.status, 'done', String(row!.reason));
  assert.equal(row!.first_answer, '43');
  assert.equal(row!.final_answer, '42');
  assert.equal(row!.revisit_rounds, 2);
  const log = JSON.parse(String(row!.revisit)) as {
    rounds: Array<{ facts: Array<{ answer: string }>; changed: boolean }>;
  };
  assert.deepEqual(
    log.rounds.map((r) => [r.facts.map((f) => f.answer), r.changed]),
    [
      [['30'], true],
      [[], false],
    ],
  );
  const calls = (
    await cluster.cliJson<{ rows: Array<{ role: string; prompt_id: string; n: number }> }>([
      'sql',
      `select role, prompt_id, count(*)::INTEGER AS n from llm_calls where run = 'rv' group by all order by all`,
    ])
  ).rows;
  assert.deepEqual(
    calls.filter((c) => c.prompt_id.startsWith('reason/')).map((c) => [c.role, c.prompt_id, c.n]),
    [
      ['formalizer', 'reason/revisit-look', 1],
      ['reasoner', 'reason/revisit-ask', 2],
      ['reasoner', 'reason/roleplay', 2],
    ],
  );

  const syn = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    'synthetic:5:circuit',
    '--run',
    'sim',
    '--wait',
  ]);
  assert.equal(syn.status, 'COMPLETED');
  const sims = (
    await cluster.cliJson<{ rows: Array<Record<string, unknown>> }>([
      'sql',
      `select sim_status, sim_agrees, sim_quantity from samples where run = 'sim'`,
    ])
  ).rows;
  assert.equal(sims.length, 5);
  for (const s of sims) {
    assert.equal(s.sim_status, 'simulated');
    assert.equal(s.sim_agrees, true, String(s.sim_quantity));
  }
});
