/**
 * Role-play reasoning and QA through the lifecycle: a sound trace is accepted; a wrong final answer is
 * rejected with its reason; caption-talk is revised away by the judge's revision pass; the QA judge's edited trace
 * is what gets stored. And `r1ov rewards serve` (the real binary) scores a batch of 1,000 in one request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { freePort, repoRoot, startCluster, type Cluster } from './support/cluster.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeRequest, type FakeReply } from './support/fake-openai.ts';
import { writeLlavaRows } from './support/llava-fixture.ts';

let cluster: Cluster;
let fake: FakeOpenAI;
let dir: string;

const QUESTIONS: Record<string, { q: string; a: string }> = {
  sound: { q: 'What is 12 + 30? [sound]', a: '42' },
  wrong: { q: 'What is 5 + 6? [wrong]', a: '11' },
  caption: { q: 'What is 7 + 8? [caption]', a: '15' },
  edited: { q: 'What is 9 + 9? [edited]', a: '18' },
};

const EDITED = '<think>\nThe image shows 9 and 9. 9 + 9 = 18.\n</think>\n<answer>\nThe sum is \\boxed{18}.\n</answer>';

function respond(req: FakeRequest): FakeReply {
  const text = JSON.stringify(req.messages);
  const name = req.response_format?.json_schema?.name ?? '';
  const tag = /\[(sound|wrong|caption|edited)\]/.exec(text)?.[1] ?? 'sound';
  if (name.startsWith('formal_'))
    return {
      json: { figure: 'Two numbers are printed on the card.', givens: ['the two numbers'], strategies: ['Add them.'] },
    };
  if (name === 'qa_verdict') {
    return tag === 'edited'
      ? {
          json: {
            valid: true,
            removed_steps: ['Let us double-check by counting on fingers.'],
            edited_trace: EDITED,
            reason: 'removed an irrelevant step',
          },
        }
      : { json: { valid: true, removed_steps: [], edited_trace: null, reason: 'sound' } };
  }
  if (/Rewrite it so that it speaks about the image itself/.test(text)) {
    return {
      content:
        '<think>\nThe image shows the numbers 7 and 8. 7 + 8 = 15.\n</think>\n<answer>\nThe sum is \\boxed{15}.\n</answer>',
    };
  }
  const m = /What is (\d+) \+ (\d+)/.exec(text)!;
  const sum = Number(m[1]) + Number(m[2]) + (tag === 'wrong' ? 1 : 0);
  if (tag === 'caption')
    return {
      content: `<think>\nBased on the caption, the numbers are ${m[1]} and ${m[2]}. ${m[1]} + ${m[2]} = ${sum}.\n</think>\n<answer>\nThe sum is \\boxed{${sum}}.\n</answer>`,
    };
  if (tag === 'edited')
    return {
      content: `<think>\nThe image shows ${m[1]} and ${m[2]}. ${m[1]} + ${m[2]} = ${sum}.\nLet us double-check by counting on fingers.\n</think>\n<answer>\nThe sum is \\boxed{${sum}}.\n</answer>`,
    };
  // The reasoner puts its thinking in reasoning_content, as DeepSeek-R1 endpoints do.
  return {
    reasoning_content: `The image shows ${m[1]} and ${m[2]}. Adding: ${m[1]} + ${m[2]} = ${sum}.`,
    content: `The sum is \\boxed{${sum}}.`,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'r1ov-reason-'));
  const sub = join(dir, 'src', 'geo3k');
  mkdirSync(sub, { recursive: true });
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#eef' } })
    .png()
    .toBuffer();
  await writeLlavaRows(
    sub,
    Object.entries(QUESTIONS).map(([k, v]) => ({
      id: k,
      png,
      conversations: [
        { from: 'human', value: `<image>\n${v.q}` },
        { from: 'gpt', value: v.a },
      ],
      data_source: 'geo3k',
    })),
  );
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

test('sound traces are accepted, wrong answers rejected, caption talk revised, judge edits stored', async () => {
  const out = await cluster.cliJson<{ status: string }>([
    'build',
    '--source',
    join(dir, 'src'),
    '--run',
    'r',
    '--config',
    join(dir, 'config.json'),
    '--wait',
  ]);
  assert.equal(out.status, 'COMPLETED');
  const rows = (
    await cluster.cliJson<{ rows: Array<Record<string, string>> }>([
      'sql',
      `select row_id, status, reason_code, reason, trace, qa_verdict from samples where run = 'r' order by row_id`,
    ])
  ).rows;
  const by = Object.fromEntries(rows.map((r) => [r.row_id, r]));
  assert.equal(by.sound!.status, 'done');
  assert.match(
    by.sound!.trace!,
    /^<think>\nThe image shows 12 and 30\. Adding: 12 \+ 30 = 42\.\n<\/think>\n<answer>\nThe sum is \\boxed\{42\}\.\n<\/answer>$/,
  );
  assert.equal(by.wrong!.status, 'rejected');
  assert.equal(by.wrong!.reason_code, 'wrong_answer');
  assert.match(by.wrong!.reason!, /12/);
  assert.equal(by.caption!.status, 'done');
  assert.doesNotMatch(by.caption!.trace!, /caption/i);
  assert.match(by.caption!.trace!, /The image shows the numbers 7 and 8/);
  assert.equal(by.edited!.status, 'done');
  assert.equal(by.edited!.trace, EDITED);
  assert.deepEqual(JSON.parse(by.edited!.qa_verdict!).removed_steps, ['Let us double-check by counting on fingers.']);
});

test('r1ov rewards serve answers a batch of 1,000 in one request', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'r1ov.js'), 'rewards', 'serve', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    // Readiness: the service answers /health (it prints nothing we could wait on otherwise).
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/health`)).ok) break;
      } catch {
        if (i > 200) throw new Error('reward service did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const items = Array.from({ length: 1000 }, (_, i) => ({
      id: String(i),
      completion: `<think>\nwork\n</think>\n<answer>\n\\boxed{${i % 2 === 0 ? i : i + 1}}\n</answer>`,
      ground_truth: String(i),
    }));
    const res = await fetch(`${url}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: Array<{ id: string; accuracy: number; format: number }> };
    assert.equal(body.results.length, 1000);
    assert.equal(body.results.filter((r) => r.accuracy === 1).length, 500);
    assert.ok(body.results.every((r, i) => r.id === String(i) && r.format === 1));
  } finally {
    child.kill('SIGTERM');
  }
});
