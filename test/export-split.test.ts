/**
 * `r1ov export RUN --format trl --split sft=…,rl=…` (activities/export/split.ts): the RL subset holds only answers
 * the rewards verify (a choice letter, a constant, a box when asked), traces within the length cap, kinds mixed
 * round-robin, drawn by seed; SFT gets the rest or all; both halves are TRL datasets; split.json records it.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportRun } from '../activities/export/export.ts';
import { answerType, parseSplitSpec } from '../activities/export/split.ts';
import { ensureDir, paths } from '../core/home.ts';
import { UsageError } from '../core/errors.ts';
import { sqlString } from '../core/sql.ts';
import { RECORD_COLUMNS } from '../schemas/sample.ts';
import { ExportSplitSchema, SplitManifestSchema } from '../schemas/export.ts';

let home: string;

// (kind, question, answer, choices): answers as R1-Onevision's records carry them.
const ROWS: Array<[string, string, string, string[] | null]> = [
  ['chart', 'Which bar is tallest?', 'B', ['2019', '2020', '2021']],
  ['chart', 'What is the value in 2020?', '35.5', null],
  ['chart', 'Describe the trend.', 'It rises steadily', null],
  ['chart', 'Which year is lowest?', 'A', ['2019', '2020']],
  ['table', 'What is the total?', '\\frac{7}{2}', null],
  ['table', 'Which row is largest?', 'C', ['x', 'y', 'z']],
  ['table', 'Name the column.', 'revenue', null],
  ['geometry', 'Find x.', '12', null],
  ['geometry', 'Which angle is right?', 'D', ['a', 'b', 'c', 'd']],
  ['geometry', 'Give the expression for the area.', 'x^2 + 2x', null],
  ['natural', 'Where is the cat?', '[1, 2, 30, 40]', null],
  ['natural', 'How many cats?', '3', null],
];

async function writeHome(): Promise<void> {
  home = mkdtempSync(join(tmpdir(), 'r1ov-split-'));
  const rows = ROWS.map(([kind, question, answer, choices], i) => ({
    run: 'r',
    sample_id: `s${String(i).padStart(2, '0')}#0`,
    row_id: `s${i}`,
    turn: 0,
    source: 'test',
    subset: kind,
    status: 'done',
    stage: 'done',
    question,
    answer,
    choices: choices ? JSON.stringify(choices) : null,
    kind,
    // One long trace: the length cap keeps it out of RL.
    trace: `<think>\n${i === 7 ? 'long reasoning '.repeat(200) : `step ${i}`}\n</think>\n<answer>\n\\boxed{${answer}}\n</answer>`,
    finished_at: '2026-01-01T00:00:00Z',
  }));
  const shards = ensureDir(paths.shards(home, 'r'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const cols = Object.entries(RECORD_COLUMNS);
  const values = rows.map(
    (r) =>
      `(${cols
        .map(([c, t]) => {
          const v = (r as Record<string, unknown>)[c];
          return v === undefined || v === null ? `NULL::${t}` : `${sqlString(String(v))}::${t}`;
        })
        .join(', ')})`,
  );
  await conn.run(
    `COPY (SELECT * FROM (VALUES ${values.join(', ')}) t(${cols.map(([c]) => `"${c}"`).join(', ')})) TO ${sqlString(join(shards, 'records-x.parquet'))} (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
}

async function ids(file: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (
      await (await conn.runAndReadAll(`SELECT id FROM read_parquet(${sqlString(file)}) ORDER BY id`)).getRowObjectsJS()
    ).map((r) => String(r.id));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const split = (over: Record<string, unknown>) => ExportSplitSchema.parse({ rl: { rows: 4 }, ...over });
const out = () => mkdtempSync(join(tmpdir(), 'r1ov-split-out-'));

describe('r1ov export --split', () => {
  before(writeHome);

  test('answer types as the rewards read them', () => {
    assert.equal(answerType('B', ['x', 'y'], null), 'multiple-choice');
    assert.equal(answerType('35.5', null, null), 'numeric');
    assert.equal(answerType('\\frac{7}{2}', null, null), 'numeric');
    assert.equal(answerType('x^2 + 2x', null, null), null);
    assert.equal(answerType('It rises steadily', null, null), null);
    assert.equal(answerType('[1, 2, 30, 40]', null, [1, 2, 30, 40]), 'box');
  });

  test('RL: verifiable, short, balanced over kinds; SFT: the rest; manifest and files agree', async () => {
    const dir = out();
    const r = await exportRun(home, {
      run: 'r',
      format: 'trl',
      out: dir,
      split: split({ rl: { rows: 4 }, rlMaxTraceChars: 500 }),
    });
    const m = SplitManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')));
    assert.deepEqual(m, r.split);
    // 8 verifiable rows (MC 4, numeric 4: 35.5, 7/2, 12, 3), minus the long trace (s07) → 7 eligible.
    assert.equal(m.rows.total, 12);
    assert.equal(m.rows.eligible, 7);
    assert.equal(m.rows.rl, 4);
    assert.deepEqual(m.rl.kinds, { chart: 1, geometry: 1, natural: 1, table: 1 }); // one of each kind first
    const rl = await ids(join(dir, 'rl.parquet'));
    const sft = await ids(join(dir, 'sft.parquet'));
    assert.deepEqual(rl, m.rl.ids);
    assert.ok(!rl.includes('s07#0') && !rl.includes('s02#0') && !rl.includes('s10#0'), rl.join(' '));
    assert.equal(sft.length, 8);
    assert.deepEqual(
      [...rl, ...sft].sort(),
      ROWS.map((_, i) => `s${String(i).padStart(2, '0')}#0`),
    );
  });

  test('the seed decides the draw; the same seed gives the same split; sft=all keeps every row; boxes on request', async () => {
    const a = (
      await exportRun(home, {
        run: 'r',
        format: 'trl',
        out: out(),
        split: split({ rl: { rows: 2 }, rlMix: 'proportional', seed: 1 }),
      })
    ).split!;
    const b = (
      await exportRun(home, {
        run: 'r',
        format: 'trl',
        out: out(),
        split: split({ rl: { rows: 2 }, rlMix: 'proportional', seed: 1 }),
      })
    ).split!;
    const seeds = await Promise.all(
      [2, 3, 4, 5].map(async (seed) =>
        (
          await exportRun(home, {
            run: 'r',
            format: 'trl',
            out: out(),
            split: split({ rl: { rows: 2 }, rlMix: 'proportional', seed }),
          })
        ).split!.rl.ids.join(),
      ),
    );
    assert.deepEqual(a.rl.ids, b.rl.ids);
    assert.ok(
      seeds.some((s) => s !== a.rl.ids.join()),
      'five seeds drew the same rows',
    );
    const all = (
      await exportRun(home, {
        run: 'r',
        format: 'trl',
        out: out(),
        split: split({ sft: 'all', rl: { fraction: 1 }, rlAnswers: ['box'] }),
      })
    ).split!;
    assert.deepEqual(all.rl.ids, ['s10#0']);
    assert.equal(all.rows.sft, 12);
  });

  test('bad specs are one-line usage errors; only the trl layout splits', async () => {
    assert.deepEqual(parseSplitSpec('sft=rest,rl=2000'), { sft: 'rest', rl: { rows: 2000 } });
    assert.deepEqual(parseSplitSpec('rl=10%'), { sft: 'rest', rl: { fraction: 0.1 } });
    for (const bad of ['sft=rest', 'rl=0', 'rl=-3', 'rl=150%', 'sft=some,rl=5', 'dpo=5,rl=1', 'rl=1,rl=2']) {
      assert.throws(
        () => parseSplitSpec(bad),
        (e: unknown) => e instanceof UsageError && /--split/.test(e.message),
        bad,
      );
    }
    await assert.rejects(
      exportRun(home, { run: 'r', format: 'sharegpt', out: out(), split: split({}) }),
      /--format trl/,
    );
  });
});
