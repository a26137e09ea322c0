// Notebook charts: a SQL file's header names a small chart (or a Vega-Lite file beside it); the query's rows become
// its inline data, rendered headless (Vega-Lite → Vega → SVG in Node, SVG → PNG with sharp). No browser, no network.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Loader } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { z } from 'zod';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../core/errors.ts';

/**
 * The compact chart of a notebook header, `-- chart: {...}`. Fields use Altair's shorthand: `field`, `field:Q|N|O|T`,
 * or `agg(field)[:T]` (sum, mean, count, min, max, median) — the type is guessed from the rows when left out.
 */
export const CompactChartSchema = z
  .object({
    mark: z.enum(['bar', 'line', 'point', 'area', 'tick', 'rect', 'arc', 'circle', 'square']),
    x: z.string().optional(),
    y: z.string().optional(),
    color: z.string().optional(),
    /** Grouped (side-by-side) bars: VL `xOffset`. */
    offset: z.string().optional(),
    /** Small multiples: one panel per value. */
    column: z.string().optional(),
    /** Pie/donut angle (mark `arc`). */
    theta: z.string().optional(),
    title: z.string().optional(),
    width: z.number().int().positive().max(4000).optional(),
    height: z.number().int().positive().max(4000).optional(),
  })
  .strict();
export type CompactChart = z.infer<typeof CompactChartSchema>;

export interface Notebook {
  name: string;
  title: string;
  description: string;
  sql: string;
  /** The compact chart of the header, if any. */
  chart?: CompactChart;
  /** A full Vega-Lite spec (`<name>.vl.json` beside the SQL); wins over `chart`. Its data is replaced by the rows. */
  vegaLite?: Record<string, unknown>;
  /** Views the query reads that may not be in the catalog yet: name → column types (`-- requires-view:`). */
  requires: Array<{ view: string; columns: Array<[string, string]> }>;
  /** What the chart needs when the query returns no rows (`-- needs:`), shown instead of a bare "no rows". */
  needs?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/;

/** `fidelity(run VARCHAR, value DOUBLE)` → the view and its typed columns (identifiers and types checked: no SQL gets through). */
function parseRequires(text: string, where: string): Notebook['requires'][number] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$/.exec(text.trim());
  if (!m) throw new UsageError(`${where}: requires-view: expected NAME(col TYPE, ...)`);
  const columns = m[2]!.split(/,(?![^(]*\))/).map((part): [string, string] => {
    const [col, ...type] = part.trim().split(/\s+/);
    const t = type.join(' ');
    if (!col || !IDENT.test(col) || !TYPE.test(t))
      throw new UsageError(`${where}: requires-view: bad column "${part.trim()}"`);
    return [col, t];
  });
  return { view: m[1]!, columns };
}

/**
 * Read a notebook: the leading `--` comment block is its header (`title:`, `chart:`, `requires-view:`; other lines
 * are its description); the whole text is the SQL. `file` locates a `<name>.vl.json` beside it.
 */
export function parseNotebook(text: string, file?: string): Notebook {
  const name = file ? basename(file).replace(/\.sql$/i, '') : 'query';
  const where = file ?? 'query';
  const nb: Notebook = { name, title: name, description: '', sql: text, requires: [] };
  const desc: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) break;
    const body = line.replace(/^--\s?/, '');
    const kv = /^(title|chart|requires-view|needs):\s*(.*)$/.exec(body);
    if (!kv) {
      desc.push(body);
      continue;
    }
    const [, key, value] = kv;
    if (key === 'title') nb.title = value!.trim();
    else if (key === 'needs') nb.needs = [nb.needs, value!.trim()].filter(Boolean).join(' ');
    else if (key === 'requires-view') nb.requires.push(parseRequires(value!, where));
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value!);
      } catch {
        throw new UsageError(`${where}: chart: not valid JSON`);
      }
      const r = CompactChartSchema.safeParse(parsed);
      if (!r.success)
        throw new UsageError(
          `${where}: chart: ${r.error.issues.map((i) => `${i.path.join('.') || '(spec)'} ${i.message}`).join('; ')}`,
        );
      nb.chart = r.data;
    }
  }
  nb.description = desc.join(' ').trim();
  const vl = file ? join(dirname(file), `${name}.vl.json`) : undefined;
  if (vl && existsSync(vl)) {
    try {
      nb.vegaLite = JSON.parse(readFileSync(vl, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new UsageError(`${vl}: not valid JSON`);
    }
  }
  return nb;
}

/**
 * For each `requires-view` the catalog does not have, define an empty temporary stand-in with the declared columns,
 * so the notebook yields an empty result instead of a binder error. Returns the stand-ins made (drop them after).
 */
export async function provideStandIns(conn: DuckDBConnection, requires: Notebook['requires']): Promise<string[]> {
  const made: string[] = [];
  for (const { view, columns } of requires) {
    const found = await conn.runAndReadAll(
      `SELECT 1 FROM duckdb_views() WHERE view_name = '${view}' UNION ALL SELECT 1 FROM duckdb_tables() WHERE table_name = '${view}'`,
    );
    if (found.currentRowCount > 0) continue;
    await conn.run(
      `CREATE TEMP VIEW "${view}" AS SELECT ${columns.map(([c, t]) => `NULL::${t} AS "${c}"`).join(', ')} WHERE false`,
    );
    made.push(view);
  }
  return made;
}

export async function dropStandIns(conn: DuckDBConnection, made: string[]): Promise<void> {
  for (const v of made) await conn.run(`DROP VIEW IF EXISTS temp."${v}"`);
}

const NUMERIC =
  /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|INTEGER|UINTEGER|SMALLINT|USMALLINT|TINYINT|UTINYINT|DOUBLE|FLOAT|REAL|DECIMAL.*)$/;

/** Rows as plain JSON with every numeric column a number (DuckDB's JSON gives 64-bit integers and decimals as strings). */
export function numericRows(
  columns: string[],
  types: string[],
  rows: Array<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  const nums = columns.filter((_, i) => NUMERIC.test(types[i] ?? ''));
  return rows.map((r) => {
    const o = { ...r };
    for (const c of nums)
      if (typeof o[c] === 'string' && o[c] !== '' && Number.isFinite(Number(o[c]))) o[c] = Number(o[c]);
    return o;
  });
}

const SHORT = /^(?:(sum|mean|average|count|min|max|median|distinct)\(([^)]*)\)|([^:()]+))(?::([QNOT]))?$/;
const TYPES = { Q: 'quantitative', N: 'nominal', O: 'ordinal', T: 'temporal' } as const;

function channel(short: string, rows: Array<Record<string, unknown>>, columns: string[]): Record<string, unknown> {
  const m = SHORT.exec(short.trim());
  if (!m) throw new UsageError(`chart: cannot read field "${short}" (use field, field:Q|N|O|T or agg(field))`);
  const [, agg, aggField, plain, t] = m;
  const field = (agg ? aggField : plain)!.trim();
  if (field && !columns.includes(field))
    throw new UsageError(`chart: field "${field}" is not a column of the result (${columns.join(', ')})`);
  const numeric =
    rows.length > 0 && rows.every((r) => r[field] === null || r[field] === undefined || typeof r[field] === 'number');
  const type = t
    ? TYPES[t as keyof typeof TYPES]
    : agg
      ? 'quantitative'
      : numeric && rows.length > 0
        ? 'quantitative'
        : 'nominal';
  const enc: Record<string, unknown> = { type, title: agg && agg !== 'count' ? `${agg}(${field})` : field || agg };
  if (field) enc.field = field;
  if (agg) enc.aggregate = agg === 'average' ? 'mean' : agg;
  return enc;
}

/** The full Vega-Lite spec of a notebook over `rows`: a compact header chart expanded, or the `.vl.json` with its data set. */
export function vegaLiteSpec(
  nb: Pick<Notebook, 'name' | 'title' | 'chart' | 'vegaLite' | 'needs'>,
  columns: string[],
  rows: Array<Record<string, unknown>>,
): TopLevelSpec {
  const base = nb.chart?.title ?? (typeof nb.vegaLite?.title === 'string' ? nb.vegaLite.title : nb.title);
  let spec: Record<string, unknown>;
  if (nb.vegaLite) spec = { title: base, ...nb.vegaLite, data: { values: rows } };
  else {
    const c = nb.chart ?? inferChart(columns, rows);
    const encoding: Record<string, unknown> = {};
    for (const key of ['x', 'y', 'color', 'theta'] as const) if (c[key]) encoding[key] = channel(c[key], rows, columns);
    if (c.offset) encoding.xOffset = channel(c.offset, rows, columns);
    if (c.column) encoding.column = channel(c.column, rows, columns);
    // Bars of a category read best longest first (unless grouped, where the group order matters more).
    const x = encoding.x as Record<string, unknown> | undefined;
    const y = encoding.y as Record<string, unknown> | undefined;
    if (c.mark === 'bar' && y && x && y.type === 'nominal' && x.type === 'quantitative') y.sort = '-x';
    if (c.mark === 'bar' && x && y && x.type === 'nominal' && y.type === 'quantitative' && !c.offset) x.sort = '-y';
    spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: base,
      data: { values: rows },
      mark: c.mark === 'line' || c.mark === 'point' ? { type: c.mark, tooltip: true } : { type: c.mark },
      encoding,
    };
    if (c.width) spec.width = c.width;
    if (c.height) spec.height = c.height;
  }
  if (rows.length > 0) return spec as unknown as TopLevelSpec;
  // Axes over nothing read as a broken chart: say plainly that the query returned no rows and, when the notebook
  // says so (`needs:`), what would fill it (fields checked above).
  const lines = nb.needs ? wrapWords(`No rows yet. Needs: ${nb.needs.replaceAll('`', '')}`, 56) : ['no rows'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${base} (no rows)`,
    width: 500,
    height: 40 + 22 * lines.length,
    data: { values: lines.map((text, i) => ({ text, i })) },
    mark: { type: 'text', fontSize: nb.needs ? 14 : 18, color: '#666666', align: 'left', x: 10 },
    encoding: { text: { field: 'text', type: 'nominal' }, y: { field: 'i', type: 'ordinal', axis: null } },
    view: { stroke: '#dddddd' },
  } as unknown as TopLevelSpec;
}

/** Words into lines of at most `width` characters (a long word keeps its own line). */
function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/** A chart for an ad-hoc query: the first text column against the first numeric one (or a count per first column). */
export function inferChart(columns: string[], rows: Array<Record<string, unknown>>): CompactChart {
  const isNum = (c: string) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number');
  const num = columns.find(isNum);
  const cat = columns.find((c) => !isNum(c)) ?? columns[0];
  if (!cat) return { mark: 'bar' };
  if (!num || num === cat) return { mark: 'bar', x: `${cat}:N`, y: 'count()' };
  return { mark: 'bar', x: `${cat}:N`, y: `sum(${num})` };
}

// vega, vega-lite and sharp load on first render: `r1ov sql` without --chart should not pay for them at start-up.
/** Vega may not fetch anything: inline data only. */
const offlineLoader = (vega: typeof import('vega')): Loader => {
  const base = vega.loader();
  const refuse = () => Promise.reject(new Error('notebook charts load no external data (inline values only)'));
  return Object.assign(base, { load: refuse, sanitize: refuse, http: refuse, file: refuse });
};

/** Vega-Lite → SVG text, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: offlineLoader(vega) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG → PNG at `scale` × its size, on a white background. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .flatten({ background: '#ffffff' })
    .png()
    .toBuffer();
}

export interface ChartFiles {
  svg: string;
  png: string;
}

/** Render a notebook's chart of `rows` into `dir` as `<name>.svg` and `<name>.png`. */
export async function writeChart(
  dir: string,
  nb: Pick<Notebook, 'name' | 'title' | 'chart' | 'vegaLite'>,
  columns: string[],
  types: string[],
  rows: Array<Record<string, unknown>>,
): Promise<ChartFiles> {
  const data = numericRows(columns, types, rows);
  const svg = await renderSvg(vegaLiteSpec(nb, columns, data));
  mkdirSync(dir, { recursive: true });
  const files = { svg: join(dir, `${nb.name}.svg`), png: join(dir, `${nb.name}.png`) };
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, await svgToPng(svg));
  return files;
}

/** A GitHub-flavoured Markdown table (cells one line, pipes escaped, long text clipped). */
export function markdownTable(columns: string[], rows: Array<Record<string, unknown>>, maxRows = 500): string {
  const cell = (v: unknown) => {
    const s = (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(
      /\s+/g,
      ' ',
    );
    return (s.length > 100 ? `${s.slice(0, 99)}…` : s).replaceAll('\\', '\\\\').replaceAll('|', '\\|');
  };
  if (columns.length === 0) return '_(no columns)_';
  const lines = [`| ${columns.map(cell).join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const r of rows.slice(0, maxRows)) lines.push(`| ${columns.map((c) => cell(r[c])).join(' | ')} |`);
  const more = rows.length > maxRows ? `\n\n_(${rows.length - maxRows} more rows not shown)_` : '';
  return `${lines.join('\n')}${more}\n\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}
