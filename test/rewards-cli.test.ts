import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerRewardsCommands } from '../cli/rewards.ts';
import { UsageError } from '../core/errors.ts';
import { RewardOutputLineSchema } from '../schemas/rewards.ts';

function program(): Command {
  const p = new Command();
  p.exitOverride().option('--json').option('--home <dir>');
  registerRewardsCommands(p);
  return p;
}

const lines = [
  { id: 'a', completion: '<think>2+2</think><answer>\\boxed{4}</answer>', ground_truth: '4' },
  { id: 2, completion: 'The answer is (B).', ground_truth: '3 cm', choices: ['2 cm', '3 cm'] },
  {
    id: 'c',
    completion: '<think>x</think><answer>[0,0,5,10]</answer>',
    ground_truth: 'x',
    box: [0, 0, 10, 10],
    choices: null,
  },
  { id: 'd', completion: 'I have no idea how to solve this one, sorry.', ground_truth: 7 },
];

test('rewards score streams JSONL to --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-rewards-'));
  try {
    const inPath = join(dir, 'in.jsonl');
    const outPath = join(dir, 'out.jsonl');
    writeFileSync(inPath, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
    await program().parseAsync(['node', 'r1ov', 'rewards', 'score', '--in', inPath, '--out', outPath]);
    const out = readFileSync(outPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => RewardOutputLineSchema.parse(JSON.parse(l)));
    assert.deepEqual(out, [
      { id: 'a', accuracy: 1, format: 1, extracted: '4' },
      { id: 2, accuracy: 1, format: 0, extracted: 'B' },
      { id: 'c', accuracy: 0, format: 1, extracted: '[0,0,5,10]', iou: 0.5 },
      { id: 'd', accuracy: 0, format: 0, extracted: null },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rewards score: a malformed line fails with FILE:LINE and leaves no --out file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-rewards-'));
  try {
    const inPath = join(dir, 'in.jsonl');
    const outPath = join(dir, 'out.jsonl');
    writeFileSync(inPath, JSON.stringify(lines[0]) + '\n{"id": "x", "completion": 5, "ground_truth": "1"}\n');
    await assert.rejects(
      program().parseAsync(['node', 'r1ov', 'rewards', 'score', '--in', inPath, '--out', outPath]),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /in\.jsonl:2: completion: /);
        return true;
      },
    );
    assert.equal(existsSync(outPath), false);
    writeFileSync(inPath, '{not json\n');
    await assert.rejects(
      program().parseAsync(['node', 'r1ov', 'rewards', 'score', '--in', inPath]),
      /in\.jsonl:1: not valid JSON/,
    );
    await assert.rejects(
      program().parseAsync(['node', 'r1ov', 'rewards', 'score', '--in', join(dir, 'missing.jsonl')]),
      UsageError,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rewards serve rejects a bad port with a UsageError', async () => {
  await assert.rejects(program().parseAsync(['node', 'r1ov', 'rewards', 'serve', '--port', 'abc']), UsageError);
});
