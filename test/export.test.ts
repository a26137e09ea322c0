/**
 * `r1ov export`: every layout, Parquet through DuckDB and Arrow IPC through apache-arrow, from a home holding a
 * records shard and image blobs (the layout a build commits). The Python side (pyarrow, `datasets`) is checked by
 * trainer/tests/test_exports.py; the export of a real build by test/train.integration.test.ts.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import sharp from 'sharp';
import { exportPaths, exportRun } from '../activities/export/export.ts';
import { putBlob } from '../core/blobs.ts';
import { ensureDir, paths } from '../core/home.ts';
import { UsageError } from '../core/errors.ts';
import { sqlString } from '../core/sql.ts';
import { RECORD_COLUMNS } from '../schemas/sample.ts';
import { EXPORT_FORMATS, SFT_PROMPT_PREFIX } from '../schemas/export.ts';

let home: string;
let out: string;

async function writeHome(): Promise<void> {
  home = mkdtempSync(join(tmpdir(), 'r1ov-export-'));
  out = mkdtempSync(join(tmpdir(), 'r1ov-export-out-'));
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 6; i++) {
    const png = await sharp({
      create: { width: 40 + i, height: 30, channels: 3, background: { r: 200, g: 10 * i, b: 0 } },
    })
      .png()
      .toBuffer();
    const key = await putBlob(home, png);
    const box = i === 5;
    rows.push({
      run: 'r',
      sample_id: `s${i}#0`,
      row_id: `s${i}`,
      turn: 0,
      source: 'test',
      subset: 'sub',
      status: i === 4 ? 'quarantined' : 'done',
      stage: 'done',
      question: box ? 'Where is it?' : `What is ${i}+1?\nChoices:\nA. ${i + 1}\nB. 0`,
      answer: box ? '[1, 2, 30, 20]' : 'A',
      choices: box ? null : JSON.stringify([`${i + 1}`, '0']),
      image_key: i === 3 ? null : key,
      width: 40 + i,
      height: 30,
      kind: 'math',
      boxes: box ? JSON.stringify([{ label: 'thing', box: [1, 2, 30, 20] }]) : null,
      trace: `<think>\nstep ${i}\n</think>\n<answer>\nThe answer is \\boxed{A}.\n</answer>`,
      finished_at: '2026-01-01T00:00:00Z',
    });
  }
  const shards = ensureDir(paths.shards(home, 'r'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const cols = Object.entries(RECORD_COLUMNS);
  const values = rows.map(
    (r) =>
      `(${cols.map(([c, t]) => (r[c] === undefined || r[c] === null ? `NULL::${t}` : `${sqlString(String(r[c]))}::${t}`)).join(', ')})`,
  );
  await conn.run(
    `COPY (SELECT * FROM (VALUES ${values.join(', ')}) t(${cols.map(([c]) => `"${c}"`).join(', ')})) TO ${sqlString(join(shards, 'records-x.parquet'))} (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
}

async function readParquet(file: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await (
      await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(file)}) ORDER BY id`)
    ).getRowObjectsJS()) as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('r1ov export', () => {
  before(writeHome);

  test('output names', () => {
    assert.deepEqual(exportPaths('/x/a'), { parquet: '/x/a.parquet', arrow: '/x/a.arrow' });
    assert.deepEqual(exportPaths('/x/a.parquet'), { parquet: '/x/a.parquet', arrow: '/x/a.arrow' });
  });

  for (const format of EXPORT_FORMATS) {
    test(`${format}: Parquet and Arrow IPC hold the same done records`, async () => {
      const r = await exportRun(home, { run: 'r', format, out: join(out, format), arrow: true });
      assert.equal(r.rows, 5); // the quarantined sample is left out
      assert.equal(r.withImage, 4); // one done record has no image
      assert.equal(r.withBox, format === 'trl' ? 1 : 0);
      const pq = await readParquet(r.parquet);
      const arrow = tableFromIPC(readFileSync(r.arrow!));
      assert.equal(arrow.numRows, 5);
      assert.deepEqual(
        arrow.getChild('id')!.toArray(),
        pq.map((x) => x.id),
      );
      assert.ok(JSON.parse(arrow.schema.metadata.get('huggingface')!).info.features);
      if (format === 'r1-onevision') {
        const row = pq[0]!;
        assert.equal(Buffer.from(String(row.image), 'base64').subarray(1, 4).toString(), 'PNG');
        const conv = row.conversations as Array<{ from: string; value: string }>;
        assert.deepEqual(
          conv.map((c) => c.from),
          ['human', 'gpt'],
        );
        assert.ok(conv[0]!.value.startsWith(`<image>\n${SFT_PROMPT_PREFIX}What is 0+1?`));
        assert.equal(pq[3]!.image, null);
        assert.ok(!(pq[3]!.conversations as Array<{ value: string }>)[0]!.value.includes('<image>'));
      }
      if (format === 'sharegpt') {
        const msgs = pq[0]!.messages as Array<{ role: string; content: string }>;
        assert.deepEqual(
          msgs.map((m) => m.role),
          ['user', 'assistant'],
        );
        const imgs = pq[0]!.images as Array<{ bytes: Uint8Array; path: string }>;
        assert.equal(imgs.length, 1);
        assert.equal(Buffer.from(imgs[0]!.bytes).subarray(1, 4).toString(), 'PNG');
        assert.deepEqual(pq[3]!.images, []);
      }
      if (format === 'trl') {
        const row = pq[0]!;
        const prompt = row.prompt as Array<{ role: string; content: Array<{ type: string; text: string | null }> }>;
        assert.deepEqual(
          prompt[0]!.content.map((c) => c.type),
          ['image', 'text'],
        );
        assert.ok(prompt[0]!.content[1]!.text!.includes('<answer>'));
        assert.deepEqual(row.choices, ['1', '0']);
        assert.equal(row.solution, 'A');
        const boxed = pq.find((x) => x.id === 's5#0')!;
        assert.deepEqual(boxed.box, [1, 2, 30, 20]);
        assert.deepEqual(boxed.boxes, [{ label: 'thing', box: [1, 2, 30, 20] }]);
        const arrowBox = arrow.get(4)!.toJSON().box;
        assert.deepEqual([...arrowBox], [1, 2, 30, 20]);
      }
    });
  }

  test('--limit and unknown runs', async () => {
    const r = await exportRun(home, { run: 'r', format: 'trl', out: join(out, 'lim.parquet'), limit: 2 });
    assert.equal(r.rows, 2);
    assert.equal(r.arrow, null);
    await assert.rejects(
      exportRun(home, { run: 'nope', format: 'trl', out: join(out, 'x') }),
      (e: unknown) => e instanceof UsageError && /no run "nope"/.test(e.message),
    );
  });
});
