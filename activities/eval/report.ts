/**
 * Evaluation reports from eval_items rows: accuracy overall and per the benchmark module's own breakdowns (read from
 * each item's `meta`: R1-OneVision-Bench grade × category like the paper's Table 3, MathVerse problem versions,
 * MathVista question and answer types, …) and its extra metrics (WeMath's four dimensions); two runs side by side
 * with per-item flips; Markdown, CSV and an SVG/PNG chart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { csvField } from '../../core/csv.ts';
import { ensureDir } from '../../core/home.ts';
import { BenchKindSchema } from '../../schemas/eval.ts';
import { benchModule } from './benches/index.ts';
import type { Dimension, ExtraMetrics } from './benches/types.ts';

export interface ItemRow {
  run: string;
  bench: string;
  item_id: string;
  row_index: number;
  status: string;
  correct: boolean;
  decided_by: string;
  extracted: string | null;
  judge_extracted: string | null;
  gold: string | null;
  error: string | null;
  model: string;
  prompt_style: string;
  meta: Record<string, string>;
}

export interface Group {
  dimension: string;
  key: string;
  n: number;
  correct: number;
  accuracy: number | null;
}
export interface RunReport {
  run: string;
  bench: string;
  model: string;
  promptStyle: string;
  items: number;
  correct: number;
  errored: number;
  malformed: number;
  judged: number;
  accuracy: number | null;
  groups: Group[];
  /** Crossed dimensions (rows × columns), for grids like the paper's Table 3. */
  grids: Array<{ dimension: string; rows: string[]; cols: string[] }>;
  metrics?: ExtraMetrics;
  errors: Array<{ item_id: string; row: number; error: string }>;
  malformedRows: Array<{ row: number; reason: string }>;
}
export interface Flips {
  a: string;
  b: string;
  common: number;
  fixed: string[];
  broken: string[];
}

const acc = (c: number, n: number) => (n > 0 ? c / n : null);

/** Distinct values in order: the known order first, then the rest as they appear. */
function valuesOf(rows: ItemRow[], key: string, order: readonly string[] = []): string[] {
  const seen = new Set<string>();
  for (const r of rows) {
    const v = r.meta[key];
    if (v !== undefined) seen.add(v);
  }
  return [...order.filter((o) => seen.has(o)), ...[...seen].filter((v) => !order.includes(v))];
}

function groupBy(
  rows: ItemRow[],
  dimension: string,
  keyOf: (r: ItemRow) => string | null,
  order: string[] = [],
): Group[] {
  const m = new Map<string, { n: number; c: number }>();
  for (const k of order) m.set(k, { n: 0, c: 0 });
  for (const r of rows) {
    const k = keyOf(r);
    if (k === null) continue;
    const g = m.get(k) ?? { n: 0, c: 0 };
    g.n++;
    if (r.correct) g.c++;
    m.set(k, g);
  }
  return [...m].map(([key, g]) => ({ dimension, key, n: g.n, correct: g.c, accuracy: acc(g.c, g.n) }));
}

export const CROSS = ' × ';

function dimensionGroups(rows: ItemRow[], d: Dimension): { groups: Group[]; grid?: RunReport['grids'][number] } {
  if (typeof d.key === 'string') {
    const k = d.key;
    return { groups: groupBy(rows, d.name, (r) => r.meta[k] ?? null, valuesOf(rows, k, d.order)) };
  }
  const [a, b] = d.key;
  const ra = valuesOf(rows, a),
    cb = valuesOf(rows, b);
  const order = ra.flatMap((x) => cb.map((y) => `${x}${CROSS}${y}`));
  const groups = groupBy(
    rows,
    d.name,
    (r) => (r.meta[a] !== undefined && r.meta[b] !== undefined ? `${r.meta[a]}${CROSS}${r.meta[b]}` : null),
    order,
  );
  return { groups, grid: { dimension: d.name, rows: ra, cols: cb } };
}

/** One run's report from its eval_items rows (malformed rows are listed, not scored; errored ones count as wrong). */
export function buildRunReport(all: ItemRow[]): RunReport {
  const first = all[0]!;
  const rows = all
    .filter((r) => r.status !== 'malformed')
    .map((r) => ({ ...r, correct: r.correct && r.status === 'scored' }));
  const correct = rows.filter((r) => r.correct).length;
  const groups: Group[] = [
    { dimension: 'overall', key: 'all', n: rows.length, correct, accuracy: acc(correct, rows.length) },
  ];
  const grids: RunReport['grids'] = [];
  const kind = BenchKindSchema.safeParse(first.bench);
  const mod = kind.success ? benchModule(kind.data) : undefined;
  for (const d of mod?.dimensions ?? []) {
    const { groups: g, grid } = dimensionGroups(rows, d);
    if (g.every((x) => x.n === 0)) continue;
    groups.push(...g);
    if (grid) grids.push(grid);
  }
  groups.push(...groupBy(rows, 'decided_by', (r) => r.decided_by));
  const rep: RunReport = {
    run: first.run,
    bench: first.bench,
    model: first.model,
    promptStyle: first.prompt_style,
    items: rows.length,
    correct,
    errored: rows.filter((r) => r.status === 'error').length,
    malformed: all.length - rows.length,
    judged: rows.filter((r) => r.decided_by === 'judge').length,
    accuracy: acc(correct, rows.length),
    groups,
    grids,
    errors: rows
      .filter((r) => r.status === 'error')
      .map((r) => ({ item_id: r.item_id, row: r.row_index, error: r.error ?? '' })),
    malformedRows: all
      .filter((r) => r.status === 'malformed')
      .map((r) => ({ row: r.row_index, reason: r.error ?? '' })),
  };
  if (mod?.metrics) rep.metrics = mod.metrics(rows);
  return rep;
}

export function flips(a: ItemRow[], b: ItemRow[]): Flips {
  const bm = new Map(b.filter((r) => r.status !== 'malformed').map((r) => [r.item_id, r.correct]));
  const out: Flips = { a: a[0]?.run ?? '', b: b[0]?.run ?? '', common: 0, fixed: [], broken: [] };
  for (const r of a) {
    if (r.status === 'malformed' || !bm.has(r.item_id)) continue;
    out.common++;
    const cb = bm.get(r.item_id)!;
    if (!r.correct && cb) out.fixed.push(r.item_id);
    if (r.correct && !cb) out.broken.push(r.item_id);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// rendering

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));
const mdRow = (cells: Array<string | number>) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const get = (r: RunReport, dim: string, key: string) => r.groups.find((g) => g.dimension === dim && g.key === key);

export function renderMarkdown(reports: RunReport[], fl?: Flips): string {
  const out: string[] = [`# Evaluation report: ${reports.map((r) => r.run).join(' vs ')}`, ''];
  out.push(
    mdRow(['run', 'benchmark', 'model', 'prompt', 'items', 'correct', 'errored', 'malformed', 'judged', 'accuracy %']),
  );
  out.push(mdRow(Array(10).fill('---')));
  for (const r of reports)
    out.push(
      mdRow([
        r.run,
        r.bench,
        r.model,
        r.promptStyle,
        r.items,
        r.correct,
        r.errored,
        r.malformed,
        r.judged,
        pct(r.accuracy),
      ]),
    );
  out.push('');
  const benches = [...new Set(reports.map((r) => r.bench))];
  for (const bench of benches) {
    const rs = reports.filter((r) => r.bench === bench);
    const title = (() => {
      const k = BenchKindSchema.safeParse(bench);
      return k.success ? benchModule(k.data).title : bench;
    })();
    // A crossed dimension (R1-OneVision-Bench's grade × category) gives the paper's Table 3 layout: Avg, each row
    // value, each column value; then the grid itself per run. The values are the file's own strings.
    const gridDims = [...new Set(rs.flatMap((r) => r.grids.map((g) => g.dimension)))];
    for (const gd of gridDims) {
      const rowVals = [...new Set(rs.flatMap((r) => r.grids.find((g) => g.dimension === gd)?.rows ?? []))];
      const colVals = [...new Set(rs.flatMap((r) => r.grids.find((g) => g.dimension === gd)?.cols ?? []))];
      const [rowDim, colDim] = gd.split('×') as [string, string];
      out.push(`## ${title} (${gd}, the layout of the paper's Table 3)`, '');
      out.push(mdRow(['run', 'Avg', ...rowVals, ...colVals]));
      out.push(mdRow(Array(2 + rowVals.length + colVals.length).fill('---')));
      for (const r of rs)
        out.push(
          mdRow([
            r.run,
            pct(r.accuracy),
            ...rowVals.map((g) => pct(get(r, rowDim, g)?.accuracy)),
            ...colVals.map((c) => pct(get(r, colDim, c)?.accuracy)),
          ]),
        );
      out.push('');
      for (const r of rs) {
        out.push(`### ${r.run}: ${gd} (accuracy %, n)`, '');
        out.push(mdRow([rowDim, ...colVals]));
        out.push(mdRow(Array(1 + colVals.length).fill('---')));
        for (const g of rowVals)
          out.push(
            mdRow([
              g,
              ...colVals.map((c) => {
                const x = get(r, gd, `${g}${CROSS}${c}`);
                return x && x.n > 0 ? `${pct(x.accuracy)} (${x.n})` : '–';
              }),
            ]),
          );
        out.push('');
      }
    }
    const dims = [...new Set(rs.flatMap((r) => r.groups.map((g) => g.dimension)))].filter(
      (d) => d !== 'overall' && !gridDims.includes(d),
    );
    for (const d of dims) {
      out.push(`## ${title}: by ${d}`, '');
      out.push(mdRow([d, ...rs.flatMap((r) => [`${r.run} n`, `${r.run} %`])]));
      out.push(mdRow(Array(1 + 2 * rs.length).fill('---')));
      const keys = [...new Set(rs.flatMap((r) => r.groups.filter((g) => g.dimension === d).map((g) => g.key)))];
      for (const k of keys)
        out.push(
          mdRow([
            k,
            ...rs.flatMap((r) => {
              const g = get(r, d, k);
              return [g?.n ?? 0, pct(g?.accuracy)];
            }),
          ]),
        );
      out.push('');
    }
    for (const r of rs) {
      if (!r.metrics) continue;
      out.push(`## ${r.metrics.title}: ${r.run}`, '');
      for (const t of r.metrics.tables) {
        out.push(
          `${t.caption}`,
          '',
          mdRow(t.header),
          mdRow(Array(t.header.length).fill('---')),
          ...t.rows.map(mdRow),
          '',
        );
      }
      for (const n of r.metrics.notes) out.push(n, '');
    }
  }
  for (const r of reports) {
    if (r.errors.length) {
      out.push(`## ${r.run}: errored items (counted as wrong)`, '');
      for (const e of r.errors)
        out.push(`- row ${e.row}, item ${e.item_id}: ${e.error.replace(/\n/g, ' ').slice(0, 200)}`);
      out.push('');
    }
    if (r.malformedRows.length) {
      out.push(`## ${r.run}: malformed rows (skipped)`, '');
      for (const m of r.malformedRows) out.push(`- row ${m.row}: ${m.reason}`);
      out.push('');
    }
  }
  if (fl) {
    out.push(`## Flips ${fl.a} → ${fl.b} (${fl.common} items in common)`, '');
    out.push(
      `- fixed (wrong in ${fl.a}, right in ${fl.b}): ${fl.fixed.length}${fl.fixed.length ? `: ${fl.fixed.join(', ')}` : ''}`,
    );
    out.push(
      `- broken (right in ${fl.a}, wrong in ${fl.b}): ${fl.broken.length}${fl.broken.length ? `: ${fl.broken.join(', ')}` : ''}`,
      '',
    );
  }
  return out.join('\n');
}

const csvCell = (v: unknown) => csvField(v === null || v === undefined ? '' : String(v));

export function renderCsv(reports: RunReport[]): string {
  const lines = ['run,bench,model,dimension,key,n,correct,accuracy'];
  for (const r of reports) {
    for (const g of r.groups)
      lines.push(
        [r.run, r.bench, r.model, g.dimension, g.key, g.n, g.correct, g.accuracy ?? ''].map(csvCell).join(','),
      );
    for (const [k, v] of Object.entries(r.metrics?.values ?? {}))
      lines.push([r.run, r.bench, r.model, 'metric', k, '', '', v ?? ''].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Grouped bars: overall and the benchmark's main breakdown, one colour per run. */
export function renderSvg(reports: RunReport[]): string {
  // The first two single-key breakdowns of each benchmark, plus its extra metrics' scores.
  const mainDim = (bench: string): string[] => {
    const k = BenchKindSchema.safeParse(bench);
    return k.success
      ? benchModule(k.data)
          .dimensions.filter((d) => typeof d.key === 'string')
          .slice(0, 2)
          .map((d) => d.name)
      : [];
  };
  const scoreKeys = (r: RunReport) => Object.keys(r.metrics?.values ?? {}).filter((k) => k.startsWith('score_'));
  const labels: string[] = ['overall'];
  const value = (r: RunReport, label: string): number | null => {
    if (label === 'overall') return r.accuracy;
    if (label.startsWith('metric\u0000')) return r.metrics?.values[label.slice(7)] ?? null;
    const [d, k] = label.split('\u0000') as [string, string];
    return get(r, d, k)?.accuracy ?? null;
  };
  for (const r of reports) {
    for (const d of mainDim(r.bench))
      for (const g of r.groups.filter((x) => x.dimension === d && x.n > 0))
        if (!labels.includes(`${d}\u0000${g.key}`)) labels.push(`${d}\u0000${g.key}`);
    for (const k of scoreKeys(r)) if (!labels.includes(`metric\u0000${k}`)) labels.push(`metric\u0000${k}`);
  }
  const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];
  const barW = 18;
  const groupW = reports.length * barW + 14;
  const left = 50,
    top = 40,
    plotH = 240;
  const width = left + labels.length * groupW + 20;
  const height = top + plotH + 110;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14">${esc(`Accuracy (%): ${reports.map((r) => `${r.run} (${r.bench})`).join(' vs ')}`)}</text>`,
  ];
  for (const t of [0, 25, 50, 75, 100]) {
    const y = top + plotH - (t / 100) * plotH;
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#dddddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${t}</text>`,
    );
  }
  labels.forEach((label, i) => {
    const x0 = left + i * groupW + 7;
    reports.forEach((r, j) => {
      const v = value(r, label);
      if (v === null) return;
      const h = v * plotH;
      parts.push(
        `<rect x="${x0 + j * barW}" y="${top + plotH - h}" width="${barW - 2}" height="${h}" fill="${colours[j % colours.length]}"><title>${esc(`${r.run} ${label.replace('\u0000', ': ')} ${pct(v)}%`)}</title></rect>`,
      );
    });
    const text = esc(label.split('\u0000').pop()!);
    const cx = x0 + (reports.length * barW) / 2;
    parts.push(
      `<text x="${cx}" y="${top + plotH + 12}" text-anchor="end" transform="rotate(-40 ${cx} ${top + plotH + 12})">${text}</text>`,
    );
  });
  reports.forEach((r, j) =>
    parts.push(
      `<rect x="${width - 160}" y="${8 + j * 14}" width="10" height="10" fill="${colours[j % colours.length]}"/><text x="${width - 146}" y="${17 + j * 14}">${esc(r.run)}</text>`,
    ),
  );
  parts.push('</svg>');
  return parts.join('\n');
}

export async function writeReportFiles(
  dir: string,
  reports: RunReport[],
  fl?: Flips,
): Promise<{ markdown: string; csv: string; svg: string; png: string }> {
  ensureDir(dir);
  const files = {
    markdown: join(dir, 'report.md'),
    csv: join(dir, 'report.csv'),
    svg: join(dir, 'chart.svg'),
    png: join(dir, 'chart.png'),
  };
  writeFileSync(files.markdown, renderMarkdown(reports, fl));
  writeFileSync(files.csv, renderCsv(reports));
  const svg = renderSvg(reports);
  writeFileSync(files.svg, svg);
  await sharp(Buffer.from(svg)).png().toFile(files.png);
  return files;
}
