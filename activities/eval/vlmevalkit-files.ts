/**
 * VLMEvalKit's prediction files (written by its infer_data and dump): every column of the benchmark file except
 * `image`, in the file's order, plus `prediction` (the model's raw answer); `.tsv` written like pandas
 * `to_csv(sep='\t', quoting=csv.QUOTE_ALL)`, or `.xlsx` (its default). The same files read back, so predictions made
 * by VLMEvalKit can be scored here.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { readRaw, type Raw } from './read.ts';

/** Image columns VLMEvalKit drops from prediction files (base64 `image`; MathVista/MathVision's decoded images). */
const IMAGE_COLUMNS = new Set(['image', 'decoded_image']);

export type Cell = string | number | null;
export interface PredictionTable {
  columns: string[];
  rows: Cell[][];
}

/** One cell as VLMEvalKit would hold it: nested values as JSON, an Image struct as its path, NaN as empty. */
function cellOf(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return null;
  if (typeof v === 'object' && 'bytes' in (v as object)) return cellOf((v as { path?: unknown }).path);
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
}

/**
 * The prediction table for a benchmark file: its columns minus images plus `prediction` (an `index` column first when
 * the file has none: VLMEvalKit sorts and joins by it). `prediction(row)` is the answer for a 0-based data row, or
 * null when there is none (malformed or unanswered rows stay in the file with an empty prediction).
 */
export async function predictionTable(
  benchFile: string,
  prediction: (row: number) => string | null,
): Promise<PredictionTable> {
  const raw = await readRaw(benchFile);
  const seen = new Set<string>();
  for (const c of raw.columns) seen.add(c);
  for (const r of raw.rows) if (r) for (const k of Object.keys(r)) seen.add(k);
  const hasIndex = seen.has('index');
  const kept = [...seen].filter((c) => !IMAGE_COLUMNS.has(c) && c !== 'prediction');
  const columns = [...(hasIndex ? [] : ['index']), ...kept, 'prediction'];
  // VLMEvalKit turns `index` into integers when every index is one.
  const intIndex = hasIndex && raw.rows.every((r) => !r || /^-?\d+$/.test(String(r.index ?? '').trim()));
  const rows: Cell[][] = [];
  raw.rows.forEach((r: Raw | null, i) => {
    if (!r) return;
    const cells = kept.map((c) => (c === 'index' && intIndex ? Number(String(r.index).trim()) : cellOf(r[c])));
    rows.push([...(hasIndex ? [] : [i]), ...cells, prediction(i) ?? '']);
  });
  return { columns, rows };
}

const tsvField = (v: Cell) => `"${(v === null ? '' : String(v)).replaceAll('"', '""')}"`;

/** Write a prediction table as `.tsv` (every field quoted, like csv.QUOTE_ALL) or `.xlsx`. */
export async function writePredictionTable(t: PredictionTable, out: string): Promise<void> {
  const ext = extname(out).toLowerCase();
  if (ext === '.tsv') {
    writeFileSync(
      out,
      `${[t.columns.map(tsvField).join('\t'), ...t.rows.map((r) => r.map(tsvField).join('\t'))].join('\n')}\n`,
    );
    return;
  }
  if (ext !== '.xlsx') throw new UsageError(`--out ${out}: expected a .tsv or .xlsx file name`);
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  ws.addRow(t.columns);
  for (const r of t.rows) ws.addRow(r.map((v) => v ?? undefined));
  await wb.xlsx.writeFile(out);
}
