import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Command } from 'commander';
import sharp from 'sharp';
import { RECORD_COLUMNS } from '../schemas/sample.ts';
import { LLM_CALL_COLUMNS } from '../schemas/llm-columns.ts';
import { listNotebooks, registerNotebookCommand, runNotebooks } from '../cli/notebook.ts';
import { registerSqlCommand } from '../cli/sql.ts';
import { markdownTable, parseNotebook, vegaLiteSpec } from '../activities/report/chart.ts';
import { UsageError } from '../core/errors.ts';
import { sqlString } from '../core/sql.ts';

const lit = (v: unknown, type: string) =>
  v === null || v === undefined
    ? `NULL::${type}`
    : typeof v === 'string'
      ? `${sqlString(v)}::${type}`
      : `${String(v)}::${type}`;

/** Write `rows` as one Parquet file with exactly the DuckDB column types of `cols` (missing fields are NULL). */
async function writeParquet(
  file: string,
  cols: Record<string, string>,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const select = rows
    .map(
      (r) =>
        `SELECT ${Object.entries(cols)
          .map(([c, t]) => `${lit(r[c], t)} AS "${c}"`)
          .join(', ')}`,
    )
    .join(' UNION ALL ');
  await conn.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
}

const KINDS = ['chart', 'table', 'diagram', 'math'];

/** A home with one run of 40 samples (done, rejected, quarantined, a retry duplicate) and a few llm calls. */
async function seedHome(home: string): Promise<void> {
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 40; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const status = i % 10 === 3 ? 'rejected' : i % 10 === 7 ? 'quarantined' : 'done';
    rows.push({
      run: 'nb',
      sample_id: `s${i}`,
      row_id: `s${i}`,
      turn: 0,
      source: i < 30 ? 'synthetic' : 'parquet',
      subset: kind,
      status,
      stage: status === 'done' ? 'stage' : status === 'rejected' ? 'qa' : 'ingest',
      reason:
        status === 'rejected'
          ? 'answer disagrees | with ground truth'
          : status === 'quarantined'
            ? 'image could not be decoded'
            : null,
      reason_code: status === 'rejected' ? 'answer_mismatch' : status === 'quarantined' ? 'corrupt_image' : null,
      question: `q${i}`,
      answer: String(i),
      kind: status === 'quarantined' ? null : kind,
      trace: status === 'done' ? `<think>${'step '.repeat(20 + i * 13)}</think>\n<answer>\\boxed{${i}}</answer>` : null,
      final_answer: String(i),
      accuracy: 1,
      format_ok: 1,
      generator: 'synthetic',
      workflow_id: `r1ov/nb/s${i}`,
      finished_at: '2025-01-01T00:00:00Z',
    });
  }
  const shards = join(home, 'runs', 'nb', 'shards');
  await writeParquet(join(shards, 'part-0.parquet'), RECORD_COLUMNS, rows.slice(0, 20));
  // A retried sample lands twice: the catalog keeps the latest, so counts must not double.
  await writeParquet(join(shards, 'part-1.parquet'), RECORD_COLUMNS, [
    ...rows.slice(20),
    { ...rows[0], finished_at: '2025-01-02T00:00:00Z' },
  ]);
  const calls = ['router', 'formalizer', 'reasoner', 'judge', 'reasoner', 'formalizer'].map((role, i) => ({
    call_id: `c${i}`,
    run: 'nb',
    sample_id: `s${i}`,
    role,
    model: role === 'reasoner' ? 'deepseek-r1' : 'qwen2.5-vl',
    prompt_id: `${role}/chart`,
    prompt_hash: `h${i}`,
    params_hash: 'p',
    tokens_in: 1000 + i * 100,
    tokens_out: 300 + i * 50,
    latency_ms: 1200.5,
    cache_hit: i === 4,
    cost_usd: 0.0021 * (i + 1),
    status: i === 5 ? 'error' : 'ok',
    error: null,
    attempt: 1,
    created_at: '2025-01-01T00:00:00Z',
  }));
  await writeParquet(join(home, 'runs', 'nb', 'llm_calls', 'calls-0.parquet'), LLM_CALL_COLUMNS, calls);
}

async function checkSvgPng(svgPath: string, pngPath: string): Promise<void> {
  const svg = readFileSync(svgPath, 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\s*$/);
  const svgMeta = await sharp(Buffer.from(svg)).metadata(); // parses: librsvg accepts it
  assert.equal(svgMeta.format, 'svg');
  const png = sharp(readFileSync(pngPath));
  const meta = await png.metadata();
  assert.equal(meta.format, 'png');
  assert.ok(meta.width! >= 150 && meta.width! <= 8000, `png width ${meta.width}`);
  assert.ok(meta.height! >= 100 && meta.height! <= 8000, `png height ${meta.height}`);
  const stats = await png.stats();
  assert.ok(
    stats.channels.slice(0, 3).some((c) => c.min < 200),
    'png is not blank',
  );
}

test('the shipped notebooks: each one header, a chart, and the expected set', () => {
  const names = listNotebooks();
  assert.deepEqual(names, [
    'fidelity_by_kind',
    'llm_costs',
    'overview',
    'rejections',
    'revisit_effect',
    'trace_lengths',
  ]);
  for (const n of names) {
    const file = new URL(`../notebooks/${n}.sql`, import.meta.url).pathname;
    const nb = parseNotebook(readFileSync(file, 'utf8'), file);
    assert.ok(nb.title && nb.title !== n, `${n}: title`);
    assert.ok(nb.description.length > 20, `${n}: description`);
    assert.ok(nb.chart || nb.vegaLite, `${n}: a chart`);
  }
});

test('notebook run on generated shards: every notebook a non-empty table, an SVG that parses, a sane PNG', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-nb-'));
  try {
    const home = join(dir, 'home');
    const out = join(dir, 'out');
    await seedHome(home);
    // The fidelity view is not in the catalog yet: stand one in with the expected columns to see the notebook fill.
    const result = await runNotebooks({
      home,
      out,
      setup: async (conn) => {
        await conn.run(`CREATE TEMP VIEW fidelity AS SELECT * FROM (VALUES
          ('nb', 's0', 'chart', 'cell_accuracy', 0.9, 'abcdef0123', 'qwen2.5-vl'),
          ('nb', 's1', 'chart', 'cell_accuracy', 0.7, 'abcdef0123', 'qwen2.5-vl'),
          ('nb', 's0', 'chart', 'answer_accuracy', 1.0, 'abcdef0123', 'qwen2.5-vl'),
          ('nb', 's2', 'diagram', 'node_f1', 0.5, 'abcdef0123', 'qwen2.5-vl'),
          ('nb', 's2', 'diagram', 'edge_f1', 0.25, 'fedcba9876', 'gpt-4o'))
          AS t(run, sample_id, kind, metric, value, prompt_hash, model)`);
      },
    });
    assert.deepEqual(result.failed, []);
    assert.equal(result.notebooks.length, 6);
    for (const n of result.notebooks) {
      assert.ok(n.rows > 0, `${n.name}: rows`);
      assert.deepEqual(n.stand_ins, []);
      const md = readFileSync(n.markdown, 'utf8');
      assert.match(md, /^# /);
      assert.match(md, /\n\| .* \|\n\| --- /);
      assert.ok(md.includes(`(${n.name}.svg)`));
      await checkSvgPng(n.svg, n.png);
    }
    const by = Object.fromEntries(result.notebooks.map((n) => [n.name, n]));
    // Counts: 40 samples once each (the retried one is not double-counted): 4 rejected, 4 quarantined, 32 done.
    const overview = readFileSync(by.overview!.markdown, 'utf8');
    const sum = (re: RegExp) => [...overview.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
    assert.equal(sum(/\| (?:done|rejected|quarantined) \| (\d+) \|/g), 40);
    assert.equal(sum(/\| rejected \| (\d+) \|/g), 4);
    assert.match(
      readFileSync(by.rejections!.markdown, 'utf8'),
      /\| rejected \| qa \| answer_mismatch \| 4 \| answer disagrees \\\| with ground truth \|/,
    );
    const costs = readFileSync(by.llm_costs!.markdown, 'utf8');
    assert.match(costs, /\| reasoner \| deepseek-r1 \| 2 \| 1 \| 0 \| 2600 \| 900 \|/);
    assert.match(readFileSync(by.fidelity_by_kind!.markdown, 'utf8'), /\| chart \| cell_accuracy \| 2 \| 1 \| 0\.8 \|/);
    // The chart carries the data: every kind's name appears as an axis label.
    const overviewSvg = readFileSync(by.overview!.svg, 'utf8');
    for (const k of KINDS) assert.ok(overviewSvg.includes(`>${k}<`), `overview svg names ${k}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('notebook run on an empty home: no error, empty tables, charts still rendered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-nb-empty-'));
  try {
    const out = join(dir, 'out');
    const result = await runNotebooks({ home: join(dir, 'home'), out });
    assert.deepEqual(result.failed, []);
    assert.equal(result.notebooks.length, 6);
    for (const n of result.notebooks) {
      assert.equal(n.rows, 0, n.name);
      await checkSvgPng(n.svg, n.png);
      assert.match(readFileSync(n.svg, 'utf8'), /no rows/);
    }
    // An empty chart says what would fill it (the notebook's `needs:` line), in the SVG and the Markdown.
    const costs = result.notebooks.find((n) => n.name === 'llm_costs')!;
    assert.match(readFileSync(costs.svg, 'utf8'), /No rows yet\. Needs: language-model calls\./);
    assert.match(
      readFileSync(costs.markdown, 'utf8'),
      /> No rows yet\. Needs: language-model calls\. The demo's synthetic build/,
    );
    const fid = result.notebooks.find((n) => n.name === 'fidelity_by_kind')!;
    // The catalog defines `fidelity` even with no shards (an empty typed view), so no stand-in is needed.
    assert.deepEqual(fid.stand_ins, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function program(): Command {
  const p = new Command();
  p.exitOverride().option('--json').option('--home <dir>');
  registerSqlCommand(p);
  registerNotebookCommand(p);
  return p;
}

async function capture(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stdout.write = ((c: string | Uint8Array) => {
    text += String(c);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  return text;
}

test('r1ov sql -f NOTEBOOK --chart DIR, and r1ov notebook run NAMES --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ov-nb-cli-'));
  try {
    const home = join(dir, 'home');
    await seedHome(home);
    const nbFile = new URL('../notebooks/overview.sql', import.meta.url).pathname;
    const charts = join(dir, 'charts');
    const text = await capture(() =>
      program().parseAsync(['node', 'r1ov', '--home', home, 'sql', '-f', nbFile, '--chart', charts]),
    );
    assert.match(text, /^source +kind +status +n/);
    await checkSvgPng(join(charts, 'overview.svg'), join(charts, 'overview.png'));
    // The fidelity notebook through plain `r1ov sql -f` on a catalog without the view: an empty result, no crash.
    const fidFile = new URL('../notebooks/fidelity_by_kind.sql', import.meta.url).pathname;
    const fid = JSON.parse(
      await capture(() =>
        program().parseAsync(['node', 'r1ov', '--home', home, '--json', 'sql', '-f', fidFile, '--chart', charts]),
      ),
    );
    assert.deepEqual(fid.rows, []);
    assert.ok(fid.columns.includes('mean'));
    await checkSvgPng(join(charts, 'fidelity_by_kind.svg'), join(charts, 'fidelity_by_kind.png'));
    // An ad-hoc query gets a guessed chart named after nothing in particular.
    await capture(() =>
      program().parseAsync([
        'node',
        'r1ov',
        '--home',
        home,
        'sql',
        'SELECT kind, count(*) AS n FROM records GROUP BY kind',
        '--chart',
        charts,
      ]),
    );
    await checkSvgPng(join(charts, 'query.svg'), join(charts, 'query.png'));
    // Still read-only: a requires-view header cannot smuggle SQL.
    const evil = join(dir, 'evil.sql');
    writeFileSync(evil, "-- requires-view: x(a VARCHAR) AS SELECT 1; COPY (SELECT 1) TO '/tmp/x'; --\nSELECT 1");
    await assert.rejects(program().parseAsync(['node', 'r1ov', '--home', home, 'sql', '-f', evil]), UsageError);

    const out = join(dir, 'nbout');
    const run = JSON.parse(
      await capture(() =>
        program().parseAsync([
          'node',
          'r1ov',
          '--home',
          home,
          '--json',
          'notebook',
          'run',
          'overview',
          'llm_costs.sql',
          '--out',
          out,
        ]),
      ),
    );
    assert.deepEqual(
      run.notebooks.map((n: { name: string }) => n.name),
      ['overview', 'llm_costs'],
    );
    assert.ok(existsSync(join(out, 'llm_costs.md')) && !existsSync(join(out, 'rejections.md')));
    await assert.rejects(
      program().parseAsync(['node', 'r1ov', '--home', home, 'notebook', 'run', 'nope']),
      /no such notebook nope/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chart helpers: shorthand fields, bad chart headers, markdown escaping', () => {
  const spec = vegaLiteSpec(
    { name: 'x', title: 'T', chart: { mark: 'bar', x: 'kind', y: 'sum(n):Q', color: 'status:N' } },
    ['kind', 'n', 'status'],
    [{ kind: 'chart', n: 3, status: 'done' }],
  ) as unknown as { encoding: Record<string, Record<string, unknown>> };
  assert.deepEqual(spec.encoding.y, { type: 'quantitative', title: 'sum(n)', field: 'n', aggregate: 'sum' });
  assert.equal(spec.encoding.x!.type, 'nominal');
  assert.throws(
    () => vegaLiteSpec({ name: 'x', title: 'T', chart: { mark: 'bar', x: 'nope' } }, ['kind'], []),
    /not a column/,
  );
  assert.throws(() => parseNotebook('-- chart: {"mark":"pie"}\nSELECT 1'), UsageError);
  assert.throws(() => parseNotebook('-- chart: {nope\nSELECT 1'), /not valid JSON/);
  assert.match(markdownTable(['a'], [{ a: 'x|y\nz' }]), /\| x\\\|y z \|/);
});
