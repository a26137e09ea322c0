/**
 * Generated catalogs for the viewer's tests and bench: record rows written straight to Parquet shards
 * (`runs/<run>/shards/*.parquet`, exactly RECORD_COLUMNS) by DuckDB, no build needed.
 *
 *  - `generateBulk(home, run, n)`: n rows of mixed kinds/statuses/reasons with ~1 KB traces (the bench's 100,000).
 *  - `generateShowcase(home, run)`: a handful of hand-made rows that exercise every renderer (CSV + image + boxes,
 *    Mermaid, SPICE, HTML with a <script>, OCR lines, a judge verdict with removed steps) plus their llm_calls.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { putBlob } from '../../core/blobs.ts';
import { paths } from '../../core/home.ts';
import { sqlString as q } from '../../core/sql.ts';
import { RECORD_COLUMNS, type RecordRow } from '../../schemas/sample.ts';
import { LLM_CALL_COLUMNS } from '../../schemas/llm-columns.ts';

export const BULK_KINDS = ['chart', 'diagram', 'math', 'natural', 'text_only', 'mixed'] as const;
export const BULK_SOURCES = ['ai2d', 'chartqa', 'geo170k', 'scienceqa', 'docvqa'] as const;

/**
 * Bulk rows, deterministic in i: status = rejected when i%10==7, quarantined when i%10==8, else done;
 * kind = BULK_KINDS[i%6]; source = BULK_SOURCES[i%5]; every trace contains `token<i%1000>` (a search hitting 0.1%).
 */
export async function generateBulk(home: string, run: string, n: number, shards = 8): Promise<void> {
  const dir = paths.shards(home, run);
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const kinds = `[${BULK_KINDS.map(q).join(',')}]`;
  const sources = `[${BULK_SOURCES.map(q).join(',')}]`;
  const exprs: Partial<Record<keyof RecordRow, string>> = {
    run: q(run),
    sample_id: `printf('bulk-%07d#0', i)`,
    row_id: `printf('bulk-%07d', i)`,
    turn: '0',
    source: `${sources}[(i % 5) + 1]`,
    subset: `${sources}[(i % 5) + 1] || '-sub'`,
    source_file: q('generated.parquet'),
    status: `CASE i % 10 WHEN 7 THEN 'rejected' WHEN 8 THEN 'quarantined' ELSE 'done' END`,
    stage: `CASE i % 10 WHEN 7 THEN 'qa' WHEN 8 THEN 'formalize' ELSE 'qa' END`,
    reason: `CASE i % 10 WHEN 7 THEN 'final answer does not match the ground truth' WHEN 8 THEN 'formal output failed validation' END`,
    reason_code: `CASE i % 10 WHEN 7 THEN (CASE WHEN i % 20 = 7 THEN 'wrong_answer' ELSE 'caption_talk' END) WHEN 8 THEN 'formal_invalid' END`,
    question: `'Question ' || i || ': what is the value shown for item ' || (i % 97) || ' in the figure?'`,
    answer: `CAST(i % 97 AS VARCHAR)`,
    choices: 'NULL',
    image_key: 'NULL',
    width: '640',
    height: '480',
    kind: `${kinds}[(i % 6) + 1]`,
    subkind: `CASE WHEN i % 6 = 1 THEN 'table' END`,
    route_by: q('table'),
    formal_format: `CASE WHEN i % 6 IN (0, 1) THEN 'csv' ELSE 'text' END`,
    formal_text: `CASE WHEN i % 6 IN (0, 1) THEN 'item,value\\n' || (i % 97) || ',' || i ELSE 'A figure with ' || (i % 13) || ' labelled parts.' END`,
    formal_key: 'NULL',
    formal_valid: 'true',
    formal_error: 'NULL',
    formal_attempts: '0',
    boxes: 'NULL',
    ocr_lines: 'NULL',
    trace: `'<think>\\n' || repeat('Looking at the figure, the labelled bar rises above its neighbours. ', 14) || 'token' || (i % 1000) || '\\n</think>\\n<answer>The answer is \\boxed{' || (i % 97) || '}.</answer>'`,
    trace_key: 'NULL',
    final_answer: `CAST(i % 97 AS VARCHAR)`,
    accuracy: `CASE i % 10 WHEN 7 THEN 0.0 ELSE 1.0 END`,
    format_ok: '1.0',
    qa_verdict: `'{"by":"rules","accepted":' || CASE i % 10 WHEN 7 THEN 'false' ELSE 'true' END || '}'`,
    generator: 'NULL',
    workflow_id: `'r1ov/' || ${q(run)} || '/' || printf('bulk-%07d#0', i)`,
    finished_at: `'2025-01-01T00:00:00.000Z'`,
  };
  const select = Object.entries(RECORD_COLUMNS)
    .map(([c, t]) => `CAST(${exprs[c as keyof RecordRow] ?? 'NULL'} AS ${t}) AS "${c}"`)
    .join(', ');
  const per = Math.ceil(n / shards);
  for (let s = 0; s < shards; s++) {
    const lo = s * per,
      hi = Math.min(n, lo + per);
    if (lo >= hi) break;
    await conn.run(
      `COPY (SELECT ${select} FROM range(${lo}, ${hi}) t(i)) TO ${q(join(dir, `bulk-${s}.parquet`))} (FORMAT parquet)`,
    );
  }
  conn.closeSync();
  db.closeSync();
}

async function png(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export const SHOWCASE = {
  chart: 'show-chart#0',
  html: 'show-html#0',
  mermaid: 'show-flow#0',
  spice: 'show-circuit#0',
  ocr: 'show-ocr#0',
  judged: 'show-judged#0',
  quarantined: 'show-bad#0',
} as const;

/** Hand-made rows covering every renderer; returns the rows written. */
export async function generateShowcase(home: string, run: string): Promise<RecordRow[]> {
  const dir = paths.shards(home, run);
  mkdirSync(dir, { recursive: true });
  const chartPng = await putBlob(
    home,
    await png(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">
    <rect width="400" height="300" fill="white"/><rect x="50" y="100" width="80" height="180" fill="#4e79a7"/>
    <rect x="160" y="60" width="80" height="220" fill="#f28e2b"/><rect x="270" y="160" width="80" height="120" fill="#e15759"/></svg>`),
  );
  const docPng = await putBlob(
    home,
    await png(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">
    <rect width="400" height="200" fill="white"/><text x="20" y="50" font-size="24">Invoice 42</text>
    <text x="20" y="110" font-size="20">Total: 17 EUR</text></svg>`),
  );
  const original =
    '<think>\nThe bars read 9, 11 and 6.\nI will describe the caption first.\nThe tallest bar is B with 11.\n</think>\n<answer>The tallest is B, \\boxed{B}.</answer>';
  const edited =
    '<think>\nThe bars read 9, 11 and 6.\nThe tallest bar is B with 11.\n</think>\n<answer>The tallest is B, \\boxed{B}.</answer>';
  const originalKey = await putBlob(home, original);
  const base = (id: string): RecordRow => ({
    run,
    sample_id: id,
    row_id: id.split('#')[0]!,
    turn: 0,
    source: 'showcase',
    subset: 'showcase',
    source_file: 'showcase',
    status: 'done',
    stage: 'qa',
    reason: null,
    reason_code: null,
    question: 'Which bar is tallest?',
    answer: 'B',
    choices: null,
    image_key: null,
    width: null,
    height: null,
    kind: 'chart',
    subkind: null,
    route_by: 'spec',
    formal_format: null,
    formal_text: null,
    formal_key: null,
    formal_valid: true,
    formal_error: null,
    formal_attempts: 0,
    boxes: null,
    ocr_lines: null,
    trace: '<think>\nB is 11, the largest.\n</think>\n<answer>\\boxed{B}</answer>',
    trace_key: null,
    final_answer: 'B',
    accuracy: 1,
    format_ok: 1,
    qa_verdict: JSON.stringify({ by: 'rules', accepted: true, code: null, reason: null, accuracy: 1, format: 1 }),
    generator: null,
    workflow_id: `r1ov/${run}/${id}`,
    finished_at: '2025-01-02T00:00:00.000Z',
    qa_edit: null,
    first_answer: 'B',
    revisit_rounds: 0,
    revisit: null,
    sim_status: null,
    sim_quantity: null,
    sim_value: null,
    sim_agrees: null,
    table_check: null,
    flow_check: null,
    formal_checks: null,
    box_source: null,
    boxes_source_px: null,
    source_width: null,
    source_height: null,
    ocr_engine_lines: null,
    question_raw: 'Which bar is tallest?',
    answer_raw: 'B',
    answer_source: 'letter_only',
    route_reason: null,
    formal_shared: false,
  });
  const rows: RecordRow[] = [
    {
      ...base(SHOWCASE.chart),
      image_key: chartPng,
      width: 400,
      height: 300,
      formal_format: 'csv',
      question: 'Which bar is tallest? <b>not bold</b>',
      formal_text: 'category,value\nA,9\nB,11\nC,6\n',
      boxes: JSON.stringify([
        { label: 'bar B', box: [160, 60, 240, 280] },
        { label: 'bar A', box: [50, 100, 130, 280] },
      ]),
      trace:
        '<think>\nBar A reaches 9, bar B reaches 11, bar C reaches 6.\nSo B is the tallest.\n</think>\n<answer>The tallest bar is B. The answer is \\boxed{B}.</answer>',
    },
    {
      ...base(SHOWCASE.html),
      kind: 'diagram',
      subkind: 'ui',
      formal_format: 'html',
      question: 'What does the button say?',
      answer: 'Send',
      formal_text:
        '<html><body><h1 id="t">Login</h1><button>Send</button><script>document.getElementById("t").textContent="PWNED";window.parent.document.title="PWNED";</script><img src=x onerror="window.parent.document.title=\'PWNED\'"></body></html>',
      trace: '<think>\nThe button is labelled Send.\n</think>\n<answer>\\boxed{Send}</answer>',
      final_answer: 'Send',
    },
    {
      ...base(SHOWCASE.mermaid),
      kind: 'diagram',
      subkind: 'flowchart',
      formal_format: 'mermaid',
      question: 'What follows Start?',
      answer: 'Check',
      formal_text:
        'flowchart TD\n    n0(["Start"])\n    n1["Check"]\n    n2{"OK?"}\n    n3["Ship"]\n    n4(["End"])\n    n0 --> n1\n    n1 --> n2\n    n2 -->|Yes| n3\n    n2 -->|No| n1\n    n3 --> n4\n',
      final_answer: 'Check',
    },
    {
      ...base(SHOWCASE.spice),
      kind: 'diagram',
      subkind: 'circuit',
      formal_format: 'spice',
      question: 'Voltage across R2?',
      answer: '6',
      formal_text: '* Divider\nV1 n1 0 DC 12\nR1 n1 n2 100\nR2 n2 0 100\n.end\n',
      final_answer: '6',
    },
    {
      ...base(SHOWCASE.ocr),
      kind: 'text_only',
      formal_format: 'ocr',
      image_key: docPng,
      width: 400,
      height: 200,
      question: 'What is the total?',
      answer: '17',
      formal_text: 'Invoice 42\nTotal: 17 EUR',
      ocr_lines: JSON.stringify([
        { text: 'Invoice 42', box: [20, 26, 160, 56], confidence: 0.98 },
        { text: 'Total: 17 EUR', box: [20, 92, 170, 116], confidence: 0.95 },
      ]),
      final_answer: '17',
    },
    {
      ...base(SHOWCASE.judged),
      trace: edited,
      qa_verdict: JSON.stringify({
        by: 'judge',
        rules: {
          accepted: true,
          code: null,
          reason: null,
          accuracy: 1,
          format: 1,
          traceKey: originalKey,
          verdictKey: null,
        },
        valid: true,
        removed_steps: ['I will describe the caption first.'],
        edited_trace: edited,
        reason: 'one step talked about the caption',
      }),
    },
    {
      ...base(SHOWCASE.quarantined),
      status: 'quarantined',
      stage: 'formalize',
      reason_code: 'formal_invalid',
      reason: 'CSV has 3 columns in row 2, expected 2',
      trace: null,
      final_answer: null,
      accuracy: null,
      format_ok: null,
      qa_verdict: null,
      formal_valid: false,
      formal_error: 'row 2: 3 columns',
    },
  ];
  await writeRows(join(dir, 'showcase.parquet'), rows, RECORD_COLUMNS);
  const calls = [
    {
      call_id: 'c1',
      run,
      sample_id: SHOWCASE.chart,
      role: 'formalizer',
      model: 'qwen2.5-vl-72b',
      base_url_host: 'localhost',
      prompt_id: 'formalize/chart',
      prompt_hash: 'abc',
      params_hash: 'def',
      tokens_in: 812,
      tokens_out: 96,
      latency_ms: 1234.5,
      cache_hit: false,
      cost_usd: 0.00042,
      status: 'ok',
      error: null,
      attempt: 1,
      created_at: '2025-01-02T00:00:00Z',
    },
    {
      call_id: 'c2',
      run,
      sample_id: SHOWCASE.chart,
      role: 'reasoner',
      model: 'deepseek-r1',
      base_url_host: 'localhost',
      prompt_id: 'reason/roleplay',
      prompt_hash: 'ghi',
      params_hash: 'jkl',
      tokens_in: 420,
      tokens_out: 1500,
      latency_ms: 8200,
      cache_hit: false,
      cost_usd: 0.0031,
      status: 'ok',
      error: null,
      attempt: 1,
      created_at: '2025-01-02T00:00:01Z',
    },
  ];
  mkdirSync(join(paths.run(home, run), 'llm_calls'), { recursive: true });
  await writeRows(join(paths.run(home, run), 'llm_calls', 'showcase.parquet'), calls, LLM_CALL_COLUMNS);
  return rows;
}

/** Write plain objects as a Parquet file with the given column types (via a JSON file read by DuckDB). */
export async function writeRows(
  file: string,
  rows: Array<Record<string, unknown>>,
  columns: Record<string, string>,
): Promise<void> {
  const { writeFileSync, rmSync } = await import('node:fs');
  const tmp = `${file}.jsonl`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const cols = `{${Object.entries(columns)
    .map(([c, t]) => `${q(c)}: ${q(t)}`)
    .join(', ')}}`;
  const select = Object.keys(columns)
    .map((c) => `"${c}"`)
    .join(', ');
  await conn.run(
    `COPY (SELECT ${select} FROM read_json(${q(tmp)}, format = 'newline_delimited', columns = ${cols})) TO ${q(file)} (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  rmSync(tmp);
}

/**
 * Evaluation rows for two runs over the same 24 items (`eval_items` columns, schemas/eval.ts), under
 * `runs/<run>/eval/items.parquet`: run A is right on even items, run B on items divisible by 3, so the
 * flipped items are the ones where exactly one of those holds. One malformed row in A (not counted).
 */
export async function generateEval(home: string, runA: string, runB: string): Promise<void> {
  const { EVAL_ITEM_COLUMNS } = await import('../../schemas/eval.ts');
  const levels = ['junior', 'senior', 'college'],
    cats = ['math', 'physics'];
  for (const [run, ok] of [
    [runA, (i: number) => i % 2 === 0],
    [runB, (i: number) => i % 3 === 0],
  ] as const) {
    const rows = Array.from(
      { length: 24 },
      (_, i) => Object.fromEntries(Object.keys(EVAL_ITEM_COLUMNS).map((c) => [c, null])) as Record<string, unknown>,
    ).map((r, i) => ({
      ...r,
      run,
      bench: 'r1ov-bench',
      bench_file: 'bench.tsv',
      item_id: `item-${String(i).padStart(2, '0')}`,
      row_index: i,
      status: 'scored',
      correct: ok(i),
      decided_by: 'rules',
      extracted: ok(i) ? 'A' : 'C',
      gold: 'A',
      question: `Item ${i}: pick <i>A</i>`,
      response: `<think>...</think><answer>\\boxed{${ok(i) ? 'A' : 'C'}}</answer>`,
      model: run,
      prompt_style: 'sft',
      meta: { level: levels[i % 3], category: cats[Math.floor(i / 12)] },
      images: 1,
      finished_at: '2025-01-03T00:00:00Z',
    }));
    if (run === runA)
      rows.push({ ...rows[0]!, item_id: 'item-bad', status: 'malformed', correct: null as unknown as boolean });
    mkdirSync(join(paths.run(home, run), 'eval'), { recursive: true });
    await writeRows(join(paths.run(home, run), 'eval', 'items.parquet'), rows, EVAL_ITEM_COLUMNS);
  }
}
